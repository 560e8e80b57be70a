"""Engine creation, migrations and the one `session_scope()` context manager."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK_KEY = 0x7265637379730001  # pg_advisory_xact_lock key held while migrating ("recsys" + 1)
MIGRATION_LOCK_TIMEOUT_SECONDS = 300  # how long a SQLite migration waits for another process's


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout for two processes."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def upgrade_to_head(engine: Engine) -> None:
    """Apply every Alembic migration to the database behind `engine` (idempotent).

    One process at a time migrates: replicas starting together on a fresh database would
    otherwise run the same CREATE TABLEs at once, and all but one fail. On PostgreSQL a
    transaction-scoped advisory lock serialises them, on a SQLite file a lock file beside it
    (pysqlite runs DDL outside any transaction). The others wait, then find the schema at head.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with _sqlite_file_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _sqlite_file_lock(engine: Engine) -> AbstractContextManager[object]:
    """An exclusive lock on `<database file>.migrate.lock` for a SQLite file; nothing otherwise."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return nullcontext()
    from filelock import FileLock

    return FileLock(f"{database}.migrate.lock", timeout=MIGRATION_LOCK_TIMEOUT_SECONDS)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def safe_url(url: str) -> str:
    """The database URL with any password hidden, for printing and logs."""
    return make_url(url).render_as_string(hide_password=True)
