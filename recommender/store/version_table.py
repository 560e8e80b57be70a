"""Model versions: a retrain records each one; the newest published one is what every replica serves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from recommender.store.db import session_scope
from recommender.store.models import (
    ModelVersionRow,
)
from recommender.store.records import (
    ModelVersion,
    model_version_of,
)
from recommender.store.tables import TableGroup


class VersionTable(TableGroup):
    """Published and rejected model versions."""

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
            return model_version_of(row)

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
            return model_version_of(row) if row is not None else None

    def model_versions(self, limit: int = 20) -> list[ModelVersion]:
        """The newest `limit` versions, published or rejected, newest first."""
        stmt = select(ModelVersionRow).order_by(ModelVersionRow.created_at.desc()).limit(limit)
        with session_scope(self._sessions) as session:
            return [model_version_of(row) for row in session.scalars(stmt)]

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
