"""Fixtures for the job tests: quick retrain settings, a store on SQLite and PostgreSQL, the synthetic log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from synthetic_log import QUICK_PARAMS, add_chat_likes, seed_synthetic

from recommender.config import Settings
from recommender.store import Store


@pytest.fixture
def job_settings(tmp_path: Path) -> Settings:
    """Settings for retrain tests: a fresh var dir, the quick blend, 3 items per turn."""
    return Settings(
        var_dir=tmp_path, user_id_secret="test-secret", default_k=3, retrain_params=QUICK_PARAMS,
        retrain_min_eval_users=20,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def job_store(request: pytest.FixtureRequest, job_settings: Settings) -> Iterator[Store]:
    """A migrated store on SQLite and (marker `postgres`) on a fresh PostgreSQL database."""
    url = job_settings.resolved_database_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store(url)
    store.migrate()
    yield store
    store.engine.dispose()


@pytest.fixture
def synthetic(job_store: Store) -> dict[str, list[str]]:
    """The synthetic catalog and log in `job_store`; each user's items in time order."""
    return seed_synthetic(job_store)


@pytest.fixture
def chat_likes() -> Callable[..., int]:
    """`chat_likes(store, histories, users)`: add new positive chat feedback."""
    return add_chat_likes
