"""Replay's source data: ml-latest-small users the models never saw, mapped onto the catalog.

Users of ml-latest-small (none of them is in MovieLens 100K) are mapped onto the 100K catalog by
normalised title and year. Per user, the ratings are split by time: the older part is what the
replay sends as chat feedback (`recommender.eval.replay`), the newest part is **held out** (its
items rated >= `like_threshold` are what a good recommender should find).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from recommender.errors import DataSourceError
from recommender.types import Item

_TITLE_YEAR = re.compile(r"\s*\((\d{4})\)\s*$")
_ARTICLE = re.compile(r"^(.*), (the|a|an|les|la|le|il|das|der|die|el)$", re.IGNORECASE)


@dataclass(frozen=True)
class ReplayEvent:
    """One rating of the source data, on a catalog item."""

    item_id: str
    rating: float
    timestamp: float


@dataclass(frozen=True)
class ReplayUser:
    """A source user: the events to replay (oldest first) and the held-out relevant items."""

    source_id: str
    events: tuple[ReplayEvent, ...]
    held_out: frozenset[str]
    sender: str = ""



def title_key(title: str) -> tuple[str, int | None]:
    """'American President, The (1995)' -> ('the american president', 1995): how both MovieLens
    releases spell a title, normalised so they can be joined."""
    year = None
    match = _TITLE_YEAR.search(title)
    if match:
        year = int(match.group(1))
        title = title[: match.start()]
    title = title.strip()
    # "Seven (Se7en)" / "City of Lost Children, The (Cité des enfants perdus, La)": drop the aka part
    title = re.sub(r"\s*\([^)]*\)\s*$", "", title).strip() or title
    article = _ARTICLE.match(title)
    if article:
        title = f"{article.group(2)} {article.group(1)}"
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip(), year


def map_to_catalog(source_titles: dict[str, str], items: Sequence[Item]) -> dict[str, str]:
    """Source movie id -> catalog item id, where the normalised title and the year agree (unique)."""
    by_key: dict[tuple[str, int | None], list[str]] = {}
    for item in items:
        key = title_key(item.title)
        by_key.setdefault((key[0], key[1] or item.year), []).append(item.item_id)
    mapping = {}
    for movie_id, title in source_titles.items():
        found = by_key.get(title_key(title), [])
        if len(found) == 1:
            mapping[movie_id] = found[0]
    return mapping


def eligible_users(
    folder: Path,
    items: Sequence[Item],
    *,
    holdout: float = 0.2,
    min_events: int = 10,
    max_events: int = 30,
    like_threshold: float = 4.0,
) -> list[ReplayUser]:
    """Every ml-latest-small user with >= `min_events` ratings on catalog items and at least one
    liked held-out item, by source id; each replays at most `max_events` of its older ratings
    (the most recent ones before the held-out part)."""
    import pandas as pd

    movies_path, ratings_path = folder / "movies.csv", folder / "ratings.csv"
    for path in (movies_path, ratings_path):
        if not path.is_file():
            raise DataSourceError(f"{path} not found; set RECSYS_SHARED_DATA_DIR to the folder holding ml-latest-small")
    movies = pd.read_csv(movies_path, dtype={"movieId": str, "title": str})
    mapping = map_to_catalog(dict(zip(movies["movieId"], movies["title"], strict=True)), items)
    if not mapping:
        raise DataSourceError("no ml-latest-small movie matches a catalog title; is MovieLens 100K ingested?")
    ratings = pd.read_csv(ratings_path, dtype={"userId": str, "movieId": str})
    ratings = ratings[ratings["movieId"].isin(mapping)]
    ratings = ratings.assign(item_id=ratings["movieId"].map(mapping)).sort_values(["userId", "timestamp", "item_id"])
    users: list[ReplayUser] = []
    for user, frame in ratings.groupby("userId", sort=True):
        frame = frame.drop_duplicates("item_id", keep="last")
        if len(frame) < min_events:
            continue
        cut = len(frame) - max(1, round(len(frame) * holdout))
        replayed, held = frame.iloc[:cut], frame.iloc[cut:]
        liked = frozenset(held.loc[held["rating"] >= like_threshold, "item_id"]) - set(replayed["item_id"])
        if not liked:
            continue
        events = tuple(
            ReplayEvent(str(i), float(r), float(t))
            for i, r, t in zip(replayed["item_id"], replayed["rating"], replayed["timestamp"], strict=True)
        )[-max_events:]
        users.append(ReplayUser(str(user), events, liked))
    return users


def sample_cohorts(
    users: Sequence[ReplayUser], n_replayed: int, n_control: int, seed: int
) -> tuple[list[ReplayUser], list[ReplayUser]]:
    """(replayed, control): two disjoint seeded samples, each ordered by source id. The replayed
    sample of a seed does not depend on `n_control`."""
    shuffled = list(users)
    random.Random(seed).shuffle(shuffled)

    def by_id(sample: list[ReplayUser]) -> list[ReplayUser]:
        return sorted(sample, key=lambda u: int(u.source_id) if u.source_id.isdigit() else 0)

    return by_id(shuffled[:n_replayed]), by_id(shuffled[n_replayed : n_replayed + max(0, n_control)])


def load_ml_latest_small_users(
    folder: Path, items: Sequence[Item], *, n_users: int, seed: int, **split: Any
) -> list[ReplayUser]:
    """`n_users` eligible users (a seeded sample, see `eligible_users` for `split`'s keywords)."""
    return sample_cohorts(eligible_users(folder, items, **split), n_users, 0, seed)[0]


def with_senders(users: Sequence[ReplayUser], run_id: str) -> list[ReplayUser]:
    """Give every user a unique sender id for this run (a re-run never mixes with an old one)."""
    return [replace(u, sender=f"replay-{run_id}-{u.source_id}") for u in users]
