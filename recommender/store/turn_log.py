"""The turn log: each recommendation request, the items it showed, and what the LLM worked on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update

from recommender.store.db import lift_statement_timeout, session_scope
from recommender.store.models import (
    FeedbackEventRow,
    ImpressionRow,
    RecommendationRequestRow,
)
from recommender.store.records import (
    LoggedTurn,
    ShownItem,
)
from recommender.store.tables import TableGroup


class TurnLog(TableGroup):
    """Recommendation requests and impressions."""

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
            lift_statement_timeout(session)  # for the retrain: allowed to take long
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

    def request_model_version(self, request_id: str) -> str | None:
        """The model version that answered a logged recommendation request (None when not logged)."""
        stmt = select(RecommendationRequestRow.model_version).where(RecommendationRequestRow.request_id == request_id)
        with session_scope(self._sessions) as session:
            return session.scalar(stmt)
