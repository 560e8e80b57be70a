"""`RecommenderService`: the one entry point the Rasa actions call.

One turn: context extraction (slots + stored profile) -> hard filters -> candidate scoring
(item-kNN, content, popularity) -> template reasons -> [LLM re-ranking and grounded reasons, within
the turn budget, when `RECSYS_LLM_BACKEND` is set] -> impressions logged -> reply.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, replace
from functools import lru_cache

import numpy as np

from recommender import feedback as fb
from recommender.config import Settings, get_settings
from recommender.context import display_title, normalise_feedback_kind, parse_ordinal
from recommender.dialogue.acts import (
    Act,
    ExcludeGenres,
    LikeItems,
    OtherOptions,
    SeenItems,
    SetEra,
    ShiftEra,
    Unknown,
    is_search,
)
from recommender.dialogue.acts import describe as describe_act
from recommender.dialogue.eras import find_eras
from recommender.dialogue.lexicon import genre_for_word, genre_name_forms
from recommender.dialogue.plan import plan_query, unknown_notices
from recommender.dialogue.policy import choose_question, should_ask
from recommender.dialogue.reducer import record_shown, reduce
from recommender.dialogue.state import DialogueState
from recommender.dialogue.understand import CatalogView, EntityHint, Turn, understand
from recommender.errors import AmbiguousItemError, CorruptModelError, InvalidFeedbackError, UnknownItemError
from recommender.identity import pseudonymous_id, warn_if_development_secret
from recommender.llm import (
    Deadline,
    ExplainItem,
    Explanation,
    FollowUp,
    LLMPipeline,
    QuerySummary,
    RasaTriggerIntentSink,
    RerankResult,
    channel_supports_push,
    turn_prompt_version,
)
from recommender.llm.rerank import blend
from recommender.models.markov import Decision, last_action
from recommender.observability.metrics import timed_turn
from recommender.profile import Profile, load_profile
from recommender.ranking import RankedRow, RankRequest, rank
from recommender.reasons import template_reason
from recommender.retrieval.bundle import ModelBundle, build_bundle, drop_forgotten_users
from recommender.store.prompt_stats import PromptStatsStore
from recommender.store.repository import ModelVersion, ShownItem, Store, get_store
from recommender.types import (
    ConversationContext,
    Critique,
    FeedbackRequest,
    FeedbackResult,
    Item,
    ItemsReply,
    RecommendationResult,
    RecommendedItem,
)

logger = logging.getLogger(__name__)

_ASKS_FOR_SOMETHING = re.compile(
    r"\b(?:movies?|films?|flicks?|pictures?|cinema|something|anything|watch|watching|see|seeing|recommend|suggest|"
    r"show|give|find|looking|look|want|wanna|need|fancy|crave|craving|mood|feel like|up for|go for|could do with|"
    r"would love|love|like|enjoy|into|bring|queue|put on|play|tonight|evening|weekend|date|got|have you|any|some|"
    r"one|ones|stuff|titles?|picks?|options?|prefer|preferably|ideally|how about|what about|maybe|perhaps|"
    r"instead|rather|more|else|less|no|not|without|from|before|after|older|newer|earlier|later|\d{2,4}s?)\b"
)

# (catalog fingerprint, published model version or None): a bundle is rebuilt when this changes.
_BundleKey = tuple[tuple[int, str], str | None]

FollowUpCallback = Callable[[FollowUp], None]


class RecommenderService:
    """Context extraction -> retrieval -> scoring -> reasons -> logging, for one turn at a time."""

    def __init__(self, store: Store | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        warn_if_development_secret(self.settings.user_id_secret)  # at start, not at the first turn
        self.store = store or get_store(self.settings)
        self._bundle: ModelBundle | None = None
        self._bundle_key: _BundleKey | None = None
        self._refused: _BundleKey | None = None
        self._swapping = False
        # the store's users_forgotten count when the served bundle's trained users were last
        # checked: the periodic check asks about them again only after it changed
        self._forgotten_seen: int | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._view: tuple[ModelBundle, CatalogView] | None = None  # understanding's view of the served bundle
        # Cheap: no model is loaded and no connection opened until the first LLM call (or
        # `warm_up`); with RECSYS_LLM_BACKEND=none the pipeline is disabled and never called.
        self.llm = LLMPipeline.from_settings(self.settings, PromptStatsStore(self.store))

    def warm_up(self) -> None:
        """Start loading the local LLM in the background and build the first model bundle.

        The action server calls this once its worker is up, so the first user does not wait for
        the bundle and the LLM is ready sooner; turns that arrive meanwhile are answered as usual
        (the LLM stages fall back to templates until the weights are in memory).
        """
        self.llm.warmup()
        bundle = self.bundle
        if bundle.text is not None:  # embed the descriptions now, not inside the first free-text wish
            threading.Thread(target=lambda: bundle.text.vectors, name="text-warmup", daemon=True).start()  # type: ignore[union-attr]

    # -- models ----------------------------------------------------------------------------
    @property
    def bundle(self) -> ModelBundle:
        """The current model bundle, swapped whole when the catalog or the published model changes.

        Every `model_check_seconds` one caller looks at the catalog fingerprint and the newest
        published model version; a change is built in a background thread while requests keep
        being answered by the old bundle (a request holds its bundle for the whole turn, so it
        finishes on the version it started with). A damaged version is refused and the old one
        keeps serving. Only the very first bundle is built in the caller's thread.

        When nothing changed, the same check looks (also in a background thread) for users of the
        served version forgotten elsewhere since (`python -m recommender forget`, another
        replica) and stops using their trained vectors: one read of the store's forgotten-users
        count, and a query about the trained users only when that count changed.
        """
        now = time.monotonic()
        if self._bundle is not None and now - self._checked_at < self.settings.model_check_seconds:
            return self._bundle
        with self._lock:
            if self._bundle is not None and now - self._checked_at < self.settings.model_check_seconds:
                return self._bundle
            self._checked_at = now
            published = self.store.latest_published_version()
            wanted = (self.store.catalog_fingerprint(), published.version if published else None)
            if self._bundle is None:
                self._bundle = self._build(wanted, published)
                self._bundle_key, self._forgotten_seen = wanted, self._bundle.forgotten_count
            elif self._swapping:
                pass  # one background job at a time; the next check starts the next one
            elif wanted != self._bundle_key and wanted != self._refused:
                self._swapping = True
                threading.Thread(
                    target=self._swap, args=(wanted, published), name="bundle-swap", daemon=True
                ).start()
            elif self._bundle.preference is not None:
                self._swapping = True
                threading.Thread(
                    target=self._drop_forgotten, args=(self._bundle,), name="bundle-forgotten", daemon=True
                ).start()
            return self._bundle

    def _build(self, wanted: _BundleKey, published: ModelVersion | None) -> ModelBundle:
        """Build a bundle; a damaged published version is refused and the bundle built without it."""
        try:
            return build_bundle(self.store, self.settings, published)
        except CorruptModelError:
            logger.exception("refusing model version %s", wanted[1])
            self._refused = wanted
            return build_bundle(self.store, self.settings, None)

    def _swap(self, wanted: _BundleKey, published: ModelVersion | None) -> None:
        """Build the new bundle off the request path and swap it in with one assignment."""
        try:
            bundle = build_bundle(self.store, self.settings, published)
            if bundle.text is not None:
                _ = bundle.text.vectors  # read (or embed) the descriptions before the swap, off the request path
        except CorruptModelError:
            logger.exception("refusing model version %s; still serving %s", wanted[1], self._bundle_version())
            self._refused = wanted
        except Exception:
            logger.exception("building the new model bundle failed; still serving %s", self._bundle_version())
            self._refused = wanted
        else:
            self._bundle, self._bundle_key, self._forgotten_seen = bundle, wanted, bundle.forgotten_count
            logger.info("now serving model version %s", bundle.version)
        finally:
            self._swapping = False

    def _drop_forgotten(self, bundle: ModelBundle) -> None:
        """Stop using the served version's vectors of users forgotten since, off the request path."""
        try:
            if bundle.preference is not None and bundle.published is not None:
                forgotten = self.store.users_forgotten_count()
                if forgotten == self._forgotten_seen:
                    return  # nobody was forgotten since the last look
                drop_forgotten_users(self.store, bundle.preference, bundle.published)
                self._forgotten_seen = forgotten
        except Exception:
            logger.exception("looking for forgotten users failed; tried again at the next model check")
        finally:
            self._swapping = False

    def _bundle_version(self) -> str | None:
        return self._bundle.version if self._bundle is not None else None

    def wait_for_swap(self, timeout: float = 60.0) -> str | None:
        """Check for a new version (and forgotten users) now and wait until that finished; returns
        the serving version."""
        self._checked_at = -float("inf")
        _ = self.bundle
        deadline = time.monotonic() + timeout
        while self._swapping and time.monotonic() < deadline:
            time.sleep(0.05)
        return self._bundle_version()

    def user_id(self, ctx: ConversationContext) -> str:
        """The pseudonymous id under which this sender's data is stored."""
        return pseudonymous_id(ctx.user, self.settings.user_id_secret)

    # -- recommendation ----------------------------------------------------------------------
    @timed_turn("recommend")
    def recommend(
        self, ctx: ConversationContext, *, on_followup: FollowUpCallback | None = None
    ) -> RecommendationResult:
        """One recommendation turn: understand the message, update the dialogue state, then ask
        one question (a vague opener) or recommend for the state; never repeats shown items.

        `on_followup` (push channels only, see `followup_sink`) receives the LLM-written message
        when it misses the turn budget; the turn itself never waits past the budget for it.
        """
        return self._turn(ctx, (), on_followup=on_followup)

    @timed_turn("refine")
    def refine(
        self, ctx: ConversationContext, critique: Critique, *, on_followup: FollowUpCallback | None = None
    ) -> RecommendationResult:
        """A turn with an explicit critique ("older", "no horror", "more like #2", "other options")
        on top of whatever the message itself says."""
        bundle = self.bundle
        view = self._catalog_view(bundle)
        state = self._state_of(ctx, view)
        acts: list[Act] = []
        if critique.older or critique.newer:
            direction = -1 if critique.older else 1
            acts.append(ShiftEra(direction, _pivot_year(bundle, state.last_items or ctx.last_item_ids, direction)))
        if critique.exclude_genres:
            excluded = tuple(g for w in critique.exclude_genres for g in genre_for_word(w, view.genre_names)[:1])
            if excluded:
                acts.append(ExcludeGenres(excluded))
        if critique.more_like:
            row = self._resolve_row(bundle, ctx, critique.more_like)
            if row is not None:
                acts.append(LikeItems((bundle.index.items[row].item_id,)))
        if critique.other_options or not acts:
            acts.append(OtherOptions())
        return self._turn(replace(ctx, intent=ctx.intent or "refine"), tuple(acts), on_followup=on_followup)

    def understand(self, ctx: ConversationContext) -> tuple[DialogueState, tuple[Act, ...], DialogueState]:
        """(state before, this turn's acts, state after) without ranking: for tests and tools."""
        view = self._catalog_view(self.bundle)
        before = self._state_of(ctx, view)
        acts = understand(self._turn_input(ctx), before, view)
        return before, acts, reduce(before, acts)

    def turn_kind(self, ctx: ConversationContext) -> str:
        """What this message does to the search, whatever intent the NLU gave it: "seen" (items
        already seen), "search" (a genre, era, reference, ...), or "none"."""
        before, acts, _ = self.understand(ctx)
        if any(isinstance(a, SeenItems) for a in acts):
            return "seen"
        if not is_search(acts):
            return "none"
        # the NLU did not call this a search: words that merely imply a genre ("are you serious?",
        # "at war with my boss") are not enough; an answer to the bot's question, a sentence that asks
        # for something to watch, or a short one naming a genre ("sci fi pls") is
        text = ctx.text.lower()
        names_genre = len(text.split()) <= 4 and any(
            re.search(rf"\b{re.escape(form)}s?\b", text) for form in genre_name_forms(tuple(self.bundle.index.genre_names))
        )
        asks = before.asked is not None or names_genre or _ASKS_FOR_SOMETHING.search(text)
        return "search" if asks else "none"

    def _turn(
        self, ctx: ConversationContext, extra_acts: tuple[Act, ...], *, on_followup: FollowUpCallback | None
    ) -> RecommendationResult:
        bundle = self.bundle
        view = self._catalog_view(bundle)
        before = self._state_of(ctx, view)
        acts = understand(self._turn_input(ctx), before, view) + extra_acts
        state = reduce(before, acts)
        user_id = self.user_id(ctx)
        self.store.ensure_user_session(user_id, user_id)
        profile = load_profile(self.store, user_id, self.settings.like_threshold)
        # older API callers pass no state: they get a list
        conversational = ctx.state is not None and self.settings.ask_vague_openers
        if conversational and should_ask(before, state, acts, knows_taste=bool(profile.liked or profile.ratings)):
            question = choose_question(bundle.index, bundle.popularity.scores, state)
            asked, notices = unknown_notices(
                replace(state, asked=question.attribute),
                tuple((a.word, a.attribute) for a in acts if isinstance(a, Unknown)),
            )
            if notices:
                question = replace(question, text=" ".join([*notices, question.text]))
            logger.info("asked user=%s attribute=%s", user_id[:10], question.attribute)
            return RecommendationResult(
                request_id="", items=(), text=question.text, context=_context_after(ctx, asked, ()),
                model_version=bundle.version, notices=tuple(notices), state=asked, summary=asked.summary(),
                question=question,
            )
        return self._recommend(ctx, replace(state, asked=None), acts, user_id, profile, on_followup=on_followup)

    def _catalog_view(self, bundle: ModelBundle) -> CatalogView:
        """The catalog as understanding sees it: genre names, strict title lookup, years (one per bundle)."""
        cached = self._view
        if cached is not None and cached[0] is bundle:
            return cached[1]
        index = bundle.index

        def find_title(text: str) -> str | None:
            row = index.find_title(text, bundle.popularity.scores)
            return index.items[row].item_id if row is not None else None

        def year_of(item_id: str) -> int | None:
            row = index.position.get(item_id)
            return index.items[row].year if row is not None else None

        view = CatalogView(tuple(index.genre_names), find_title, year_of)
        self._view = (bundle, view)
        return view

    def _turn_input(self, ctx: ConversationContext) -> Turn:
        """This turn's words; a button payload ("/inform_preference{...}") is read through its entities.

        Older callers without a state pass raw words in the context's fields: they become hints.
        """
        text = ctx.text
        if text.startswith("/"):
            text = " ".join(h.value for h in ctx.entities if h.entity in ("refinement", "llm_text"))
        hints = ctx.entities
        if ctx.state is None:
            hints += tuple(
                [EntityHint("genre", g) for g in ctx.genres]
                + [EntityHint("genre", g, "exclude") for g in ctx.exclude_genres]
                + [EntityHint("mood", m) for m in ctx.moods]
                + [EntityHint("person", p) for p in ctx.people]
                + [EntityHint("title", t) for t in ctx.liked_titles]
            )
        return Turn(text=text, intent=ctx.intent, entities=hints)

    def _state_of(self, ctx: ConversationContext, view: CatalogView) -> DialogueState:
        """The persisted state, or (older callers) the year window and lists kept in the context."""
        if ctx.state is not None:
            state = ctx.state
        else:
            acts: list[Act] = []
            if ctx.year_from is not None or ctx.year_to is not None:
                acts.append(SetEra(ctx.year_from, ctx.year_to))
            for words in (ctx.decade, ctx.year):
                if words:
                    acts += [SetEra(p.year_from, p.year_to, p.replace) for p in find_eras(words.lower()) if not p.shift]
            state = replace(reduce(DialogueState(), acts), turns=0, shown_items=ctx.shown_item_ids,
                            last_items=ctx.last_item_ids, rejected_items=ctx.rejected_item_ids)
        if ctx.rejected_item_ids:  # dislikes recorded by the feedback action
            state = replace(state, rejected_items=tuple(dict.fromkeys(state.rejected_items + ctx.rejected_item_ids)))
        if not state.last_items and ctx.last_item_ids:
            state = replace(state, last_items=ctx.last_item_ids)
        if ctx.shown_item_ids:
            state = replace(state, shown_items=tuple(dict.fromkeys(state.shown_items + ctx.shown_item_ids)))
        return state

    def _recommend(
        self,
        ctx: ConversationContext,
        state: DialogueState,
        acts: tuple[Act, ...],
        user_id: str,
        profile: Profile,
        *,
        on_followup: FollowUpCallback | None = None,
    ) -> RecommendationResult:
        started = time.perf_counter()
        # the LLM stages end early enough for the logging and the reply to fit in the budget too
        budget = self.settings.turn_budget_ms
        deadline = Deadline.after_ms(budget - min(self.settings.turn_reserve_ms, budget // 2))
        bundle = self.bundle
        decision = self._policy_decision(bundle, user_id)
        k = decision.k if decision is not None else self.settings.default_k
        unknown = tuple((a.word, a.attribute) for a in acts if isinstance(a, Unknown))
        plan = plan_query(state, bundle.index, profile, k, unknown=unknown)
        state = plan.state
        notices = list(plan.notices)
        if not acts and state.constrained and ctx.text.strip() and not ctx.text.startswith("/"):
            # say so rather than pretend: the list is for what was asked before, not for these words
            notices.insert(0, "I didn't catch anything new to go by in that, so here are more picks for what you asked before.")
        reranking = self.llm.enabled and self.settings.llm_rerank
        n_ranked = max(k, self.settings.llm_rerank_top_n) if reranking else k
        more_like = next(
            (bundle.index.position[a.item_ids[-1]] for a in reversed(acts)
             if isinstance(a, LikeItems) and a.item_ids and a.item_ids[-1] in bundle.index.position),
            None,
        )
        preference = self._preference_scores(bundle, profile, plan.seeds, more_like, user_id)
        text_scores = bundle.text.score(" ".join(state.wish)) if state.wish and bundle.text is not None else None
        ranked = rank(
            bundle,
            RankRequest(
                mask=plan.mask, k=n_ranked, seeds=plan.seeds, negative_seeds=plan.negative_seeds,
                preference=preference, text=text_scores,
            ),
        )
        matched = tuple(m for m, _ in plan.mood_groups)
        request_id = uuid.uuid4().hex
        filters = plan.filters
        critiques = tuple(describe_act(a) for a in acts)
        query = self._llm_query(bundle, ctx, state, profile, plan.summary, critiques) if self.llm.enabled else None
        reranked: RerankResult | None = None
        scored = [(r, r.score) for r in ranked]
        if query is not None and reranking:
            reranked, scored = self._llm_rerank(bundle, query, ranked, deadline)
        items = tuple(
            RecommendedItem(
                item=bundle.index.items[r.row],
                score=score,
                reason=template_reason(bundle, r, matched, state.genres + state.genre_options),
                sources=r.sources,
            )
            for r, score in scored[:k]
        )
        explanation: Explanation | None = None
        if query is not None and items:
            explanation, items = self._llm_explain(
                bundle, query, items, request_id, deadline, on_followup, _header(items, plan.summary)
            )
        prompt_version = turn_prompt_version(reranked, explanation)
        new_ids = tuple(ri.item.item_id for ri in items)
        state = record_shown(state, new_ids)
        effective = _context_after(ctx, state, new_ids, request_id if new_ids else None)
        latency_ms = (time.perf_counter() - started) * 1000
        if items:
            logged_query: dict[str, object] = {
                "filters": filters.describe(), "seeds": len(plan.seeds), "notices": notices,
                "learned_model": preference is not None, "acts": list(critiques), "state": plan.summary,
                "relaxed": list(plan.relaxed),
            }
            if decision is not None:
                logged_query["policy"] = asdict(decision)
            if self.llm.enabled:
                llm_log = _llm_log(reranked, explanation)
                if reranked is not None and reranked.applied:
                    # the head's base scores, so the retrain job can learn the LLM weight from feedback
                    llm_log["base_scores"] = {bundle.index.items[r.row].item_id: round(r.score, 5) for r in ranked}
                    llm_log["weight"] = self.llm_weight(bundle)
                logged_query["llm"] = llm_log
            self.store.log_recommendation(
                request_id=request_id,
                user_id=user_id,
                session_id=user_id,
                query=logged_query,
                model_version=bundle.version,
                shown=[ShownItem(ri.item.item_id, pos, ri.score, ri.reason) for pos, ri in enumerate(items, 1)],
                latency_ms=latency_ms,
                prompt_version=prompt_version,
            )
        logger.info(
            "recommendation request=%s user=%s items=%d latency_ms=%.1f prompt_version=%s acts=%s",
            request_id, user_id[:10], len(items), latency_ms, prompt_version, ",".join(critiques),
        )
        return RecommendationResult(
            request_id=request_id if new_ids else (ctx.last_request_id or ""),
            items=items,
            text=_recommendation_text(items, plan.summary, notices, explanation.reply if explanation else None),
            context=effective,
            model_version=bundle.version,
            notices=tuple(notices),
            state=state,
            summary=plan.summary,
            relaxed=plan.relaxed,
        )

    def _policy_decision(self, bundle: ModelBundle, session_id: str) -> Decision | None:
        """How many items to show, from the Markov model of what users do after their last action.

        None (use `default_k`) without a published model or with too few logged transitions.
        """
        policy = bundle.preference.policy if bundle.preference is not None else None
        if policy is None or not policy.has_evidence:
            return None
        return policy.decide(last_action(self.store, session_id), self.settings.default_k)

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
            if history.get(item_id, 0.0) < 4.0 or row == more_like:
                history.pop(item_id, None)
                history[item_id] = 5.0
        if not history and not scorer.knows_user(user_id):
            return None
        return scorer.score(list(history.items()), user_id)

    # -- LLM stages (recommender/llm; only called when a backend is configured) ----------------
    def followup_sink(self, sender_id: str, channel: str | None) -> FollowUpCallback | None:
        """Where a late LLM message for this conversation goes, or None where nothing can be pushed.

        Only push channels (socket.io, Slack, Telegram) get one; REST has nobody to push to and
        keeps the template reasons. The sink asks Rasa (`--enable-api`) to run `EXTERNAL_llm_followup`.
        """
        settings = self.settings
        if not (self.llm.enabled and settings.llm_generate and settings.llm_followups):
            return None
        if not channel_supports_push(channel):
            return None
        token = settings.rasa_auth_token.get_secret_value() if settings.rasa_auth_token else None
        return RasaTriggerIntentSink(settings.rasa_url, sender_id, token=token)

    def _llm_query(
        self,
        bundle: ModelBundle,
        ctx: ConversationContext,
        state: DialogueState,
        profile: Profile,
        described: str,
        critiques: tuple[str, ...],
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
            understood,
            understood=described,
            critiques=critiques,
            liked_titles=titles(profile.liked),
            disliked_titles=titles(profile.disliked),
        )

    def _llm_rerank(
        self, bundle: ModelBundle, query: QuerySummary, ranked: list[RankedRow], deadline: Deadline
    ) -> tuple[RerankResult, list[tuple[RankedRow, float]]]:
        """LLM scores for the ranked head, blended into the base scores (base order if not applied)."""
        candidates = [(bundle.index.items[r.row], r.score) for r in ranked]
        result = self.llm.rerank(query, candidates, deadline=deadline.share(self.settings.llm_rerank_budget_share))
        if not result.applied:
            return result, [(r, r.score) for r in ranked]
        by_id = {item.item_id: r for (item, _), r in zip(candidates, ranked, strict=True)}
        blended = blend(candidates, result, self.llm_weight(bundle))
        return result, [(by_id[item.item_id], score) for item, score in blended]

    def llm_weight(self, bundle: ModelBundle) -> float:
        """The LLM score's weight: learned from feedback by the last retrain, else the setting."""
        learned = bundle.preference.llm_weight if bundle.preference is not None else None
        return learned if learned is not None else self.settings.llm_rerank_weight

    def _llm_explain(
        self,
        bundle: ModelBundle,
        query: QuerySummary,
        items: tuple[RecommendedItem, ...],
        request_id: str,
        deadline: Deadline,
        on_followup: FollowUpCallback | None,
        header: str,
    ) -> tuple[Explanation, tuple[RecommendedItem, ...]]:
        """The validated LLM reasons that arrived before the deadline replace the template ones."""
        explanation = self.llm.explain(
            query,
            [ExplainItem(ri.item, ri.reason) for ri in items],
            catalog=bundle.index.items,
            catalog_version=f"{bundle.version}:{id(bundle.index)}",  # a swapped bundle has a new index
            deadline=deadline,
            request_id=request_id,
            on_followup=(
                self._logged_followup(on_followup)
                if on_followup is not None and self.settings.llm_followups
                else None
            ),
            fallback_reply=header,
        )
        if explanation.reasons:
            items = tuple(replace(ri, reason=explanation.reason_for(ri.item.item_id, ri.reason)) for ri in items)
        return explanation, items

    def _logged_followup(self, sink: FollowUpCallback) -> FollowUpCallback:
        """`sink`, then the impressions' reasons replaced by those the follow-up showed ("why?" repeats them)."""

        def deliver(followup: FollowUp) -> None:
            sink(followup)  # a failed delivery raises: the pipeline logs and counts it
            if not followup.request_id:
                return
            try:
                self.store.update_impression_reasons(followup.request_id, followup.reasons)
            except Exception:  # the message is out; the log keeps the template reasons
                logger.exception("could not log the follow-up reasons of request=%s", followup.request_id)

        return deliver

    # -- references to items -----------------------------------------------------------------
    def _resolve_row(self, bundle: ModelBundle, ctx: ConversationContext, ref: str) -> int | None:
        """An ordinal into the last list ('second', 'last'), a catalog id, or a title."""
        ordinal = parse_ordinal(ref)
        if ordinal is not None and not (ref.strip().isdigit() and ref.strip() in bundle.index.position):
            if not ctx.last_item_ids:
                return None
            position = len(ctx.last_item_ids) - 1 if ordinal == -1 else ordinal - 1
            if 0 <= position < len(ctx.last_item_ids):
                return bundle.index.position.get(ctx.last_item_ids[position])
            return None
        if ref in bundle.index.position:
            return bundle.index.position[ref]
        return bundle.index.find_title(ref, bundle.popularity.scores)

    # -- explanations ------------------------------------------------------------------------
    def explain(self, ctx: ConversationContext, item_ref: str | None = None) -> ItemsReply:
        """Why the last items (or the one referred to by ordinal/title/id) were recommended."""
        bundle = self.bundle
        if not ctx.last_request_id:
            return ItemsReply("I haven't recommended anything yet. Tell me what you're in the mood for!")
        shown = self.store.impressions(ctx.last_request_id)
        if not shown:
            return ItemsReply("I can't find the last recommendations any more. Shall I suggest something new?")
        rows = {s.item_id: s for s in shown}
        if item_ref:
            row = self._resolve_row(bundle, ctx, item_ref)
            if row is None:
                raise AmbiguousItemError(f"could not resolve {item_ref!r} to a shown item")
            item = bundle.index.items[row]
            shown_item = rows.get(item.item_id)
            reason = shown_item.reason if shown_item else "I didn't recommend this one myself."
            one = RecommendedItem(item, shown_item.score if shown_item else 0.0, reason)
            return ItemsReply(f"{display_title(item.title)}: {reason}.", (one,))
        picked = tuple(
            RecommendedItem(bundle.index.items[bundle.index.position[s.item_id]], s.score, s.reason)
            for s in shown
            if s.item_id in bundle.index.position
        )
        lines = [f"{i}. {display_title(ri.item.title)}: {ri.reason}." for i, ri in enumerate(picked, 1)]
        return ItemsReply("Here's why I picked these:\n" + "\n".join(lines), picked)

    # -- feedback ----------------------------------------------------------------------------
    @timed_turn("feedback")
    def record_feedback(self, ctx: ConversationContext, feedback: FeedbackRequest) -> FeedbackResult:
        """Store feedback; raises UnknownItemError, AmbiguousItemError or InvalidFeedbackError."""
        bundle = self.bundle
        kind = feedback.kind if fb.is_kind(feedback.kind) else normalise_feedback_kind(feedback.kind)
        value = feedback.value
        if kind is None and value is not None:
            kind = fb.RATING
        if kind is None:
            raise InvalidFeedbackError(
                f"unknown feedback kind {feedback.kind!r}; expected one of {', '.join(fb.KIND_NAMES)}"
            )
        if kind == fb.RATING:
            if value is None or not 1 <= value <= 5:
                raise InvalidFeedbackError(f"a rating must be a number from 1 to 5, got {value!r}")
        else:
            value = None
        item = self._feedback_item(bundle, ctx, feedback.item_id, feedback.item_ref)
        user_id = self.user_id(ctx)
        self.store.ensure_user_session(user_id, user_id)
        self.store.add_feedback(
            user_id=user_id,
            item_id=item.item_id,
            kind=kind,
            value=value,
            request_id=feedback.request_id or ctx.last_request_id,
            session_id=user_id,
        )
        if self.llm.enabled:  # a positive reaction rewards the prompt variant that wrote that turn's text
            self.llm.record_feedback(feedback.request_id or ctx.last_request_id, kind, value)
        logger.info("feedback user=%s item=%s kind=%s", user_id[:10], item.item_id, kind)
        return FeedbackResult(item=item, kind=kind, value=value, text=fb.acknowledgement(kind, display_title(item.title), value))  # type: ignore[arg-type]

    def _feedback_item(
        self, bundle: ModelBundle, ctx: ConversationContext, item_id: str | None, ref: str | None
    ) -> Item:
        if item_id is not None:
            if item_id not in bundle.index.position:
                logger.warning("feedback for an item that is not in the catalog: %r", item_id[:64])
                raise UnknownItemError(item_id[:64])
            return bundle.index.items[bundle.index.position[item_id]]
        if ref is None:
            if len(ctx.last_item_ids) == 1 and ctx.last_item_ids[0] in bundle.index.position:
                return bundle.index.items[bundle.index.position[ctx.last_item_ids[0]]]
            raise AmbiguousItemError("feedback without saying which item")
        ordinal = parse_ordinal(ref)
        if ordinal is not None and ref.strip() not in bundle.index.position and not ctx.last_item_ids:
            raise AmbiguousItemError(f"{ref!r} refers to a list, but nothing was shown yet")
        row = self._resolve_row(bundle, ctx, ref)
        if row is None:
            logger.warning("feedback for an item that is not in the catalog: %r", ref[:64])
            raise UnknownItemError(ref[:64])
        return bundle.index.items[row]

    # -- profile -----------------------------------------------------------------------------
    def saved_items(self, ctx: ConversationContext) -> ItemsReply:
        """The user's bookmarked items, newest last."""
        bundle = self.bundle
        profile = load_profile(self.store, self.user_id(ctx), self.settings.like_threshold)
        rows = [bundle.index.position[i] for i in profile.bookmarked if i in bundle.index.position]
        if not rows:
            return ItemsReply("You haven't saved anything yet. Tap ☆ on a recommendation to save it.")
        items = tuple(
            RecommendedItem(bundle.index.items[r], 0.0, f"saved by you; {_short(bundle.index.items[r])}") for r in rows
        )
        lines = [f"{i}. {display_title(ri.item.title)}" for i, ri in enumerate(items, 1)]
        return ItemsReply(f"You saved {len(items)} item{'s' if len(items) != 1 else ''}:\n" + "\n".join(lines), items)

    def forget_user(self, ctx: ConversationContext) -> int:
        """Delete everything stored about this user; returns the number of rows deleted."""
        user_id = self.user_id(ctx)
        counts = self.store.forget_user(user_id)
        if self._bundle is not None and self._bundle.preference is not None:
            self._bundle.preference.forget_user(user_id)
        logger.info("forgot user=%s rows=%s", user_id[:10], counts)
        return sum(counts.values())


def _short(item: Item) -> str:
    from recommender.reasons import describe_item

    return describe_item(item)


def _context_after(
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


def _pivot_year(bundle: ModelBundle, item_ids: tuple[str, ...], direction: int) -> int | None:
    """The year "older" (-1) or "newer" (+1) is relative to: the oldest or newest of these items."""
    index = bundle.index
    years = [y for i in item_ids if i in index.position and (y := index.items[index.position[i]].year) is not None]
    if not years:
        return None
    return min(years) if direction < 0 else max(years)


def _header(items: tuple[RecommendedItem, ...], described: str) -> str:
    """'Here are 3 picks (Comedy · 1990s · not Horror):'."""
    count = "Here is 1 pick" if len(items) == 1 else f"Here are {len(items)} picks"
    return count + (f" ({described})" if described else "") + ":"


def _recommendation_text(
    items: tuple[RecommendedItem, ...], described: str, notices: list[str], reply: str | None = None
) -> str:
    """The readable message that any channel can show; `reply` is a validated LLM reply line."""
    lead = " ".join(notices)
    if not items:
        head = f"I couldn't find anything {described}." if described else "I couldn't find anything new."
        return f"{lead} {head} Try loosening a filter, e.g. another decade or genre.".strip()
    header = reply or _header(items, described)
    lines = [f"{i}. {display_title(ri.item.title)} — {ri.reason}" for i, ri in enumerate(items, 1)]
    return "\n".join(([lead] if lead else []) + [header] + lines)


def _llm_log(reranked: RerankResult | None, explanation: Explanation | None) -> dict[str, object]:
    """What the LLM did this turn, for the logged query: scores, sources, rejections, errors."""
    log: dict[str, object] = {}
    if reranked is not None:
        log["scores"] = {item_id: round(score, 4) for item_id, score in reranked.scores.items()}
        log["rerank"] = {
            "applied": reranked.applied, "mode": reranked.mode, "prompt_version": reranked.prompt_version,
            "rejected_ids": reranked.rejected_count, "latency_ms": round(reranked.latency_ms, 1),
            "error": reranked.error,
        }
    if explanation is not None:
        log["explain"] = {
            "source": explanation.source, "prompt_version": explanation.prompt_version,
            "pending": explanation.pending, "latency_ms": round(explanation.latency * 1000, 1),
            "rejected": {key: list(codes) for key, codes in explanation.rejected.items()},
            "error": explanation.error,
        }
    return log


@lru_cache(maxsize=1)
def get_service() -> RecommenderService:
    """The process-wide service, built lazily on first use."""
    return RecommenderService()
