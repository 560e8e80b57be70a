"""The plain values the store hands out (no ORM row leaves `recommender.store`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from recommender.store.models import ItemRow, ModelVersionRow
from recommender.types import Item


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


def model_version_of(row: ModelVersionRow) -> ModelVersion:
    """The plain value of a `model_versions` row."""
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
        image_url=row.image_url or "",
    )


def epoch_seconds(moment: datetime) -> float:
    """Seconds since the epoch; SQLite returns stored UTC times without their zone, so naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def interactions_from_rows(rows: Sequence[tuple[str, str, str, float | None, datetime]]) -> Interactions:
    """(user, item, kind, value, created_at) rows, oldest first, as `Interactions` (a missing value is NaN)."""
    if not rows:
        empty = np.array([], dtype=object)
        return Interactions(empty, empty, empty, np.array([], dtype=float), np.array([], dtype=float))
    users, items, kinds, values, times = zip(*rows, strict=True)
    return Interactions(
        user_ids=np.asarray(users, dtype=object),
        item_ids=np.asarray(items, dtype=object),
        kinds=np.asarray(kinds, dtype=object),
        values=np.asarray([np.nan if v is None else v for v in values], dtype=float),
        timestamps=np.asarray([epoch_seconds(t) for t in times], dtype=float),
    )
