"""`Store`: the only code that sees a SQLAlchemy Session. Everything else gets plain values."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from recommender.config import Settings, get_settings
from recommender.store.db import make_engine, session_scope, upgrade_to_head
from recommender.store.models import (
    FeedbackEventRow,
    ImpressionRow,
    ItemRow,
    ModelVersionRow,
    RecommendationRequestRow,
    SessionRow,
    StoreCounterRow,
    UserRow,
    utcnow,
)
from recommender.types import Item

logger = logging.getLogger(__name__)

_BATCH = 5000
_USERS_FORGOTTEN = "users_forgotten"


@dataclass(frozen=True)
class Interactions:
    """Explicit and implicit interactions as parallel arrays, ready for training."""

    user_ids: np.ndarray  # str
    item_ids: np.ndarray  # str
    kinds: np.ndarray  # str
    values: np.ndarray  # float, NaN when the kind has no value
    timestamps: np.ndarray  # float seconds since epoch

    def __len__(self) -> int:
        return len(self.user_ids)


@dataclass(frozen=True)
class FeedbackLog:
    """The feedback log up to one event id: the events as `Interactions` plus each event's id."""

    events: Interactions
    ids: np.ndarray  # int64, aligned with `events`
    last_id: int  # the newest id read (0 for an empty log)


@dataclass(frozen=True)
class ShownItem:
    """One impression to log."""

    item_id: str
    position: int
    score: float
    reason: str


@dataclass(frozen=True)
class ConversationEvent:
    """An impression (`kind` None) or a feedback event of a conversation, as logged."""

    timestamp: float  # seconds since epoch
    session: str
    item_id: str
    kind: str | None
    position: int  # list position of an impression, 0 for feedback
    row_id: int


@dataclass(frozen=True)
class LoggedTurn:
    """One logged recommendation turn: its query log, the items shown (by position) and their feedback."""

    request_id: str
    query: Mapping[str, Any]
    shown: tuple[str, ...]
    feedback: tuple[tuple[str, str, float | None], ...]  # (item id, kind, value), oldest first


@dataclass(frozen=True)
class ModelVersion:
    """One row of `model_versions`, as a plain value."""

    version: str
    status: str  # "published" | "rejected"
    path: str
    trained_on_events: int
    last_event_id: int
    train_seconds: float
    metrics: Mapping[str, Any]
    reason: str
    created_at: datetime


def _model_version(row: ModelVersionRow) -> ModelVersion:
    return ModelVersion(
        version=row.version, status=row.status, path=row.path, trained_on_events=row.trained_on_events,
        last_event_id=row.last_event_id, train_seconds=row.train_seconds, metrics=dict(row.metrics or {}),
        reason=row.reason or "", created_at=row.created_at,
    )


@dataclass(frozen=True)
class ImportCounts:
    """What `Store.import_dataset` wrote."""

    items_inserted: int = 0
    items_updated: int = 0
    users_inserted: int = 0
    feedback_deleted: int = 0
    feedback_inserted: int = 0


def _report(on_progress: Callable[[int], None] | None, n: int) -> None:
    if on_progress is not None:
        on_progress(n)


def item_from_row(row: ItemRow) -> Item:
    """Convert an ORM row into the immutable value the rest of the code uses."""
    return Item(
        item_id=row.item_id,
        title=row.title,
        year=row.year,
        genres=tuple(row.genres or ()),
        people=tuple(row.people or ()),
        description=row.description or "",
        url=row.url or "",
        popularity=row.popularity,
    )


