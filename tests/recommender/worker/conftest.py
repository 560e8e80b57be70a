"""Fixtures for the worker tests: a store on SQLite and (marker `postgres`) on PostgreSQL, quick settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from synthetic_log import QUICK_PARAMS

from recommender.config import Settings
from recommender.store import Store


@pytest.fixture
def worker_settings(tmp_path: Path) -> Settings:
    """A fresh var dir, the quick retrain model, short leases."""
    return Settings(var_dir=tmp_path, user_id_secret="test-secret", retrain_params=QUICK_PARAMS,
                    worker_lease_seconds=30)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def worker_store(request: pytest.FixtureRequest, worker_settings: Settings) -> Iterator[Store]:
    """A migrated store on SQLite and on a fresh PostgreSQL database."""
    url = (worker_settings.resolved_database_url if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    store = Store(url)
    store.migrate()
    yield store
    store.engine.dispose()
