"""A turn answers from the loaded model when the database is down or hung, and a transient error
during a model swap is retried (only a verified damaged version is refused for good).

"Down": the store points at a closed port (connection refused). "Hung": a port that accepts and
never answers (connect timeout), and a PostgreSQL session holding locks on the tables a turn
touches (statement timeout). Each hang is bounded by a timer, so the old behaviour fails on time
instead of hanging the suite.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fault_injection import seed_store, silent_port, store_at
from sqlalchemy import create_engine, text

from recommender.config import Settings
from recommender.errors import CorruptModelError
from recommender.observability.metrics import DB_UNAVAILABLE
from recommender.service import RecommenderService
from recommender.serving import bundles
from recommender.store import Store
from recommender.store.db import DatabaseTimeouts
from recommender.types import ConversationContext, FeedbackRequest

ASK = ConversationContext(user="bob", text="recommend me something")


def timed_turns(service: RecommenderService, n: int) -> list[float]:
    times = []
    for k in range(n):
        started = time.monotonic()
        result = service.recommend(ConversationContext(user=f"user{k}", text="recommend me something"))
        times.append(time.monotonic() - started)
        assert len(result.items) == service.settings.default_k  # answered from the loaded model
    return times


TURN_OPERATIONS = ("model_check", "user_session", "profile", "last_action", "impressions", "prompt_stats")


def failures() -> float:
    """Turn-path database calls that failed so far (`recsys_db_unavailable_total{outcome="failed"}`)."""
    return sum(DB_UNAVAILABLE.labels(op, "failed")._value.get() for op in TURN_OPERATIONS)


def test_with_the_database_down_turns_answer_from_the_loaded_model_and_warn(
    store: Store, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    service = RecommenderService(store=store, settings=settings.model_copy(update={"model_check_seconds": 0.01}))
    service.recommend(ASK)  # the model is loaded
    before = failures()
    with caplog.at_level(logging.WARNING), store_at(store, "postgresql+psycopg://x@127.0.0.1:1/x", DatabaseTimeouts()):
        times = timed_turns(service, 5)
        feedback = service.record_feedback(ASK, FeedbackRequest(kind="like", item_id="1", message_id="m1"))
    assert feedback.kind == "like"
    assert max(times) < 2.0, times
    assert failures() - before == 1  # one call failed; the rest were skipped: the guard knows it is down
    assert DB_UNAVAILABLE.labels("profile", "skipped")._value.get() >= 4
    assert any("database unavailable during" in r.getMessage() for r in caplog.records)
    service.guard.close()


def test_a_database_that_accepts_and_never_answers_costs_one_turn_the_connect_timeout(
    store: Store, settings: Settings
) -> None:
    service = RecommenderService(store=store, settings=settings)
    service.recommend(ASK)
    with silent_port() as port, store_at(store, f"postgresql+psycopg://x@127.0.0.1:{port}/x",
                                         DatabaseTimeouts(connect_s=2)):
        times = timed_turns(service, 4)
    assert times[0] < 6.0 and max(times[1:]) < 1.0, times  # only the first waited for the timeout
    service.guard.close()


@pytest.mark.postgres
def test_a_hung_postgresql_costs_one_turn_the_statement_timeout_then_turns_skip_it(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(var_dir=tmp_path, default_k=3, user_id_secret="s", database_url=postgres_url,
                        db_statement_timeout_ms=500, knn_shrinkage=0.0)
    store = Store(postgres_url, DatabaseTimeouts.from_settings(settings))
    store.migrate()
    seed_store(store)
    service = RecommenderService(store=store, settings=settings)
    service.recommend(ASK)
    holder = create_engine(postgres_url).connect()
    holder.execute(text("LOCK TABLE users, sessions, feedback_events, impressions, recommendation_requests "
                        "IN ACCESS EXCLUSIVE MODE"))
    release = threading.Timer(30.0, holder.rollback)
    release.start()
    try:
        times = timed_turns(service, 4)
    finally:
        release.cancel()
        holder.rollback()
        holder.close()
    assert times[0] < 2.5 and max(times[1:]) < 1.0, times
    service.guard.close()
    store.engine.dispose()


# -- model swaps --------------------------------------------------------------------------------------
def publish(store: Store, settings: Settings) -> str:
    from recommender.models.item_knn import ItemKNN
    from recommender.training.artifacts import new_version_name, write_version
    from recommender.training.data import store_interaction_data

    data = store_interaction_data(store)
    model = ItemKNN(neighbours=20, shrinkage=0.0, recent=0).fit(data)
    version = new_version_name()
    path = write_version(settings.models_dir, version, model, None, [i.item_id for i in data.items],
                         list(data.user_ids))
    store.add_model_version(version=version, status="published", path=str(path), trained_on_events=len(data),
                            last_event_id=store.last_feedback_id(), train_seconds=0.1, metrics={}, reason="test")
    return version


def flaky(real: Callable[..., object], error: BaseException, times: int) -> Callable[..., object]:
    left = [times]

    def build(*args: object, **kwargs: object) -> object:
        if left[0] > 0:
            left[0] -= 1
            raise error
        return real(*args, **kwargs)

    return build


@pytest.mark.parametrize("error", [OSError(5, "Input/output error"), MemoryError()])
def test_a_transient_error_during_a_swap_is_retried_with_backoff(
    service: RecommenderService, store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
) -> None:
    old = service.bundles.current().version
    monkeypatch.setattr(bundles, "_RETRY_FIRST_SECONDS", 0.2)
    monkeypatch.setattr(bundles, "build_bundle", flaky(bundles.build_bundle, error, times=2))
    version = publish(store, settings)
    assert service.bundles.wait_for_swap() == old  # the first try failed; the old version serves
    assert service.bundles.wait_for_swap() == old  # retried too early: not tried yet (backoff)
    time.sleep(0.25)
    assert service.bundles.wait_for_swap() == old  # the second try failed too; now 0.4 s
    time.sleep(0.45)
    assert service.bundles.wait_for_swap() == version  # the third try succeeded


def test_a_verified_damaged_version_is_refused_for_good(
    service: RecommenderService, store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = service.bundles.current().version
    monkeypatch.setattr(bundles, "_RETRY_FIRST_SECONDS", 0.01)
    monkeypatch.setattr(bundles, "build_bundle",
                        flaky(bundles.build_bundle, CorruptModelError("checksum mismatch"), times=1))
    publish(store, settings)
    assert service.bundles.wait_for_swap() == old
    time.sleep(0.05)
    assert service.bundles.wait_for_swap() == old  # never tried again, although a try would now work
