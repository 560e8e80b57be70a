"""Feedback is stored once per press and never lost when the database is down or hung.

"Down" is real: the service's store is pointed at a closed port (connection refused); "hung" is a
PostgreSQL session holding a lock on the feedback table with a short statement timeout. Nothing is
mocked below the store.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fault_injection import database_down, seed_store
from feedback_checks import assert_stored_feedback
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, func, select, text

from recommender.actions.feedback import ActionRecordFeedback
from recommender.cli import main as cli_main
from recommender.config import Settings
from recommender.observability.metrics import FEEDBACK_SPOOL
from recommender.service import RecommenderService
from recommender.serving.feedback_writer import FeedbackNotStoredError, feedback_key
from recommender.store import Store
from recommender.store.db import DatabaseTimeouts, session_scope
from recommender.store.models import FeedbackEventRow
from recommender.store.spool import SpooledFeedback
from recommender.types import ConversationContext, FeedbackRequest

BOB = ConversationContext(user="bob", text="I like it")


def like(item: str, message_id: str | None) -> FeedbackRequest:
    return FeedbackRequest(kind="like", item_id=item, message_id=message_id)


def spooled(settings: Settings) -> list[dict[str, Any]]:
    path = settings.var_dir / "spool" / "feedback.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def fast_settings(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update={"db_retry_seconds": 0.2, **overrides})


# -- idempotency ----------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_second_insert_with_the_same_key_is_a_no_op_on_both_engines(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}" if engine == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store(url)
    store.migrate()
    seed_store(store)
    args = {"user_id": "u1", "item_id": "1", "kind": "like"}
    assert store.add_feedback(**args, idempotency_key="k" * 64) is True
    assert store.add_feedback(**args, idempotency_key="k" * 64) is False
    assert store.add_feedback(**args) and store.add_feedback(**args)  # no key: two events, as before
    assert store.count_feedback(user_id="u1") == 3
    store.engine.dispose()


def test_the_same_press_delivered_twice_is_stored_once(service: RecommenderService, store: Store) -> None:
    service.record_feedback(BOB, like("1", "msg-1"))
    service.record_feedback(BOB, like("1", "msg-1"))  # Rasa retried the action call
    service.record_feedback(BOB, like("1", "msg-2"))  # a new press of the same button
    assert_stored_feedback(store, [(service.user_id(BOB), "1", "like", None)] * 2)


def test_the_key_is_derived_from_user_message_item_and_kind() -> None:
    key = feedback_key("u", "m", "1", "like")
    assert key == feedback_key("u", "m", "1", "like") and len(key) == 64
    assert len({key, feedback_key("v", "m", "1", "like"), feedback_key("u", "n", "1", "like"),
                feedback_key("u", "m", "2", "like"), feedback_key("u", "m", "1", "dislike")}) == 5
    assert feedback_key("u", None, "1", "like") != feedback_key("u", None, "1", "like")  # no id: every call new
    assert feedback_key("u", 7, "1", "like") == feedback_key("u", "7", "1", "like")  # a channel's number id


def press_tracker(message_id: str) -> Tracker:
    parse = {"text": "/feedback", "intent": {"name": "feedback", "confidence": 1.0}, "message_id": message_id,
             "entities": [{"entity": "item_id", "value": "1"}, {"entity": "kind", "value": "like"}]}
    return Tracker.from_dict({
        "sender_id": "press-user", "slots": {}, "latest_message": parse, "paused": False, "followup_action": None,
        "active_loop": {}, "latest_action_name": "action_listen",
        "events": [{"event": "user", "text": "/feedback", "parse_data": parse, "input_channel": "rest"}],
    })


def test_the_feedback_action_passes_the_message_id_so_a_redelivered_press_is_stored_once(
    service: RecommenderService, store: Store
) -> None:
    action = ActionRecordFeedback(service)
    domain = {"responses": {"utter_something_went_wrong": [{"text": "sorry"}]}}
    for _ in range(2):
        dispatcher = CollectingDispatcher()
        asyncio.run(action.run(dispatcher, press_tracker("rasa-msg-7"), domain))
        assert "sorry" not in str(dispatcher.messages)
    user = service.user_id(ConversationContext(user="rest:press-user"))
    assert store.count_feedback(source="chat") == 1 and store.user_feedback(user) == [("1", "like", None)]


# -- the database down -----------------------------------------------------------------------------
def test_feedback_while_the_database_is_down_is_spooled_acknowledged_and_replayed_once(
    store: Store, settings: Settings
) -> None:
    service = RecommenderService(store=store, settings=fast_settings(settings))
    service.bundles.current()  # the model is loaded before the outage
    before = FEEDBACK_SPOOL.labels("spooled")._value.get()
    with database_down(store):
        started = time.monotonic()
        first = service.record_feedback(BOB, like("1", "m1"))
        second = service.record_feedback(BOB, like("2", "m2"))  # the guard knows: no connection attempt
        elapsed = time.monotonic() - started
    assert "Toy Story" in first.text and second.kind == "like"  # the usual acknowledgement
    assert elapsed < 3.0
    assert [e["item_id"] for e in spooled(settings)] == ["1", "2"]
    assert (settings.var_dir / "spool" / "feedback.jsonl").stat().st_mode & 0o077 == 0  # owner-only
    assert FEEDBACK_SPOOL.labels("spooled")._value.get() - before == 2
    assert store.count_feedback(source="chat") == 0
    # the database is back: the next write replays the spool (in order, with the original times)
    time.sleep(0.3)
    service.record_feedback(BOB, like("4", "m3"))
    deadline = time.monotonic() + 10
    while spooled(settings) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert spooled(settings) == []
    user = service.user_id(BOB)
    assert sorted(store.user_feedback(user)) == [("1", "like", None), ("2", "like", None), ("4", "like", None)]
    service.guard.close()


def test_replaying_an_event_whose_first_write_did_commit_stores_nothing_twice(
    service: RecommenderService, store: Store
) -> None:
    user = service.user_id(BOB)
    event = SpooledFeedback(idempotency_key=feedback_key(user, "m1", "1", "like"), user_id=user, item_id="1",
                            kind="like", created_at="2026-12-06T15:00:00+00:00", session_id=user)
    store.add_feedback(**event.store_arguments())  # committed, but the caller saw a timeout
    service.feedback_writer.spool.append(event)
    outcome = service.feedback_writer.replay()
    assert (outcome.stored, outcome.duplicates, outcome.left) == (0, 1, 0)
    assert_stored_feedback(store, [(user, "1", "like", None)])


def test_a_full_spool_refuses_new_feedback_and_keeps_what_it_holds(store: Store, settings: Settings) -> None:
    service = RecommenderService(store=store, settings=fast_settings(settings, feedback_spool_max_bytes=1024))
    service.bundles.current()
    with database_down(store):
        kept = 0
        with pytest.raises(FeedbackNotStoredError):
            for n in range(100):
                service.record_feedback(BOB, like("1", f"m{n}"))
                kept += 1
    assert 0 < kept < 100 and len(spooled(settings)) == kept  # the oldest are all still there
    assert (settings.var_dir / "spool" / "feedback.jsonl").stat().st_size <= 1024
    service.guard.close()


def test_forgetting_a_user_drops_their_spooled_feedback(store: Store, settings: Settings) -> None:
    service = RecommenderService(store=store, settings=fast_settings(settings, db_retry_seconds=60))
    service.bundles.current()
    alice = ConversationContext(user="alice")
    with database_down(store):
        service.record_feedback(BOB, like("1", "m1"))
        service.record_feedback(alice, like("2", "m2"))
    service.forget_user(BOB)  # the database is back, the spool not replayed yet
    assert [e["item_id"] for e in spooled(settings)] == ["2"]
    service.feedback_writer.replay()
    assert_stored_feedback(store, [(service.user_id(alice), "2", "like", None)], users=[service.user_id(BOB)])
    service.guard.close()


def test_a_torn_last_line_is_set_aside_and_the_events_around_it_are_stored(
    service: RecommenderService, store: Store, settings: Settings
) -> None:
    user = service.user_id(BOB)
    spool = service.feedback_writer.spool
    spool.append(SpooledFeedback(feedback_key(user, "a", "1", "like"), user, "1", "like", "2026-12-06T15:00:00+00:00"))
    with spool.path.open("ab") as handle:
        handle.write(b'{"v":1,"idempotency_key":"x","user_id"')  # the process died mid-write
    spool.append(SpooledFeedback(feedback_key(user, "b", "2", "like"), user, "2", "like", "2026-12-06T15:00:01+00:00"))
    outcome = service.feedback_writer.replay()
    assert (outcome.stored, outcome.rejected, outcome.left) == (2, 1, 0)
    assert_stored_feedback(store, [(user, "1", "like", None), (user, "2", "like", None)])
    assert spool.rejected_path.read_bytes().startswith(b'{"v":1,"idempotency_key":"x"')


def test_the_spool_command_replays_what_a_stopped_server_left(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service = RecommenderService(store=store, settings=fast_settings(settings))
    service.bundles.current()
    with database_down(store):
        service.record_feedback(BOB, like("1", "m1"))
    service.guard.close()  # the server stops with the event still spooled
    monkeypatch.setattr("recommender.commands.common.get_settings", lambda: settings)
    assert cli_main(["spool"]) == 0 and json.loads(capsys.readouterr().out)["pending"] == 1
    assert cli_main(["spool", "--replay", "--database-url", settings.resolved_database_url]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stored"] == 1 and report["pending"] == 0
    assert_stored_feedback(store, [(service.user_id(BOB), "1", "like", None)])


# -- the database hung ------------------------------------------------------------------------------
@pytest.mark.postgres
def test_feedback_while_postgresql_hangs_on_a_lock_is_spooled_within_the_timeout_then_stored_once(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(var_dir=tmp_path, default_k=3, user_id_secret="s", database_url=postgres_url,
                        db_statement_timeout_ms=500, db_retry_seconds=0.3)
    store = Store(postgres_url, DatabaseTimeouts.from_settings(settings))
    store.migrate()
    seed_store(store)
    service = RecommenderService(store=store, settings=settings)
    service.bundles.current()
    holder = create_engine(postgres_url).connect()
    holder.execute(text("LOCK TABLE feedback_events IN ACCESS EXCLUSIVE MODE"))
    release = threading.Timer(20.0, holder.rollback)  # bounds the old behaviour: a wait for ever
    release.start()
    try:
        started = time.monotonic()
        result = service.record_feedback(BOB, like("1", "m1"))
        elapsed = time.monotonic() - started
    finally:
        release.cancel()
        holder.rollback()
        holder.close()
    assert result.kind == "like" and elapsed < 2.5
    assert len(spooled(settings)) == 1
    deadline = time.monotonic() + 10  # the guard's probe sees the database answer and replays
    while spooled(settings) and time.monotonic() < deadline:
        time.sleep(0.05)
    service.record_feedback(BOB, like("1", "m1"))  # the same press again: still one row
    with session_scope(store._sessions) as session:
        assert session.scalar(select(func.count()).select_from(FeedbackEventRow)
                              .where(FeedbackEventRow.source == "chat")) == 1
    service.guard.close()
    store.engine.dispose()


def test_an_event_the_database_refuses_is_kept_aside_without_taking_the_database_for_down(
    service: RecommenderService, store: Store, settings: Settings
) -> None:
    user = service.user_id(BOB)
    # an item the catalog no longer has: the foreign key refuses it (IntegrityError), the database is fine
    assert service.feedback_writer.write(user_id=user, item_id="gone", kind="like", value=None, request_id=None,
                                         session_id=user, message_id="m1") is False
    assert service.guard.available  # turns keep using the database
    assert service.guard.call("probe", lambda: store.add_feedback(user_id=user, item_id="gone", kind="like"),
                              "default") == "default"
    assert service.guard.available
    outcome = service.feedback_writer.replay()
    assert (outcome.stored, outcome.rejected, outcome.left) == (0, 1, 0)
    assert json.loads(service.feedback_writer.spool.rejected_path.read_text())["item_id"] == "gone"


def test_an_action_server_started_with_a_spool_left_behind_replays_it(store: Store, settings: Settings) -> None:
    first = RecommenderService(store=store, settings=fast_settings(settings, db_retry_seconds=60))
    first.bundles.current()
    with database_down(store):
        first.record_feedback(BOB, like("1", "m1"))
    first.guard.close()  # stopped before the probe saw the database back
    restarted = RecommenderService(store=store, settings=settings)
    restarted.warm_up()
    deadline = time.monotonic() + 10
    while spooled(settings) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert_stored_feedback(store, [(restarted.user_id(BOB), "1", "like", None)])
