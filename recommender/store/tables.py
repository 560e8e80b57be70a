"""What every table group of the store shares: the session factory (set by `Store.__init__`)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

BATCH = 5000  # rows per INSERT/UPDATE statement in bulk writes


class TableGroup:
    """Base of the store's table groups; `Store` combines them over one engine."""

    _sessions: sessionmaker[Session]
