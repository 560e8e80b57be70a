"""Tracker stores whose "forget me" also forgets the conversation Rasa keeps.

`action_forget_me` deletes what the recommender stored and ends with `Restarted`. Rasa itself
keeps every earlier event of the conversation in its tracker store (its HTTP API shows them with
`?include_events=ALL`), and Rasa 3.6 has no call to delete them. These stores do it where the
events live: when a saved tracker holds `action_forget_me` followed by a restart, every event of
that sender before the restart is deleted, so the tracker starts again from the restart.

endpoints.yml:

    tracker_store:
      type: rasa_addons.tracker_store.ForgetfulSQLTrackerStore    # SQLite or PostgreSQL
      dialect: "sqlite"
      db: "var/rasa_tracker.db"

or `rasa_addons.tracker_store.ForgetfulInMemoryTrackerStore` (Rasa's default store, in memory).
Events already sent to an event broker are outside the store's reach (docs/security.md).
"""

from __future__ import annotations

import logging
from typing import Any, Optional, Sequence

import sqlalchemy as sa
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, Event, Restarted
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

FORGET_ACTION = "action_forget_me"


def forget_cut(events: Sequence[Event]) -> Optional[int]:
    """Index of the restart that follows the latest `action_forget_me`, None when there is none.

    Everything before it is what the user asked to be forgotten; the restart and what follows is
    the new conversation. No restart after it (the action failed and apologised): nothing is cut.
    """
    forgot_at = None
    for index, event in enumerate(events):
        if isinstance(event, ActionExecuted) and event.action_name == FORGET_ACTION:
            forgot_at = index
    if forgot_at is None:
        return None
    return next((i for i in range(forgot_at + 1, len(events)) if isinstance(events[i], Restarted)), None)


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class ForgetfulSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store (SQLite, PostgreSQL, ...) that deletes a forgotten conversation's rows.

    On SQLite (`make run`'s var/rasa_tracker.db) it keeps its connections open and writes in WAL mode
    with `synchronous=NORMAL`. Rasa reads and commits the tracker on every message; with SQLAlchemy
    1.4's default for SQLite files (a new connection per session, closed after it) and the default
    journal, the fsyncs of those commits and closes took 16-30% of the Rasa server's CPU in a load
    test (py-spy; docs/load.md). With WAL a crash of the process loses nothing; a power cut can
    lose the last commits, never the file. PostgreSQL is left as configured.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            url = self.engine.url
            self.engine.dispose()
            # Rasa calls the store from the server's event loop thread only; the pool keeps connections open
            self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=2, max_overflow=4,
                                           connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _sqlite_wal)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the new events; after a "forget me", delete the sender's rows before its restart."""
        await super().save(tracker)
        if forget_cut(list(tracker.events)) is not None:
            self.delete_before_forget(tracker.sender_id)

    def delete_before_forget(self, sender_id: str) -> int:
        """Delete every stored event of `sender_id` before the restart that follows its latest
        `action_forget_me`; returns how many rows went."""
        event = self.SQLEvent
        with self.session_scope() as session:
            forgot = (
                session.query(sa.func.max(event.id))
                .filter(event.sender_id == sender_id, event.type_name == ActionExecuted.type_name,
                        event.action_name == FORGET_ACTION)
                .scalar()
            )
            if forgot is None:
                return 0
            cut = (
                session.query(sa.func.min(event.id))
                .filter(event.sender_id == sender_id, event.type_name == Restarted.type_name, event.id > forgot)
                .scalar()
            )
            if cut is None:
                return 0
            deleted = int(
                session.query(event)
                .filter(event.sender_id == sender_id, event.id < cut)
                .delete(synchronize_session=False)
            )
            session.commit()
        logger.info("forget me: deleted %d tracker events of one conversation", deleted)
        return deleted


class ForgetfulInMemoryTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory tracker store that drops a forgotten conversation's earlier events."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker; after a "forget me", only from the restart on."""
        events = list(tracker.events)
        cut = forget_cut(events)
        if cut is not None:
            kept = tracker.init_copy()
            for event in events[cut:]:
                kept.update(event)
            logger.info("forget me: dropped %d tracker events of one conversation", cut)
            tracker = kept
        await super().save(tracker)


__all__: Any = ["ForgetfulInMemoryTrackerStore", "ForgetfulSQLTrackerStore", "forget_cut"]
