"""One recommendation list: plan the query from the state, score, rank, let the LLM re-rank and
explain within the budget, log the impressions, and word the reply.

    plan (filters, seeds, loosening) -> preference scores (published model) -> rank (blend of
    popularity, item-kNN, content, preference, free-text wish) -> [LLM re-rank + reasons] -> log
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import asdict, replace

import numpy as np

from recommender.config import Settings
from recommender.dialogue.acts import Act, LikeItems, SetCount, Unknown
from recommender.dialogue.acts import describe as describe_act
from recommender.dialogue.count import MAX_COUNT
from recommender.dialogue.plan import plan_query
from recommender.dialogue.reducer import record_shown
from recommender.dialogue.state import DialogueState
from recommender.feedback import KINDS, LIKE
from recommender.llm import Deadline, Explanation, RerankResult, turn_prompt_version
from recommender.models.markov import Decision, last_action
from recommender.phrases import say
from recommender.profile import Profile
from recommender.ranking import RankRequest, rank
from recommender.reasons import template_reason
from recommender.retrieval.bundle import ModelBundle
from recommender.serving import wording
from recommender.serving.db_guard import DatabaseGuard
from recommender.serving.llm_turn import FollowUpCallback, LLMTurn
from recommender.store.repository import ShownItem, Store
from recommender.types import ConversationContext, RecommendationResult, RecommendedItem

logger = logging.getLogger(__name__)

_LIKED = KINDS[LIKE].value or 5.0  # a conversation's seed counts as a like in the user's history


class ListRecommender:
    """Answers one turn with a list for the dialogue state (never items already shown or rejected)."""

    def __init__(self, store: Store, settings: Settings, llm: LLMTurn, guard: DatabaseGuard | None = None) -> None:
        self.store = store
        self.settings = settings
        self.llm = llm
        self.guard = guard or DatabaseGuard(store, settings.db_retry_seconds)

    def __call__(
        self, bundle: ModelBundle, ctx: ConversationContext, state: DialogueState, acts: tuple[Act, ...],
        user_id: str, profile: Profile, *, on_followup: FollowUpCallback | None = None,
    ) -> RecommendationResult:
        """The list, its reply text and the context to store back."""
        started = time.perf_counter()
        # the LLM stages end early enough for the logging and the reply to fit in the budget too
        budget = self.settings.turn_budget_ms
        deadline = Deadline.after_ms(budget - min(self.settings.turn_reserve_ms, budget // 2))
        decision = self._policy_decision(bundle, user_id)
        # a count the person asked for wins over the policy's ("give me three comedies")
        k = state.count or (decision.k if decision is not None else self.settings.default_k)
        unknown = tuple((a.word, a.attribute) for a in acts if isinstance(a, Unknown))
        lang = ctx.language
        plan = plan_query(state, bundle.index, profile, k, unknown=unknown, lang=lang)
        state = plan.state
        notices = list(plan.notices)
        if not acts and state.constrained and ctx.text.strip() and not ctx.text.startswith("/"):
            notices.insert(0, say("nothing_new_heard", lang))  # say so rather than pretend the list is for these words
        if any(isinstance(a, SetCount) and a.count > MAX_COUNT for a in acts):
            notices.append(say("at_most_n", lang, n=MAX_COUNT))
        more_like = next(
            (bundle.index.position[a.item_ids[-1]] for a in reversed(acts)
             if isinstance(a, LikeItems) and a.item_ids and a.item_ids[-1] in bundle.index.position),
            None,
        )
        preference = self._preference_scores(bundle, profile, plan.seeds, more_like, user_id)
        text_scores = bundle.text.score(" ".join(state.wish)) if state.wish and bundle.text is not None else None
        avoid_scores = bundle.text.score(" ".join(state.avoid)) if state.avoid and bundle.text is not None else None
        n_ranked = max(k, self.settings.llm_rerank_top_n) if self.llm.reranking else k
        mood_fit = (np.mean([bundle.index.genre_share(genres) for _, genres in plan.mood_groups], axis=0)
                    if plan.mood_groups else None)
        ranked = rank(bundle, RankRequest(
            mask=plan.mask, k=n_ranked, seeds=plan.seeds, negative_seeds=plan.negative_seeds,
            preference=preference, text=text_scores, avoid=avoid_scores, mood_fit=mood_fit,
        ))
        request_id = uuid.uuid4().hex
        critiques = tuple(describe_act(a) for a in acts)
        query = self.llm.query(bundle, ctx, state, profile, plan.summary, critiques) if self.llm.enabled else None
        reranked: RerankResult | None = None
        scored = [(r, r.score) for r in ranked]
        if query is not None and self.llm.reranking:
            reranked, scored = self.llm.rerank(bundle, query, ranked, deadline)
        matched = tuple(m for m, _ in plan.mood_groups)
        items = tuple(
            RecommendedItem(
                item=bundle.index.items[r.row], score=score, sources=r.sources,
                reason=template_reason(bundle, r, matched, state.genres + state.genre_options, lang),
            )
            for r, score in scored[:k]
        )
        explanation: Explanation | None = None
        if query is not None and items:
            explanation, items = self.llm.explain(
                bundle, query, items, request_id, deadline, on_followup, wording.header(items, plan.summary, lang),
                user_id=user_id,
            )
        new_ids = tuple(ri.item.item_id for ri in items)
        state = record_shown(state, new_ids)
        latency_ms = (time.perf_counter() - started) * 1000
        prompt_version = turn_prompt_version(reranked, explanation)
        if items:
            logged_query: dict[str, object] = {
                "filters": plan.filters.describe(), "seeds": len(plan.seeds), "notices": notices,
                "learned_model": preference is not None, "acts": list(critiques), "state": plan.summary,
                "relaxed": list(plan.relaxed),
            }
            if decision is not None:
                logged_query["policy"] = asdict(decision)
            if self.llm.enabled:
                logged_query["llm"] = self.llm.log(bundle, ranked, reranked, explanation)
            shown = [ShownItem(ri.item.item_id, pos, ri.score, ri.reason) for pos, ri in enumerate(items, 1)]
            self.guard.call("impressions", lambda: self.store.log_recommendation(
                request_id=request_id, user_id=user_id, session_id=user_id, query=logged_query,
                model_version=bundle.version, latency_ms=latency_ms, prompt_version=prompt_version, shown=shown,
            ), None)
        logger.info(
            "recommendation request=%s user=%s items=%d latency_ms=%.1f prompt_version=%s acts=%s",
            request_id, user_id[:10], len(items), latency_ms, prompt_version, ",".join(critiques),
        )
        return RecommendationResult(
            request_id=request_id if new_ids else (ctx.last_request_id or ""),
            items=items,
            text=wording.recommendation_text(
                items, plan.summary, notices, explanation.reply if explanation else None, lang
            ),
            context=context_after(ctx, state, new_ids, request_id if new_ids else None),
            model_version=bundle.version,
            notices=tuple(notices),
            state=state,
            summary=plan.summary,
            relaxed=plan.relaxed,
            language=lang,
        )

    def _policy_decision(self, bundle: ModelBundle, session_id: str) -> Decision | None:
        """How many items to show, from the Markov model of what users do after their last action.

        None (use `default_k`) without a published model or with too few logged transitions.
        """
        policy = bundle.preference.policy if bundle.preference is not None else None
        if policy is None or not policy.has_evidence:
            return None
        last = self.guard.call("last_action", lambda: last_action(self.store, session_id), None)
        return policy.decide(last, self.settings.default_k)

    def _preference_scores(
        self, bundle: ModelBundle, profile: Profile, seeds: dict[int, float], more_like: int | None, user_id: str
    ) -> np.ndarray | None:
        """The published model's scores for this user: stored history, then this conversation's seeds.

        None without a published model, or for a brand-new user with nothing to go on (the
        popularity-led ranking then answers, which is what the model would fall back to anyway).
        """
        scorer = bundle.preference
        if scorer is None:
            return None
        history = dict(profile.history)
        for row in sorted(seeds, key=lambda r: (r == more_like, seeds[r])):
            item_id = bundle.index.items[row].item_id
            if history.get(item_id, 0.0) < self.settings.like_threshold or row == more_like:
                history.pop(item_id, None)
                history[item_id] = _LIKED
        if not history and not scorer.knows_user(user_id):
            return None
        return scorer.score(list(history.items()), user_id)


def context_after(
    ctx: ConversationContext, state: DialogueState, new_ids: tuple[str, ...], request_id: str | None = None
) -> ConversationContext:
    """The context to store back after a turn: the new state and, for older slots, the lists."""
    return replace(
        ctx,
        state=state,
        shown_item_ids=state.shown_items,
        last_item_ids=new_ids if new_ids else ctx.last_item_ids,
        rejected_item_ids=state.rejected_items,
        last_request_id=request_id or ctx.last_request_id,
        year_from=state.year_from,
        year_to=state.year_to,
    )
