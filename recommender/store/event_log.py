"""The feedback log: events in, arrays out for training, a user's events, forgetting and retention."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from recommender.store.db import lift_statement_timeout, session_scope
from recommender.store.models import (
    Base,
    FeedbackEventRow,
    ImpressionRow,
    RecommendationRequestRow,
    SessionRow,
    StoreCounterRow,
    UserRow,
    utcnow,
)
from recommender.store.records import (
    ConversationEvent,
    FeedbackLog,
    Interactions,
    epoch_seconds,
    interactions_from_rows,
)
from recommender.store.tables import TableGroup

_USERS_FORGOTTEN = "users_forgotten"


class EventLog(TableGroup):
    """Feedback events: write one, read them all or one user's, forget a user, purge old chat."""

    def load_interactions(self, since: datetime | None = None) -> Interactions:
        """All feedback events (imported and live) as arrays, oldest first."""
        stmt = select(
            FeedbackEventRow.user_id,
            FeedbackEventRow.item_id,
            FeedbackEventRow.kind,
            FeedbackEventRow.value,
            FeedbackEventRow.created_at,
        ).order_by(FeedbackEventRow.created_at, FeedbackEventRow.id)
        if since is not None:
            stmt = stmt.where(FeedbackEventRow.created_at >= since)
        with session_scope(self._sessions) as session:
            lift_statement_timeout(session)  # the whole log, for training: allowed to take long
            rows = session.execute(stmt).all()
        return interactions_from_rows(rows)  # type: ignore[arg-type]

    def feedback_log(self, upto_id: int | None = None) -> FeedbackLog:
        """Every feedback event with id <= `upto_id` (default: all), oldest first, with the event ids.

        The retrain job reads the log this way so that "what the model was trained on" and "what
        is new since" are cut at one exact event id.
        """
        stmt = select(
            FeedbackEventRow.id, FeedbackEventRow.user_id, FeedbackEventRow.item_id, FeedbackEventRow.kind,
            FeedbackEventRow.value, FeedbackEventRow.created_at,
        ).order_by(FeedbackEventRow.created_at, FeedbackEventRow.id)
        if upto_id is not None:
            stmt = stmt.where(FeedbackEventRow.id <= upto_id)
        with session_scope(self._sessions) as session:
            lift_statement_timeout(session)  # the whole log, for the retrain: allowed to take long
            rows = session.execute(stmt).all()
        if not rows:
            return FeedbackLog(interactions_from_rows([]), np.array([], dtype=np.int64), 0)
        ids = [row[0] for row in rows]
        events = interactions_from_rows([tuple(row[1:]) for row in rows])  # type: ignore[misc]
        id_array = np.asarray(ids, dtype=np.int64)
        return FeedbackLog(events, id_array, int(id_array.max()))

    def conversation_events(
        self, since: datetime | None = None, session_id: str | None = None
    ) -> list[ConversationEvent]:
        """Impressions and conversational feedback (with a session or request id), in time order.

        Sessions are keyed by session id (the user id where a row has none); at equal times
        impressions come before feedback, impressions in list position order. `session_id` reads
        that one session only; `since` drops older events. `recommender.models.action_log` turns
        them into the behaviour model's action sequences.
        """
        impressions_stmt = select(
            ImpressionRow.id, ImpressionRow.session_id, ImpressionRow.user_id, ImpressionRow.item_id,
            ImpressionRow.position, ImpressionRow.created_at,
        ).order_by(ImpressionRow.created_at, ImpressionRow.position, ImpressionRow.id)
        feedback_stmt = (
            select(
                FeedbackEventRow.id, FeedbackEventRow.session_id, FeedbackEventRow.user_id, FeedbackEventRow.item_id,
                FeedbackEventRow.kind, FeedbackEventRow.created_at,
            )
            .where((FeedbackEventRow.session_id.is_not(None)) | (FeedbackEventRow.request_id.is_not(None)))
            .order_by(FeedbackEventRow.created_at, FeedbackEventRow.id)
        )
        if since is not None:
            impressions_stmt = impressions_stmt.where(ImpressionRow.created_at >= since)
            feedback_stmt = feedback_stmt.where(FeedbackEventRow.created_at >= since)
        if session_id is not None:
            impressions_stmt = impressions_stmt.where(
                func.coalesce(ImpressionRow.session_id, ImpressionRow.user_id) == session_id)
            feedback_stmt = feedback_stmt.where(
                func.coalesce(FeedbackEventRow.session_id, FeedbackEventRow.user_id) == session_id)
        with session_scope(self._sessions) as session:
            if session_id is None:  # every session, for training (one session is a turn's quick read)
                lift_statement_timeout(session)
            impressions = session.execute(impressions_stmt).all()
            feedback = session.execute(feedback_stmt).all()
        events = [
            ConversationEvent(epoch_seconds(r.created_at), r.session_id or r.user_id, r.item_id, None, r.position, r.id)
            for r in impressions
        ] + [
            ConversationEvent(epoch_seconds(r.created_at), r.session_id or r.user_id, r.item_id, r.kind, 0, r.id)
            for r in feedback
        ]
        events.sort(key=lambda e: (e.timestamp, e.kind is not None, e.position, e.row_id))
        return events

    def add_feedback(
        self,
        *,
        user_id: str,
        item_id: str,
        kind: str,
        value: float | None = None,
        request_id: str | None = None,
        session_id: str | None = None,
        source: str = "chat",
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> bool:
        """Store one feedback event; False when an event with `idempotency_key` is already stored.

        The key makes the write idempotent on SQLite and PostgreSQL alike (INSERT ... ON CONFLICT
        DO NOTHING on its unique index): a press delivered twice, or a spooled event replayed
        after its first write did commit, is stored once. `created_at` keeps a replayed event's
        original time (default: now).
        """
        with session_scope(self._sessions) as session:
            _insert_ignoring_conflict(session, UserRow, {"user_id": user_id, "source": source}, "user_id")
            row: dict[str, object] = {
                "user_id": user_id, "item_id": item_id, "kind": kind, "value": value, "request_id": request_id,
                "session_id": session_id, "source": source, "created_at": created_at or utcnow(),
                "idempotency_key": idempotency_key,
            }
            if idempotency_key is None:
                session.execute(insert(FeedbackEventRow).values(**row))
                return True
            return _insert_ignoring_conflict(session, FeedbackEventRow, row, "idempotency_key")

    def count_feedback(self, user_id: str | None = None, source: str | None = None) -> int:
        """Number of feedback events, optionally of one user or source."""
        stmt = select(func.count()).select_from(FeedbackEventRow)
        if user_id is not None:
            stmt = stmt.where(FeedbackEventRow.user_id == user_id)
        if source is not None:
            stmt = stmt.where(FeedbackEventRow.source == source)
        with session_scope(self._sessions) as session:
            return int(session.scalar(stmt) or 0)

    def user_feedback(self, user_id: str) -> list[tuple[str, str, float | None]]:
        """A user's feedback events as (item id, kind, value), oldest first (`recommender.profile` folds them)."""
        stmt = (
            select(FeedbackEventRow.item_id, FeedbackEventRow.kind, FeedbackEventRow.value)
            .where(FeedbackEventRow.user_id == user_id)
            .order_by(FeedbackEventRow.created_at, FeedbackEventRow.id)
        )
        with session_scope(self._sessions) as session:
            return [(item, kind, value) for item, kind, value in session.execute(stmt).all()]

    def forget_user(self, user_id: str) -> dict[str, int]:
        """Delete every row about a user; returns how many rows went from each table.

        When a user row went, the `users_forgotten` counter rises in the same transaction, so
        a reader that sees the old count knows nobody was forgotten since (see
        `users_forgotten_count`).
        """
        tables = (FeedbackEventRow, ImpressionRow, RecommendationRequestRow, SessionRow, UserRow)
        counts: dict[str, int] = {}
        with session_scope(self._sessions) as session:
            for table in tables:
                result = session.execute(delete(table).where(table.user_id == user_id))
                counts[table.__tablename__] = int(result.rowcount or 0)  # type: ignore[attr-defined]
            users_deleted = counts[UserRow.__tablename__]
            if users_deleted:
                bumped = session.execute(
                    update(StoreCounterRow)
                    .where(StoreCounterRow.name == _USERS_FORGOTTEN)
                    .values(value=StoreCounterRow.value + users_deleted)
                )
                if not bumped.rowcount:  # type: ignore[attr-defined]  # the row migration 0005 seeds is gone
                    session.add(StoreCounterRow(name=_USERS_FORGOTTEN, value=users_deleted))
        return counts

    def users_forgotten_count(self) -> int:
        """How many users "forget me" has deleted so far (only the count is kept, no ids).

        One primary-key read: a serving process compares it with the count it saw when it last
        checked its trained users, and asks about them again only when it changed.
        """
        stmt = select(StoreCounterRow.value).where(StoreCounterRow.name == _USERS_FORGOTTEN)
        with session_scope(self._sessions) as session:
            return int(session.scalar(stmt) or 0)

    def purge_raw_events(self, before: datetime) -> dict[str, int]:
        """Delete raw chat events older than `before`; returns how many rows went from each table.

        Raw chat events are feedback from source "chat", impressions, recommendation requests and
        sessions last seen before `before`. Imported datasets (any other feedback source), users,
        items and model versions are kept. One transaction.
        """
        counts: dict[str, int] = {}
        statements = (
            ("impressions", delete(ImpressionRow).where(ImpressionRow.created_at < before)),
            ("recommendation_requests",
             delete(RecommendationRequestRow).where(RecommendationRequestRow.created_at < before)),
            ("feedback_events",
             delete(FeedbackEventRow).where(FeedbackEventRow.source == "chat", FeedbackEventRow.created_at < before)),
            ("sessions", delete(SessionRow).where(SessionRow.last_seen_at < before)),
        )
        with session_scope(self._sessions) as session:
            lift_statement_timeout(session)  # maintenance, allowed to take long
            for name, stmt in statements:
                counts[name] = int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
        return counts

    def last_feedback_id(self) -> int:
        """The id of the newest feedback event (0 when there is none): a retrain's watermark."""
        with session_scope(self._sessions) as session:
            return int(session.scalar(select(func.max(FeedbackEventRow.id))) or 0)


def _insert_ignoring_conflict(session: Session, table: type[Base], values: dict[str, object], unique: str) -> bool:
    """INSERT ... ON CONFLICT (`unique`) DO NOTHING on PostgreSQL and SQLite; True when a row went in."""
    dialect = session.get_bind().dialect.name
    column = getattr(table, unique)
    if dialect in ("postgresql", "sqlite"):
        insert_for = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # RETURNING says whether a row went in (rowcount is not reliable here on psycopg 3)
        stmt = insert_for(table).values(**values).on_conflict_do_nothing(index_elements=[unique]).returning(column)
        return session.execute(stmt).first() is not None
    # another engine: look first (not atomic, but no engine of this project gets here)
    if session.scalar(select(func.count()).select_from(table).where(column == values[unique])):
        return False
    session.execute(insert(table).values(**values))
    return True
