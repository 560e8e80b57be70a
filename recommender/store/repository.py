"""`Store`: the only code that sees a SQLAlchemy Session. Everything else gets plain values.

One class over one engine, assembled from table groups that each own a part of the schema:
`CatalogTables` (items, users, sessions), `EventLog` (feedback), `TurnLog` (requests and
impressions) and `VersionTable` (model versions). The values it returns live in `records`.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from recommender.config import Settings, get_settings
from recommender.store.catalog_tables import CatalogTables
from recommender.store.db import DatabaseTimeouts, make_engine, upgrade_to_head
from recommender.store.event_log import EventLog
from recommender.store.records import (
    ConversationEvent,
    FeedbackLog,
    ImportCounts,
    Interactions,
    LoggedTurn,
    ModelVersion,
    ShownItem,
    item_from_row,
)
from recommender.store.turn_log import TurnLog
from recommender.store.version_table import VersionTable

__all__ = [
    "ConversationEvent", "FeedbackLog", "ImportCounts", "Interactions", "LoggedTurn", "ModelVersion",
    "ShownItem", "Store", "get_store", "item_from_row",
]


class Store(CatalogTables, EventLog, TurnLog, VersionTable):
    """Reads and writes the catalog, users, sessions, impressions, feedback and model versions."""

    def __init__(self, database_url: str, timeouts: DatabaseTimeouts | None = None) -> None:
        self.database_url = database_url
        self.engine = make_engine(database_url, timeouts)
        self._sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    def ping(self) -> None:
        """One round trip (`SELECT 1`); raises the database's error when it does not answer."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def migrate(self) -> None:
        """Bring the schema to the newest migration."""
        upgrade_to_head(self.engine)


@lru_cache(maxsize=4)
def _store_for(url: str, timeouts: DatabaseTimeouts) -> Store:
    store = Store(url, timeouts)
    store.migrate()
    return store


def get_store(settings: Settings | None = None) -> Store:
    """The process-wide store for the configured database (with its timeouts), migrated on first use."""
    settings = settings or get_settings()
    return _store_for(settings.resolved_database_url, DatabaseTimeouts.from_settings(settings))
