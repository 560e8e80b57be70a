"""`PromptStatsStore`: the prompt bandit's state in the database (tables from migration 0002).

Kept beside `Store` (same engine, same `session_scope`) rather than inside it so the bandit's SQL
stays in one short module; like `Store`, it is the only code that sees a Session for its tables.
Counters are changed with `UPDATE ... SET n = n + 1` so replicas sharing PostgreSQL never lose an
increment to a read-modify-write race, and a request is rewarded at most once.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from recommender.feedback import ALWAYS_POSITIVE, RATING
from recommender.store.db import session_scope
from recommender.store.models import (
    FeedbackEventRow,
    PromptAssignmentRow,
    PromptVariantStatsRow,
    RecommendationRequestRow,
    utcnow,
)
from recommender.store.repository import Store
from recommender.types import VariantStats


class PromptStatsStore:
    """A `BanditStore` backed by the recommender database."""

    def __init__(self, store: Store) -> None:
        self._sessions: sessionmaker[Session] = sessionmaker(store.engine, expire_on_commit=False)

    def variant_stats(self, task: str) -> dict[str, VariantStats]:
        """Stats of every variant of `task` seen so far."""
        stmt = select(PromptVariantStatsRow).where(PromptVariantStatsRow.task == task)
        with session_scope(self._sessions) as session:
            return {r.variant: VariantStats(r.task, r.variant, r.pulls, r.successes) for r in session.scalars(stmt)}

    def all_stats(self) -> list[VariantStats]:
        """Every variant of every task, for the report."""
        stmt = select(PromptVariantStatsRow).order_by(PromptVariantStatsRow.task, PromptVariantStatsRow.variant)
        with session_scope(self._sessions) as session:
            return [VariantStats(r.task, r.variant, r.pulls, r.successes) for r in session.scalars(stmt)]

    def logged_versions(self, like_threshold: float) -> dict[str, tuple[int, int]]:
        """From the turn log: prompt_version -> (requests, requests with positive feedback).

        An independent check on the bandit's own counters: it counts every logged turn, including
        ones whose LLM text was rejected, so the two views differ by exactly the fallbacks.
        """
        positive = or_(
            FeedbackEventRow.kind.in_(ALWAYS_POSITIVE),
            and_(FeedbackEventRow.kind == RATING, FeedbackEventRow.value >= like_threshold),
        )
        rewarded = (
            select(FeedbackEventRow.request_id).where(positive, FeedbackEventRow.request_id.is_not(None)).distinct()
        ).subquery()
        stmt = (
            select(
                RecommendationRequestRow.prompt_version,
                func.count(RecommendationRequestRow.request_id),
                func.count(rewarded.c.request_id),
            )
            .outerjoin(rewarded, rewarded.c.request_id == RecommendationRequestRow.request_id)
            .where(RecommendationRequestRow.prompt_version.is_not(None))
            .group_by(RecommendationRequestRow.prompt_version)
        )
        with session_scope(self._sessions) as session:
            return {str(v): (int(n), int(r)) for v, n, r in session.execute(stmt)}

    def record_pull(self, request_id: str, task: str, variant: str) -> bool:
        """Record the assignment and count a pull, once per (request, task)."""
        for _attempt in range(2):
            try:
                with session_scope(self._sessions) as session:
                    session.add(PromptAssignmentRow(request_id=request_id, task=task, variant=variant, rewarded=False))
                    session.flush()
                    self._increment(session, task, variant, pulls=1)
                return True
            except IntegrityError:
                # Either this request was already recorded, or another replica created the variant's
                # stats row between our UPDATE and INSERT; only the second is worth one more try.
                with session_scope(self._sessions) as session:
                    if session.get(PromptAssignmentRow, (request_id, task)) is not None:
                        return False
        return False

    def record_reward(self, request_id: str) -> list[tuple[str, str]]:
        """Mark the request's assignments rewarded and count a success for each, at most once."""
        credited: list[tuple[str, str]] = []
        with session_scope(self._sessions) as session:
            rows = session.execute(
                select(PromptAssignmentRow.task, PromptAssignmentRow.variant).where(
                    PromptAssignmentRow.request_id == request_id, PromptAssignmentRow.rewarded.is_(False)
                )
            ).all()
            for task, variant in rows:
                result = session.execute(
                    update(PromptAssignmentRow)
                    .where(
                        PromptAssignmentRow.request_id == request_id,
                        PromptAssignmentRow.task == task,
                        PromptAssignmentRow.rewarded.is_(False),
                    )
                    .values(rewarded=True)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    self._increment(session, task, variant, successes=1)
                    credited.append((task, variant))
        return credited

    @staticmethod
    def _increment(session: Session, task: str, variant: str, pulls: int = 0, successes: int = 0) -> None:
        where = (PromptVariantStatsRow.task == task, PromptVariantStatsRow.variant == variant)
        result = session.execute(
            update(PromptVariantStatsRow)
            .where(*where)
            .values(
                pulls=PromptVariantStatsRow.pulls + pulls,
                successes=PromptVariantStatsRow.successes + successes,
                updated_at=utcnow(),
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            session.add(PromptVariantStatsRow(task=task, variant=variant, pulls=pulls, successes=successes))
            session.flush()
