"""Faults made real for the tests and the fault benchmarks: a database that is down, one that accepts
and never answers, tables locked by another session. Importable from every test folder
(`from fault_injection import ...`) and from benchmarks/ (tests/ on sys.path). Nothing is mocked:
a closed port, a listening socket that never speaks, a PostgreSQL session holding locks.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from recommender.store import Store
from recommender.store.db import DatabaseTimeouts, make_engine

CLOSED_PORT_URL = "postgresql+psycopg://recsys@127.0.0.1:1/recsys"  # nothing listens on port 1
TURN_TABLES = "users, sessions, feedback_events, impressions, recommendation_requests"  # what a turn writes


def seed_store(store: Store) -> None:
    """The small catalog and ratings of tests/recommender/conftest.py, into any store (its fixtures are SQLite's)."""
    path = Path(__file__).resolve().parent / "recommender" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_recommender_test_catalog", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.seed_store(store)


@contextmanager
def store_at(store: Store, url: str, timeouts: DatabaseTimeouts) -> Iterator[None]:
    """The store talks to `url` (a dead or silent database) until the block ends, then to its own again."""
    engine, sessions = store.engine, store._sessions
    store.engine = make_engine(url, timeouts)
    store._sessions = sessionmaker(store.engine, expire_on_commit=False)
    try:
        yield
    finally:
        store.engine.dispose()
        store.engine, store._sessions = engine, sessions


@contextmanager
def database_down(store: Store) -> Iterator[None]:
    """The store's database refuses connections until the block ends."""
    with store_at(store, CLOSED_PORT_URL, DatabaseTimeouts(connect_s=1)):
        yield


@contextmanager
def silent_port(close_after_s: float = 30.0) -> Iterator[int]:
    """A TCP port on loopback that accepts connections and never answers (closed after `close_after_s`
    at the latest, so a client without a timeout cannot hang the suite)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    stop, accepted = threading.Event(), []

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    timer = threading.Timer(close_after_s, stop.set)
    timer.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        timer.cancel()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


@contextmanager
def locked(url: str, tables: str = TURN_TABLES) -> Iterator[None]:
    """Another PostgreSQL session holds ACCESS EXCLUSIVE locks on `tables` until the block ends."""
    engine = create_engine(url)
    holder = engine.connect()
    holder.execute(text(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE"))
    try:
        yield
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()


@contextmanager
def scratch_postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database beside `admin_url`'s (for a benchmark run); its URL; dropped after."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"recsys_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
