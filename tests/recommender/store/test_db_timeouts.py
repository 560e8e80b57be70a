"""Database timeouts: a hung or unreachable database fails fast instead of stalling every caller.

Each test bounds the old behaviour too (a timer ends the hang), so without the timeouts it fails
on the elapsed time rather than hanging the suite.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_injection import silent_port as accepting_silently
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from recommender.config import Settings
from recommender.store import Store
from recommender.store.db import DatabaseTimeouts

pytestmark = pytest.mark.postgres


def test_the_timeouts_are_settings_with_prefixed_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = DatabaseTimeouts.from_settings(Settings())
    assert defaults == DatabaseTimeouts(connect_s=3, statement_ms=5000, busy_s=5.0)
    assert defaults.busy_s < 30  # SQLite waited 30 s before
    monkeypatch.setenv("RECSYS_DB_CONNECT_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("RECSYS_DB_STATEMENT_TIMEOUT_MS", "250")
    monkeypatch.setenv("RECSYS_SQLITE_BUSY_TIMEOUT_SECONDS", "0.5")
    assert DatabaseTimeouts.from_settings(Settings()) == DatabaseTimeouts(2, 250, 0.5)
    for name in ("db_connect_timeout_seconds", "db_statement_timeout_ms", "sqlite_busy_timeout_seconds",
                 "db_retry_seconds", "feedback_spool_max_bytes"):
        assert Settings.model_fields[name].description


def test_a_statement_on_a_hung_postgresql_is_cancelled_by_the_statement_timeout(postgres_url: str) -> None:
    store = Store(postgres_url, DatabaseTimeouts(connect_s=2, statement_ms=300))
    store.migrate()
    started = time.monotonic()
    with pytest.raises(OperationalError, match="statement timeout"), store.engine.connect() as conn:
        conn.execute(text("SELECT pg_sleep(5)"))
    assert time.monotonic() - started < 2.0
    store.engine.dispose()


def test_a_table_locked_by_another_session_fails_the_read_after_the_statement_timeout(postgres_url: str) -> None:
    store = Store(postgres_url, DatabaseTimeouts(connect_s=2, statement_ms=300))
    store.migrate()  # migrating lifts the timeout for its own transaction only
    holder = create_engine(postgres_url).connect()
    holder.execute(text("LOCK TABLE items IN ACCESS EXCLUSIVE MODE"))
    release = threading.Timer(6.0, holder.rollback)  # without a timeout the read would wait for this
    release.start()
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError):
            store.count_items()
        assert time.monotonic() - started < 2.0
    finally:
        release.cancel()
        release.join()
        holder.rollback()
        holder.close()
        store.engine.dispose()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (closed after 20 s at the latest)."""
    with accepting_silently(close_after_s=20.0) as port:
        yield port


def test_a_port_that_accepts_and_never_answers_fails_after_the_connect_timeout(silent_port: int) -> None:
    store = Store(f"postgresql+psycopg://recsys@127.0.0.1:{silent_port}/recsys", DatabaseTimeouts(connect_s=2))
    started = time.monotonic()
    with pytest.raises(DBAPIError):
        store.count_items()
    assert time.monotonic() - started < 6.0  # libpq's 2 s, tried once per resolved address
    store.engine.dispose()


def test_sqlite_waits_for_a_locked_database_only_as_long_as_its_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    store = Store(url, DatabaseTimeouts(busy_s=0.3))
    store.migrate()
    holder = create_engine(url).connect()
    holder.exec_driver_sql("BEGIN IMMEDIATE")  # another process's write transaction
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            store.ensure_user_session("u1", "u1")
        assert time.monotonic() - started < 2.0
    finally:
        holder.rollback()
        holder.close()
        store.engine.dispose()


def test_reads_for_training_and_bulk_imports_are_not_cut_off_by_the_statement_timeout(postgres_url: str) -> None:
    """The retrain reads the whole log and an import writes it in one transaction: they may wait
    longer than a conversation would (here: 1.5 s for a lock, with a 300 ms statement timeout)."""
    store = Store(postgres_url, DatabaseTimeouts(connect_s=2, statement_ms=300))
    store.migrate()
    holder = create_engine(postgres_url).connect()
    holder.execute(text("LOCK TABLE feedback_events IN ACCESS EXCLUSIVE MODE"))
    release = threading.Timer(1.5, holder.rollback)
    release.start()
    try:
        with pytest.raises(OperationalError):
            store.count_feedback()  # a conversation's kind of read gives up
        assert store.feedback_log().last_id == 0  # the retrain's read waited for the lock
    finally:
        release.cancel()
        release.join()
        holder.rollback()
        holder.close()
        store.engine.dispose()
