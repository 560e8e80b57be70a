"""Engine creation, migrations and the one `session_scope()` context manager."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from recommender.config import Settings

# A database that is down, hung past its timeouts or out of connections: what the turn path
# survives (answering from the loaded model) and what sends feedback to the spool.
DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, PoolTimeoutError)


def database_unavailable(exc: BaseException) -> bool:
    """Whether a database error means "not now" (down, hung past a timeout, no connection) rather
    than "never" (a constraint or a value the database refuses, which retrying cannot fix)."""
    if isinstance(exc, PoolTimeoutError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    return isinstance(exc, (OperationalError, InterfaceError)) or bool(exc.connection_invalidated)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK_KEY = 0x7265637379730001  # pg_advisory_xact_lock key held while migrating ("recsys" + 1)
MIGRATION_LOCK_TIMEOUT_SECONDS = 300  # how long a SQLite migration waits for another process's


@dataclass(frozen=True)
class DatabaseTimeouts:
    """How long the database may keep a caller waiting (the `Settings` of the same names).

    PostgreSQL: `connect_s` bounds connecting (libpq `connect_timeout`) and the wait for a pooled
    connection; `statement_ms` is every session's `statement_timeout` (0: none). SQLite: `busy_s`
    is how long a write waits for another process's lock.
    """

    connect_s: int = 3
    statement_ms: int = 5000
    busy_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DatabaseTimeouts:
        """The timeouts the settings ask for."""
        return cls(settings.db_connect_timeout_seconds, settings.db_statement_timeout_ms,
                   settings.sqlite_busy_timeout_seconds)


def make_engine(url: str, timeouts: DatabaseTimeouts | None = None) -> Engine:
    """An engine for `url` with `timeouts`: SQLite gets foreign keys, WAL and a busy timeout for two
    processes; PostgreSQL a connect timeout, a statement timeout and pre-ping."""
    timeouts = timeouts or DatabaseTimeouts()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": timeouts.busy_s})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    connect_args: dict[str, object] = {}
    if make_url(url).get_backend_name() == "postgresql":
        connect_args = {
            "connect_timeout": max(1, int(timeouts.connect_s)),
            "options": f"-c statement_timeout={int(timeouts.statement_ms)}",
        }
    return create_engine(url, pool_pre_ping=True, pool_timeout=float(timeouts.connect_s), connect_args=connect_args)


def lift_statement_timeout(connection: Connection | Session) -> None:
    """No statement timeout for the rest of this transaction (PostgreSQL; nothing elsewhere).

    For bulk maintenance that is allowed to take long (imports, purges, migrations waiting for
    another process's migration lock), not for anything a conversation waits on.
    """
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    if bind.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL statement_timeout = 0"))


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
            lift_statement_timeout(connection)  # waiting for another replica's migration is not a hang
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
