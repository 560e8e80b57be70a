"""SQLAlchemy 2 typed models. Schema changes go through Alembic migrations in `migrations/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Unicode,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Timezone-aware now, so SQLite and PostgreSQL store the same thing."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base for every table."""


class ItemRow(Base):
    """A catalog item; `item_id` is the catalog's own id as a string."""

    __tablename__ = "items"

    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(512))
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    genres: Mapped[list[str]] = mapped_column(JSON, default=list)
    people: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(1024), default="")
    popularity: Mapped[float | None] = mapped_column(Float)
    image_url: Mapped[str] = mapped_column(String(1024), default="", server_default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class UserRow(Base):
    """A user: pseudonymous id for chat users (HMAC), `<dataset>:<id>` for imported ones."""

    __tablename__ = "users"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), default="chat")
    age: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[str | None] = mapped_column(String(16))
    occupation: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SessionRow(Base):
    """One conversation of a user."""

    __tablename__ = "sessions"

    session_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RecommendationRequestRow(Base):
    """One recommendation turn: the structured query and the model that answered."""

    __tablename__ = "recommendation_requests"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str | None] = mapped_column(String(128), index=True)
    query: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model_version: Mapped[str] = mapped_column(String(64), default="")
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    latency_ms: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class ImpressionRow(Base):
    """An item shown to a user: position, score, model and prompt version, request id."""

    __tablename__ = "impressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("recommendation_requests.request_id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str | None] = mapped_column(String(128))
    item_id: Mapped[str] = mapped_column(ForeignKey("items.item_id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    model_version: Mapped[str] = mapped_column(String(64), default="")
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class FeedbackEventRow(Base):
    """A click, like, dislike, rating (1-5), bookmark or unbookmark; also imported ratings."""

    __tablename__ = "feedback_events"
    __table_args__ = (
        Index("ix_feedback_user_item", "user_id", "item_id"),
        Index("uq_feedback_events_idempotency_key", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.item_id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    value: Mapped[float | None] = mapped_column(Float)
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)
    session_id: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(32), default="chat")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # one key per button press (`recommender.feedback_key`); a second insert with it is a no-op
    idempotency_key: Mapped[str | None] = mapped_column(String(64))


class PromptVariantStatsRow(Base):
    """Per prompt variant: how often its LLM text was shown (pulls) and got positive feedback."""

    __tablename__ = "prompt_variant_stats"

    task: Mapped[str] = mapped_column(String(32), primary_key=True)
    variant: Mapped[str] = mapped_column(String(64), primary_key=True)
    pulls: Mapped[int] = mapped_column(Integer, default=0)
    successes: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class PromptAssignmentRow(Base):
    """Which variant served a request's task, and whether that request was already rewarded.

    Keyed by the random request id only (no user id), so it holds no personal data and survives
    `forget_user` as an anonymous count.
    """

    __tablename__ = "prompt_assignments"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    task: Mapped[str] = mapped_column(String(32), primary_key=True)
    variant: Mapped[str] = mapped_column(String(64))
    rewarded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class ModelVersionRow(Base):
    """A trained serving model: where its files are, whether it was published, and why.

    The action servers serve the newest `published` row; `rejected` rows keep the evaluation
    that stopped them, so every retrain decision can be audited.
    """

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # published | rejected
    path: Mapped[str] = mapped_column(String(1024))
    trained_on_events: Mapped[int] = mapped_column(Integer, default=0)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    train_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class JobLeaseRow(Base):
    """Which worker holds a scheduled job right now, so only one of several replicas runs it.

    A lease expires `expires_at` unless its holder renews it (a heartbeat while the job runs);
    `last_started_at` lets a replica whose timer fired late see that this slot already ran.
    """

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(128))  # host:pid:random of the holder; None when free
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    acquired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[str] = mapped_column(String(32), default="")


class StoreCounterRow(Base):
    """A named counter the store keeps in step with its own writes.

    `users_forgotten` counts users deleted by "forget me" (no ids kept: only how many), so a
    serving process can see in one read that nobody was forgotten since it last looked instead of
    asking about every user its model was trained on.
    """

    __tablename__ = "store_counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class SchedulerJobRow(Base):
    """APScheduler 3's job store table; `SQLAlchemyJobStore` alone reads and writes it.

    The columns are APScheduler's own. The table is created by a migration, not by the job store
    when a worker starts: two workers starting together on a fresh PostgreSQL database both ran
    the store's CREATE TABLE, and one of them died on a unique violation in the catalog. The job
    store's `checkfirst` now always finds it.
    """

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)
