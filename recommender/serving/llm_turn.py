"""The LLM's part of a turn: what it is told, its re-ranking of the head, its reasons, and the log.

Only used when a backend is configured (`RECSYS_LLM_BACKEND`); every stage ends by the turn's
deadline and falls back to the base ranking and template reasons (`recommender.llm`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from recommender.config import Settings
from recommender.dialogue.state import DialogueState
from recommender.llm import Deadline, ExplainItem, Explanation, FollowUp, LLMPipeline, QuerySummary, RerankResult
from recommender.llm.followup import FollowUpWithdrawn
from recommender.llm.rerank import blend
from recommender.profile import Profile
from recommender.ranking import RankedRow
from recommender.retrieval.bundle import ModelBundle
from recommender.serving.db_guard import DatabaseGuard
from recommender.store.models import utcnow
from recommender.store.repository import Store
from recommender.types import ConversationContext, RecommendedItem

logger = logging.getLogger(__name__)

FollowUpCallback = Callable[[FollowUp], None]


class LLMTurn:
    """Re-rank and explain one turn's items with the LLM pipeline, within a deadline."""

    def __init__(
        self, pipeline: LLMPipeline, store: Store, settings: Settings, guard: DatabaseGuard | None = None
    ) -> None:
        self.pipeline = pipeline
        self.store = store
        self.settings = settings
        self.guard = guard
        # users forgotten by this process (pseudonymous id -> when): their follow-ups still queued or
        # running are never sent; kept only as long as a follow-up can take (the store knows after that)
        self._forgotten: dict[str, float] = {}
        self._forgotten_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether a backend is configured at all."""
        return self.pipeline.enabled

    @property
    def reranking(self) -> bool:
        """Whether this turn's head goes to the LLM for re-ranking."""
        return self.pipeline.enabled and self.settings.llm_rerank

    @property
    def followups_enabled(self) -> bool:
        """Whether a late LLM message may be pushed after the turn (where the channel can push)."""
        return self.pipeline.enabled and self.settings.llm_generate and self.settings.llm_followups

    def query(
        self, bundle: ModelBundle, ctx: ConversationContext, state: DialogueState, profile: Profile,
        described: str, critiques: tuple[str, ...],
    ) -> QuerySummary:
        """What the LLM is told about the user: their words, the state understood, critiques, tastes."""
        index = bundle.index

        def titles(item_ids: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(index.items[index.position[i]].title for i in item_ids if i in index.position)

        understood = replace(
            ctx,
            genres=state.genres + state.genre_options,
            exclude_genres=state.exclude_genres,
            moods=tuple(m.word for m in state.moods),
            people=state.people,
            year_from=state.year_from,
            year_to=state.year_to,
            liked_titles=titles(state.liked_items),
        )
        return QuerySummary.from_context(
            understood, understood=described, critiques=critiques,
            liked_titles=titles(profile.liked), disliked_titles=titles(profile.disliked),
        )

    def rerank(
        self, bundle: ModelBundle, query: QuerySummary, ranked: list[RankedRow], deadline: Deadline
    ) -> tuple[RerankResult, list[tuple[RankedRow, float]]]:
        """LLM scores for the ranked head, blended into the base scores (base order if not applied)."""
        candidates = [(bundle.index.items[r.row], r.score) for r in ranked]
        result = self.pipeline.rerank(query, candidates, deadline=deadline.share(self.settings.llm_rerank_budget_share))
        if not result.applied:
            return result, [(r, r.score) for r in ranked]
        by_id = {item.item_id: r for (item, _), r in zip(candidates, ranked, strict=True)}
        blended = blend(candidates, result, self.weight(bundle))
        return result, [(by_id[item.item_id], score) for item, score in blended]

    def weight(self, bundle: ModelBundle) -> float:
        """The LLM score's weight: learned from feedback by the last retrain, else the setting."""
        learned = bundle.preference.llm_weight if bundle.preference is not None else None
        return learned if learned is not None else self.settings.llm_rerank_weight

    def explain(
        self, bundle: ModelBundle, query: QuerySummary, items: tuple[RecommendedItem, ...], request_id: str,
        deadline: Deadline, on_followup: FollowUpCallback | None, header: str, user_id: str | None = None,
    ) -> tuple[Explanation, tuple[RecommendedItem, ...]]:
        """The validated LLM reasons that arrived before the deadline replace the template ones.

        A follow-up for `user_id` is checked again when it is ready: if the user was forgotten
        since the turn began, it is never sent (`_logged`).
        """
        explanation = self.pipeline.explain(
            query,
            [ExplainItem(ri.item, ri.reason) for ri in items],
            catalog=bundle.index.items,
            catalog_version=f"{bundle.version}:{id(bundle.index)}",  # a swapped bundle has a new index
            deadline=deadline,
            request_id=request_id,
            on_followup=(self._logged(on_followup, user_id, utcnow())
                         if on_followup is not None and self.settings.llm_followups else None),
            fallback_reply=header,
            followup_owner=user_id,
        )
        if explanation.reasons:
            items = tuple(replace(ri, reason=explanation.reason_for(ri.item.item_id, ri.reason)) for ri in items)
        return explanation, items

    def record_feedback(self, request_id: str | None, kind: str, value: float | None) -> None:
        """A positive reaction rewards the prompt variant that wrote that turn's text."""
        if self.pipeline.enabled:
            self.pipeline.record_feedback(request_id, kind, value)

    def log(
        self, bundle: ModelBundle, ranked: list[RankedRow], reranked: RerankResult | None,
        explanation: Explanation | None,
    ) -> dict[str, object]:
        """What the LLM did this turn, for the logged query: scores, sources, rejections, errors, and
        the head's base scores (from which the retrain job learns the LLM weight)."""
        log: dict[str, object] = {}
        if reranked is not None:
            log["scores"] = {item_id: round(score, 4) for item_id, score in reranked.scores.items()}
            log["rerank"] = {
                "applied": reranked.applied, "mode": reranked.mode, "prompt_version": reranked.prompt_version,
                "rejected_ids": reranked.rejected_count, "latency_ms": round(reranked.latency_ms, 1),
                "error": reranked.error,
            }
            if reranked.applied:
                log["base_scores"] = {bundle.index.items[r.row].item_id: round(r.score, 5) for r in ranked}
                log["weight"] = self.weight(bundle)
        if explanation is not None:
            log["explain"] = {
                "source": explanation.source, "prompt_version": explanation.prompt_version,
                "pending": explanation.pending, "latency_ms": round(explanation.latency * 1000, 1),
                "rejected": {key: list(codes) for key, codes in explanation.rejected.items()},
                "error": explanation.error,
            }
        return log

    def forget_user(self, user_id: str) -> None:
        """This user's follow-ups not yet sent never will be: queued ones are cancelled now, running
        ones are stopped at delivery."""
        now = time.monotonic()
        keep_for = 2 * self.settings.llm_timeout_s + 60
        with self._forgotten_lock:
            self._forgotten = {u: t for u, t in self._forgotten.items() if now - t < keep_for}
            self._forgotten[user_id] = now
        self.pipeline.withdraw_followups(user_id)

    def may_send(self, user_id: str | None, turn_started: datetime) -> bool:
        """Whether a follow-up of a turn that began at `turn_started` may still go to `user_id`.

        No when this process forgot the user; no when the store has no user row created before the
        turn (forgotten by another process or replica, perhaps back since as a new user); and no
        when the store cannot say (down or hung): a late nicer wording is not worth the risk of
        writing to someone who asked to be forgotten.
        """
        if user_id is None:
            return True
        with self._forgotten_lock:
            if user_id in self._forgotten:
                return False

        def known() -> bool:
            return user_id in self.store.existing_users([user_id], created_before=turn_started)

        if self.guard is not None:
            return self.guard.call("followup_user", known, False)
        return known()

    def _logged(self, sink: FollowUpCallback, user_id: str | None, turn_started: datetime) -> FollowUpCallback:
        """`sink` if the user may still get it, then the impressions' reasons replaced by those the
        follow-up showed ("why?" repeats them)."""

        def deliver(followup: FollowUp) -> None:
            if not self.may_send(user_id, turn_started):
                raise FollowUpWithdrawn(f"request={followup.request_id}: the user was forgotten since the turn")
            sink(followup)  # a failed delivery raises: the pipeline logs and counts it
            if not followup.request_id:
                return
            try:
                self.store.update_impression_reasons(followup.request_id, followup.reasons)
            except Exception:  # the message is out; the log keeps the template reasons
                logger.exception("could not log the follow-up reasons of request=%s", followup.request_id)

        return deliver
