"""A small real catalog in a real SQLite file, for service and retrieval tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recommender.config import Settings
from recommender.service import RecommenderService
from recommender.store import Store

MOVIES = [
    ("1", "Toy Story (1995)", 1995, ["Animation", "Children's", "Comedy"]),
    ("2", "GoldenEye (1995)", 1995, ["Action", "Adventure", "Thriller"]),
    ("3", "Four Rooms (1995)", 1995, ["Thriller"]),
    ("4", "Get Shorty (1995)", 1995, ["Action", "Comedy", "Drama"]),
    ("5", "Scream (1996)", 1996, ["Horror", "Thriller"]),
    ("6", "Groundhog Day (1993)", 1993, ["Comedy", "Romance"]),
    ("7", "Airplane! (1980)", 1980, ["Comedy"]),
    ("8", "Alien (1979)", 1979, ["Action", "Horror", "Sci-Fi"]),
    ("9", "Godfather, The (1972)", 1972, ["Action", "Crime", "Drama"]),
    ("10", "Annie Hall (1977)", 1977, ["Comedy", "Romance"]),
    ("11", "Babe (1995)", 1995, ["Children's", "Comedy", "Drama"]),
    ("12", "Men in Black (1997)", 1997, ["Action", "Adventure", "Comedy", "Sci-Fi"]),
    ("13", "Scary Movie Musical (1998)", 1998, ["Comedy", "Horror"]),
    ("14", "Ghostbusters (1984)", 1984, ["Comedy", "Horror"]),
    ("15", "Casablanca (1942)", 1942, ["Drama", "Romance", "War"]),
]

# user -> items they rated 5 (tastes: family comedies, action/sci-fi, classics)
RATINGS = {
    "d1": ["1", "11", "6", "12"],
    "d2": ["1", "11", "6"],
    "d3": ["1", "11", "4"],
    "d4": ["2", "8", "12", "5"],
    "d5": ["2", "8", "12"],
    "d6": ["9", "10", "15"],
    "d7": ["9", "15", "7"],
    "d8": ["1", "6", "7", "14"],
}


def seed_store(store: Store) -> None:
    """Write the small catalog and rating history."""
    store.upsert_items(
        [
            {"item_id": i, "title": t, "year": y, "genres": g, "people": [], "description": "", "url": "", "attributes": {}}
            for i, t, y, g in MOVIES
        ]
    )
    store.upsert_users([{"user_id": f"test:{u}", "source": "test"} for u in RATINGS])
    start = datetime(2000, 1, 1, tzinfo=UTC)
    rows = [
        {"user_id": f"test:{u}", "item_id": i, "kind": "rating", "value": 5.0, "source": "test",
         "created_at": start + timedelta(minutes=n)}
        for n, (u, items) in enumerate(RATINGS.items())
        for i in items
    ]
    store.add_feedback_bulk(rows)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at a fresh SQLite file; 3 items per turn keeps the tiny catalog from running dry."""
    return Settings(var_dir=tmp_path, default_k=3, user_id_secret="test-secret", knn_shrinkage=0.0)


@pytest.fixture
def store(settings: Settings) -> Store:
    """A migrated store with the small catalog."""
    store = Store(settings.resolved_database_url)
    store.migrate()
    seed_store(store)
    return store


@pytest.fixture
def service(store: Store, settings: Settings) -> RecommenderService:
    """A real service over the small catalog."""
    return RecommenderService(store=store, settings=settings)
