"""Built-in presets on the real shared datasets (goodbooks-10k, ml-latest-small); skipped when absent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recommender.catalog.importer import ImportOptions
from recommender.catalog.presets import PRESETS
from recommender.config import Settings
from recommender.store import Store

QUIET = ImportOptions(progress=False)


def test_registry_names_the_known_catalogs() -> None:
    assert set(PRESETS) == {"movielens100k", "goodbooks", "ml-latest-small"}


@pytest.mark.realdata
def test_goodbooks_books_csv(tmp_path: Path, sqlite_store: Store, shared_data: Callable[..., Path]) -> None:
    books = shared_data("goodbooks-10k", "books.csv")
    report = PRESETS["goodbooks"].run(sqlite_store, Settings(var_dir=tmp_path), books, QUIET)
    assert (report.read, report.imported, report.duplicates, report.bad) == (10000, 10000, 0, 0)
    assert sqlite_store.count_items() == 10000
    hunger = sqlite_store.get_item("1")
    assert hunger is not None and hunger.year == 2008 and hunger.people == ("Suzanne Collins",)
    assert hunger.popularity == 4780653 and hunger.image_url.startswith("https://") and hunger.url == ""
    harry = sqlite_store.get_item("2")
    assert harry is not None and harry.people == ("J.K. Rowling", "Mary GrandPré")
    years = [i.year for i in sqlite_store.load_items() if i.year is not None]
    assert min(years) < 0  # classics from antiquity are kept, not rejected as bad years


@pytest.mark.realdata
def test_ml_latest_small_movies_and_ratings(
    tmp_path: Path, sqlite_store: Store, shared_data: Callable[..., Path]
) -> None:
    folder = shared_data("ml-latest-small")
    report = PRESETS["ml-latest-small"].run(sqlite_store, Settings(var_dir=tmp_path), folder, QUIET)
    assert (report.imported, report.users, report.feedback, report.bad) == (9742, 610, 100836, 0)
    toy = sqlite_store.get_item("1")
    assert toy is not None and toy.year == 1995 and "Animation" in toy.genres
    assert all("(no genres listed)" not in i.genres for i in sqlite_store.load_items())
    again = PRESETS["ml-latest-small"].run(sqlite_store, Settings(var_dir=tmp_path), folder, QUIET)
    assert again.feedback_replaced == 100836
    assert sqlite_store.count_feedback(source="ml-latest-small") == 100836
