"""RECSYS_USER_ID_SECRET: without it, ids are hashed with the built-in development key, loudly.

The fallback keeps `make run` and local development working; one WARNING per process, as soon
as the recommender service is created (before any turn), names the setting to set.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from recommender import identity
from recommender.config import DEV_USER_ID_SECRET, Settings
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.types import ConversationContext

ALICE = ConversationContext(user="alice", text="hi")


@pytest.fixture(autouse=True)
def _fresh_warning() -> Iterator[None]:
    identity.warn_if_development_secret.cache_clear()  # "once per process" starts again per test
    yield
    identity.warn_if_development_secret.cache_clear()


def _service(tmp_path: Path, secret: str) -> RecommenderService:
    settings = Settings(var_dir=tmp_path, user_id_secret=secret)
    store = Store(settings.resolved_database_url)
    store.migrate()
    return RecommenderService(store=store, settings=settings)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "recommender.identity" and r.levelno == logging.WARNING]


def test_without_the_setting_the_development_key_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing in the environment nor in the project's .env / var/secrets.env (which `make run` writes)."""
    monkeypatch.delenv("RECSYS_USER_ID_SECRET", raising=False)
    assert Settings(_env_file=None).user_id_secret == DEV_USER_ID_SECRET  # type: ignore[call-arg]


def test_a_service_on_the_development_key_warns_once_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    service = _service(tmp_path, DEV_USER_ID_SECRET)  # no turn yet

    (record,) = _warnings(caplog)
    assert "RECSYS_USER_ID_SECRET" in record.getMessage()
    # once per process: more services and every hash after that stay quiet
    _service(tmp_path / "second", DEV_USER_ID_SECRET)
    identity.pseudonymous_id("alice", DEV_USER_ID_SECRET)
    service.user_id(ALICE)
    assert len(_warnings(caplog)) == 1


def test_a_configured_secret_does_not_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    _service(tmp_path, "a-long-random-production-secret")
    identity.pseudonymous_id("alice", "a-long-random-production-secret")
    assert _warnings(caplog) == []