class Store:
    """Reads and writes the catalog, users, sessions, impressions and feedback."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.engine = make_engine(database_url)
        self._sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    # -- schema --------------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest migration."""
        upgrade_to_head(self.engine)

    # -- catalog -------------------------------------------------------------------------
    def upsert_items(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert or replace items by `item_id` in one transaction; returns how many were written."""
        with session_scope(self._sessions) as session:
            existing = set(session.scalars(select(ItemRow.item_id)))
            new = [dict(r) for r in rows if r["item_id"] not in existing]
            for start in range(0, len(new), _BATCH):
                session.execute(insert(ItemRow), new[start : start + _BATCH])
            for r in rows:
                if r["item_id"] in existing:
                    session.merge(ItemRow(**r))
        return len(rows)

    def upsert_users(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert users that do not exist yet (imported dataset users keep their attributes)."""
        with session_scope(self._sessions) as session:
            existing = set(session.scalars(select(UserRow.user_id)))
            new = [dict(r) for r in rows if r["user_id"] not in existing]
            for start in range(0, len(new), _BATCH):
                session.execute(insert(UserRow), new[start : start + _BATCH])
        return len(new)

    def add_feedback_bulk(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Bulk-insert imported interactions (e.g. MovieLens ratings) in one transaction."""
        with session_scope(self._sessions) as session:
            for start in range(0, len(rows), _BATCH):
                session.execute(insert(FeedbackEventRow), [dict(r) for r in rows[start : start + _BATCH]])
        return len(rows)

    def delete_feedback_from_source(self, source: str) -> int:
        """Remove imported interactions of one source, so a re-import does not double them."""
        with session_scope(self._sessions) as session:
            result = session.execute(delete(FeedbackEventRow).where(FeedbackEventRow.source == source))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def import_dataset(
        self,
        *,
        items: Sequence[Mapping[str, Any]],
        users: Sequence[Mapping[str, Any]] = (),
        feedback: Sequence[Mapping[str, Any]] = (),
        feedback_source: str | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> ImportCounts:
        """Write a whole imported dataset in ONE transaction, so a failure leaves the old data intact.

        Items are inserted or updated by `item_id` (never deleted, so chat feedback keeps its items);
        users are inserted when new. With `feedback_source`, that source's earlier feedback is deleted
        before `feedback` is inserted, so a re-import replaces instead of doubling; other sources
        (chat feedback) are untouched. `on_progress(n)` is called after each batch of n rows.
        """
        now = utcnow()
        with session_scope(self._sessions) as session:
            existing = set(session.scalars(select(ItemRow.item_id)))
            new_items = [{**r, "updated_at": now} for r in items if r["item_id"] not in existing]
            old_items = [{**r, "updated_at": now} for r in items if r["item_id"] in existing]
            for start in range(0, len(new_items), _BATCH):
                session.execute(insert(ItemRow), new_items[start : start + _BATCH])
                _report(on_progress, len(new_items[start : start + _BATCH]))
            for start in range(0, len(old_items), _BATCH):
                session.execute(update(ItemRow), old_items[start : start + _BATCH])
                _report(on_progress, len(old_items[start : start + _BATCH]))
            known_users = set(session.scalars(select(UserRow.user_id)))
            new_users = [dict(r) for r in users if r["user_id"] not in known_users]
            for start in range(0, len(new_users), _BATCH):
                session.execute(insert(UserRow), new_users[start : start + _BATCH])
            deleted = 0
            if feedback_source is not None:
                result = session.execute(delete(FeedbackEventRow).where(FeedbackEventRow.source == feedback_source))
                deleted = int(result.rowcount or 0)  # type: ignore[attr-defined]
            for start in range(0, len(feedback), _BATCH):
                batch = [dict(r) for r in feedback[start : start + _BATCH]]
                session.execute(insert(FeedbackEventRow), batch)
                _report(on_progress, len(batch))
        return ImportCounts(
            items_inserted=len(new_items),
            items_updated=len(old_items),
            users_inserted=len(new_users),
            feedback_deleted=deleted,
            feedback_inserted=len(feedback),
        )

    def count_users(self, source: str | None = None) -> int:
        """Number of users, optionally of one source ("chat", "movielens", ...)."""
        stmt = select(func.count()).select_from(UserRow)
        if source is not None:
            stmt = stmt.where(UserRow.source == source)
        with session_scope(self._sessions) as session:
            return int(session.scalar(stmt) or 0)

    def existing_users(self, user_ids: Iterable[str], created_before: datetime | None = None) -> set[str]:
        """Which of `user_ids` still have a user row (a forgotten user has none).

        With `created_before`, only rows created at or before it count: a forgotten user who came
        back later has a new row, and is not the user a model trained before that knew.
        """
        wanted = list(dict.fromkeys(user_ids))
        found: set[str] = set()
        with session_scope(self._sessions) as session:
            for start in range(0, len(wanted), _BATCH):
                stmt = select(UserRow.user_id).where(UserRow.user_id.in_(wanted[start : start + _BATCH]))
                if created_before is not None:
                    stmt = stmt.where(UserRow.created_at <= created_before)
                found.update(session.scalars(stmt))
        return found

    def load_items(self) -> list[Item]:
        """Every catalog item, ordered by id."""
        with session_scope(self._sessions) as session:
            return [item_from_row(r) for r in session.scalars(select(ItemRow).order_by(ItemRow.item_id))]

    def get_item(self, item_id: str) -> Item | None:
        """One item, or None when the id is not in the catalog."""
        with session_scope(self._sessions) as session:
            row = session.get(ItemRow, item_id)
            return item_from_row(row) if row else None

    def count_items(self) -> int:
        """Number of catalog items."""
        with session_scope(self._sessions) as session:
            return int(session.scalar(select(func.count()).select_from(ItemRow)) or 0)

    def catalog_fingerprint(self) -> tuple[int, str]:
        """(item count, newest item update): changes whenever the catalog is re-imported."""
        with session_scope(self._sessions) as session:
            count = session.scalar(select(func.count()).select_from(ItemRow)) or 0
            newest = session.scalar(select(func.max(ItemRow.updated_at)))
            return int(count), str(newest)

    # -- interactions ----------------------------------------------------------------------
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
            rows = session.execute(stmt).all()
        if not rows:
            empty = np.array([], dtype=object)
            return Interactions(empty, empty, empty, np.array([], dtype=float), np.array([], dtype=float))
        users, items, kinds, values, times = zip(*rows, strict=True)
        return Interactions(
            user_ids=np.asarray(users, dtype=object),
            item_ids=np.asarray(items, dtype=object),
            kinds=np.asarray(kinds, dtype=object),
            values=np.asarray([np.nan if v is None else v for v in values], dtype=float),
            timestamps=np.asarray([_epoch_seconds(t) for t in times], dtype=float),
        )

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
            impressions = session.execute(impressions_stmt).all()
            feedback = session.execute(feedback_stmt).all()
        events = [
            ConversationEvent(_epoch_seconds(r.created_at), r.session_id or r.user_id, r.item_id, None, r.position, r.id)
            for r in impressions
        ] + [
            ConversationEvent(_epoch_seconds(r.created_at), r.session_id or r.user_id, r.item_id, r.kind, 0, r.id)
            for r in feedback
        ]
        events.sort(key=lambda e: (e.timestamp, e.kind is not None, e.position, e.row_id))
        return events

    # -- users and sessions ------------------------------------------------------------------
    def ensure_user_session(self, user_id: str, session_id: str | None) -> None:
        """Create the user (and session) rows on first sight; touch the session otherwise."""
        with session_scope(self._sessions) as session:
            if session.get(UserRow, user_id) is None:
                session.add(UserRow(user_id=user_id, source="chat"))
                session.flush()
            if session_id is not None:
                row = session.get(SessionRow, session_id)
                if row is None:
                    session.add(SessionRow(session_id=session_id, user_id=user_id))
                else:
                    row.last_seen_at = utcnow()

    # -- logging turns -----------------------------------------------------------------------
    def log_recommendation(
        self,
        *,
        request_id: str,
        user_id: str,
        session_id: str | None,
        query: Mapping[str, Any],
        model_version: str,
        shown: Iterable[ShownItem],
        latency_ms: float | None = None,
        prompt_version: str | None = None,
    ) -> None:
        """Write the request and one impression per shown item, in one transaction."""
        with session_scope(self._sessions) as session:
            session.add(
                RecommendationRequestRow(
                    request_id=request_id,
                    user_id=user_id,
                    session_id=session_id,
                    query=dict(query),
                    model_version=model_version,
                    prompt_version=prompt_version,
                    latency_ms=latency_ms,
                )
            )
            session.flush()
            for s in shown:
                session.add(
                    ImpressionRow(
                        request_id=request_id,
                        user_id=user_id,
                        session_id=session_id,
                        item_id=s.item_id,
                        position=s.position,
                        score=s.score,
                        reason=s.reason,
                        model_version=model_version,
                        prompt_version=prompt_version,
                    )
                )

    def logged_llm_turns(self, limit: int = 20000) -> list[LoggedTurn]:
        """The newest `limit` turns an LLM prompt worked on: the logged query, shown items and their feedback."""
        requests_stmt = (
            select(RecommendationRequestRow.request_id, RecommendationRequestRow.query)
            .where(RecommendationRequestRow.prompt_version.is_not(None))
            .order_by(RecommendationRequestRow.created_at.desc())
            .limit(limit)
        )
        with session_scope(self._sessions) as session:
            rows = [(rid, dict(q or {})) for rid, q in session.execute(requests_stmt)]
            ids = [rid for rid, _ in rows]
            shown: dict[str, list[str]] = {rid: [] for rid in ids}
            feedback: dict[str, list[tuple[str, str, float | None]]] = {rid: [] for rid in ids}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for rid, item_id in session.execute(
                    select(ImpressionRow.request_id, ImpressionRow.item_id)
                    .where(ImpressionRow.request_id.in_(chunk))
                    .order_by(ImpressionRow.request_id, ImpressionRow.position)
                ):
                    shown[rid].append(item_id)
                for fed_rid, item_id, kind, value in session.execute(
                    select(FeedbackEventRow.request_id, FeedbackEventRow.item_id, FeedbackEventRow.kind,
                           FeedbackEventRow.value)
                    .where(FeedbackEventRow.request_id.in_(chunk))
                    .order_by(FeedbackEventRow.created_at, FeedbackEventRow.id)
                ):
                    if fed_rid is not None:
                        feedback[fed_rid].append((item_id, kind, value))
        return [LoggedTurn(rid, query, tuple(shown[rid]), tuple(feedback[rid])) for rid, query in rows]

    def impressions(self, request_id: str) -> list[ShownItem]:
        """The items shown for one request, by position."""
        stmt = select(ImpressionRow).where(ImpressionRow.request_id == request_id).order_by(ImpressionRow.position)
        with session_scope(self._sessions) as session:
            return [ShownItem(r.item_id, r.position, r.score, r.reason) for r in session.scalars(stmt)]

    def update_impression_reasons(self, request_id: str, reasons: Mapping[str, str]) -> int:
        """Replace the logged reasons of a request's items (a late LLM message showed other words)."""
        updated = 0
        with session_scope(self._sessions) as session:
            for item_id, reason in reasons.items():
                result = session.execute(
                    update(ImpressionRow)
                    .where(ImpressionRow.request_id == request_id, ImpressionRow.item_id == item_id)
                    .values(reason=reason)
                )
                updated += result.rowcount  # type: ignore[attr-defined]
        return updated

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
    ) -> None:
        """Store one feedback event."""
        with session_scope(self._sessions) as session:
            if session.get(UserRow, user_id) is None:
                session.add(UserRow(user_id=user_id, source=source))
                session.flush()
            session.add(
                FeedbackEventRow(
                    user_id=user_id,
                    item_id=item_id,
                    kind=kind,
                    value=value,
                    request_id=request_id,
                    session_id=session_id,
                    source=source,
                )
            )

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

    def request_model_version(self, request_id: str) -> str | None:
        """The model version that answered a logged recommendation request (None when not logged)."""
        stmt = select(RecommendationRequestRow.model_version).where(RecommendationRequestRow.request_id == request_id)
        with session_scope(self._sessions) as session:
            return session.scalar(stmt)

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
            for name, stmt in statements:
                counts[name] = int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
        return counts

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
            rows = session.execute(stmt).all()
        if not rows:
            empty = np.array([], dtype=object)
            events = Interactions(empty, empty, empty, np.array([], dtype=float), np.array([], dtype=float))
            return FeedbackLog(events, np.array([], dtype=np.int64), 0)
        ids, users, items, kinds, values, times = zip(*rows, strict=True)
        events = Interactions(
            user_ids=np.asarray(users, dtype=object),
            item_ids=np.asarray(items, dtype=object),
            kinds=np.asarray(kinds, dtype=object),
            values=np.asarray([np.nan if v is None else v for v in values], dtype=float),
            timestamps=np.asarray([_epoch_seconds(t) for t in times], dtype=float),
        )
        id_array = np.asarray(ids, dtype=np.int64)
        return FeedbackLog(events, id_array, int(id_array.max()))

    # -- model versions ----------------------------------------------------------------------
    def add_model_version(
        self,
        *,
        version: str,
        status: str,
        path: str,
        trained_on_events: int,
        last_event_id: int,
        train_seconds: float,
        metrics: Mapping[str, Any],
        reason: str,
    ) -> ModelVersion:
        """Record a trained model; a `published` row becomes what every action server serves."""
        if status not in ("published", "rejected"):
            raise ValueError(f"status must be 'published' or 'rejected', got {status!r}")
        with session_scope(self._sessions) as session:
            row = ModelVersionRow(
                version=version, status=status, path=path, trained_on_events=trained_on_events,
                last_event_id=last_event_id, train_seconds=train_seconds, metrics=dict(metrics), reason=reason,
            )
            session.add(row)
            session.flush()
            return _model_version(row)

    def latest_published_version(self) -> ModelVersion | None:
        """The newest published model version, or None before the first publish."""
        stmt = (
            select(ModelVersionRow)
            .where(ModelVersionRow.status == "published")
            .order_by(ModelVersionRow.created_at.desc(), ModelVersionRow.version.desc())
            .limit(1)
        )
        with session_scope(self._sessions) as session:
            row = session.scalars(stmt).first()
            return _model_version(row) if row is not None else None

    def model_versions(self, limit: int = 20) -> list[ModelVersion]:
        """The newest `limit` versions, published or rejected, newest first."""
        stmt = select(ModelVersionRow).order_by(ModelVersionRow.created_at.desc()).limit(limit)
        with session_scope(self._sessions) as session:
            return [_model_version(row) for row in session.scalars(stmt)]

    def withdraw_model_version(self, version: str, reason: str) -> bool:
        """Mark a published version `rejected` (a rollback): the newest older published one serves again.

        Returns False when `version` is not a published version. The reason is appended to the row's.
        """
        with session_scope(self._sessions) as session:
            row = session.get(ModelVersionRow, version)
            if row is None or row.status != "published":
                return False
            row.status = "rejected"
            row.reason = f"{row.reason} | withdrawn: {reason}" if row.reason else f"withdrawn: {reason}"
            return True

    def last_feedback_id(self) -> int:
        """The id of the newest feedback event (0 when there is none): a retrain's watermark."""
        with session_scope(self._sessions) as session:
            return int(session.scalar(select(func.max(FeedbackEventRow.id))) or 0)


def _epoch_seconds(moment: datetime) -> float:
    """Seconds since the epoch; SQLite returns stored UTC times without their zone, so naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@lru_cache(maxsize=4)
def _store_for(url: str) -> Store:
    store = Store(url)
    store.migrate()
    return store


def get_store(settings: Settings | None = None) -> Store:
    """The process-wide store for the configured database, migrated on first use."""
    return _store_for((settings or get_settings()).resolved_database_url)
