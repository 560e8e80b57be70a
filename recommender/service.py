"""`RecommenderService`: the one entry point the Rasa actions call.

One turn reads as a short pipeline of named stages (`recommender.serving`):

    bundle = bundles.current()                         # the served models, hot-swapped
    before, acts, state = reader.read(bundle, ctx)     # words -> dialogue acts -> state
    profile = load_profile(store, user)                # what the user told us before
    ask one question (a vague opener)  or  lists(bundle, ctx, state, acts, user, profile)
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from functools import lru_cache

from recommender import feedback as fb
from recommender.config import Settings, get_settings
from recommender.context import display_title, normalise_feedback_kind, parse_ordinal
from recommender.dialogue.acts import Act, Unknown
from recommender.dialogue.plan import unknown_notices
from recommender.dialogue.policy import choose_question, should_ask
from recommender.dialogue.state import DialogueState
from recommender.errors import AmbiguousItemError, InvalidFeedbackError, UnknownItemError
from recommender.identity import pseudonymous_id, warn_if_development_secret
from recommender.llm import LLMPipeline
from recommender.observability.metrics import timed_turn
from recommender.phrases import join, say
from recommender.profile import Profile, load_profile
from recommender.retrieval.bundle import ModelBundle
from recommender.serving import wording
from recommender.serving.bundles import BundleHolder
from recommender.serving.db_guard import DatabaseGuard, GuardedBanditStore
from recommender.serving.feedback_writer import FeedbackWriter
from recommender.serving.llm_turn import FollowUpCallback, LLMTurn
from recommender.serving.reading import TurnReader, TurnReading, resolve_row
from recommender.serving.recommend import ListRecommender, context_after
from recommender.store.prompt_stats import PromptStatsStore
from recommender.store.repository import Store, get_store
from recommender.store.spool import FeedbackSpool
from recommender.training.forget import forget_users_in_versions
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


class RecommenderService:
    """Understand a turn, then ask or recommend; explain; record feedback; forget a user."""

    def __init__(self, store: Store | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.settings.require_secure()  # production without its secrets: refuse now, not at the first turn
        warn_if_development_secret(self.settings.user_id_secret)
        self.store = store or get_store(self.settings)
        # the turn path's database calls fail soft; feedback goes to a local spool while it is down
        self.guard = DatabaseGuard(self.store, self.settings.db_retry_seconds, on_recovered=self._database_back)
        spool = FeedbackSpool(self.settings.var_dir / "spool", self.settings.feedback_spool_max_bytes)
        self.feedback_writer = FeedbackWriter(self.store, spool, self.guard)
        self.bundles = BundleHolder(self.store, self.settings, self.guard)
        self.reader = TurnReader()
        # Cheap: no model is loaded and no connection opened until the first LLM call (or
        # `warm_up`); with RECSYS_LLM_BACKEND=none the pipeline is disabled and never called.
        self.llm = LLMPipeline.from_settings(self.settings, GuardedBanditStore(PromptStatsStore(self.store), self.guard))
        self.llm_turn = LLMTurn(self.llm, self.store, self.settings, self.guard)
        self.lists = ListRecommender(self.store, self.settings, self.llm_turn, self.guard)

    def _database_back(self) -> None:
        """The database answers again: store what the spool kept meanwhile."""
        self.feedback_writer.replay_in_background()

    def warm_up(self) -> None:
        """Start loading the local LLM in the background, replay a feedback spool left by an earlier
        run, and build the first model bundle.

        The action server calls this once its worker is up, so the first user does not wait for
        the bundle and the LLM is ready sooner; turns that arrive meanwhile are answered as usual
        (the LLM stages fall back to templates until the weights are in memory).
        """
        self.llm.warmup()
        if self.feedback_writer.spool.size():  # feedback kept while the database was down, before a restart
            self.feedback_writer.replay_in_background()
        bundle = self.bundles.current()
        if bundle.text is not None:  # embed the descriptions now, not inside the first free-text wish
            text = bundle.text
            threading.Thread(target=lambda: text.vectors, name="text-warmup", daemon=True).start()

    @property
    def followups_enabled(self) -> bool:
        """Whether a late LLM message may follow a turn (the actions decide which channels can take one)."""
        return self.llm_turn.followups_enabled

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

        `on_followup` (push channels only) receives the LLM-written message when it misses the
        turn budget; the turn itself never waits past the budget for it.
        """
        return self._turn(ctx, (), on_followup=on_followup)

    @timed_turn("refine")
    def refine(
        self, ctx: ConversationContext, critique: Critique, *, on_followup: FollowUpCallback | None = None
    ) -> RecommendationResult:
        """A turn with an explicit critique ("older", "no horror", "more like #2", "other options")
        on top of whatever the message itself says."""
        acts = self.reader.critique_acts(self.bundles.current(), ctx, critique)
        return self._turn(replace(ctx, intent=ctx.intent or "refine"), acts, on_followup=on_followup)

    def understand(self, ctx: ConversationContext) -> tuple[DialogueState, tuple[Act, ...], DialogueState]:
        """(state before, this turn's acts, state after) without ranking: for tests and tools."""
        return self.reader.read(self.bundles.current(), ctx)

    def read_turn(self, ctx: ConversationContext) -> TurnReading:
        """What this message does to the search, whatever intent the NLU gave it, and whether it names an item."""
        return self.reader.read_turn(self.bundles.current(), ctx)

    def misrouted_search(self, ctx: ConversationContext) -> bool:
        """Whether a turn sent to "saved items" or "why" is really a search (no word of that intent in it)."""
        return self.reader.misrouted_search(self.bundles.current(), ctx)

    def _turn(
        self, ctx: ConversationContext, extra_acts: tuple[Act, ...], *, on_followup: FollowUpCallback | None
    ) -> RecommendationResult:
        bundle = self.bundles.current()
        before, acts, state = self.reader.read(bundle, ctx, extra_acts)
        user_id = self.user_id(ctx)
        # without the database the turn still answers from the loaded model, without the stored profile
        self.guard.call("user_session", lambda: self.store.ensure_user_session(user_id, user_id), None)
        profile = self.guard.call(
            "profile", lambda: load_profile(self.store, user_id, self.settings.like_threshold), Profile()
        )
        conversational = ctx.state is not None and self.settings.ask_vague_openers  # older callers get a list
        if conversational and should_ask(before, state, acts, knows_taste=bool(profile.liked or profile.ratings)):
            return self._ask(bundle, ctx, state, acts, user_id)
        return self.lists(bundle, ctx, replace(state, asked=None), acts, user_id, profile, on_followup=on_followup)

    def _ask(
        self, bundle: ModelBundle, ctx: ConversationContext, state: DialogueState, acts: tuple[Act, ...], user_id: str
    ) -> RecommendationResult:
        """One question (genre or era, chosen by entropy) with quick replies, instead of a list."""
        question = choose_question(bundle.index, bundle.popularity.scores, state, ctx.language)
        asked, notices = unknown_notices(
            replace(state, asked=question.attribute),
            tuple((a.word, a.attribute) for a in acts if isinstance(a, Unknown)), ctx.language,
        )
        if notices:
            question = replace(question, text=" ".join([*notices, question.text]))
        logger.info("asked user=%s attribute=%s", user_id[:10], question.attribute)
        return RecommendationResult(
            request_id="", items=(), text=question.text, context=context_after(ctx, asked, ()),
            model_version=bundle.version, notices=tuple(notices), state=asked, summary=asked.summary(lang=ctx.language),
            question=question, language=ctx.language,
        )

    # -- explanations ------------------------------------------------------------------------
    def explain(self, ctx: ConversationContext, item_ref: str | None = None) -> ItemsReply:
        """Why the last items (or the one referred to by ordinal/title/id) were recommended."""
        bundle = self.bundles.current()
        if not ctx.last_request_id:
            return ItemsReply(say("nothing_shown_yet", ctx.language))
        shown = self.store.impressions(ctx.last_request_id)
        if not shown:
            return ItemsReply(say("shown_list_gone", ctx.language))
        if item_ref:
            row = resolve_row(bundle, ctx.last_item_ids, item_ref)
            if row is None:
                raise AmbiguousItemError(f"could not resolve {item_ref!r} to a shown item")
            item = bundle.index.items[row]
            shown_item = next((s for s in shown if s.item_id == item.item_id), None)
            reason = shown_item.reason if shown_item else say("not_recommended_by_me", ctx.language)
            one = RecommendedItem(item, shown_item.score if shown_item else 0.0, reason)
            return ItemsReply(wording.one_reason_text(item, reason), (one,))
        picked = tuple(
            RecommendedItem(bundle.index.items[bundle.index.position[s.item_id]], s.score, s.reason)
            for s in shown
            if s.item_id in bundle.index.position
        )
        return ItemsReply(wording.reasons_text(picked, ctx.language), picked)

    # -- feedback ----------------------------------------------------------------------------
    @timed_turn("feedback")
    def record_feedback(self, ctx: ConversationContext, feedback: FeedbackRequest) -> FeedbackResult:
        """Store feedback once per press; raises UnknownItemError, AmbiguousItemError or InvalidFeedbackError.

        The press's idempotency key (user, Rasa message id, item, kind) makes a repeated delivery a
        no-op. While the database is down or hung the event goes to the local spool and the user
        gets the same acknowledgement; `FeedbackNotStoredError` only when the spool is full too.
        """
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
        bundle = self.bundles.current()
        judged: list[Item] = []  # what the words like or refuse: "I loved Fargo and Pulp Fiction", "the first two look good"
        if kind in (fb.LIKE, fb.DISLIKE) and feedback.item_id is None:
            judged = [bundle.index.items[bundle.index.position[i]]
                      for i in self.reader.judged_items(bundle, ctx, liked=kind == fb.LIKE) if i in bundle.index.position]
        try:
            item = self._feedback_item(bundle, ctx, feedback.item_id, feedback.item_ref)
        except (UnknownItemError, AmbiguousItemError):
            if not judged:
                raise
            item = judged[0]  # no one reference the NLU found, but the words name them
        items = [item]
        # "the second one" names one item, whatever else is said; "number 2 and 4" names both
        if parse_ordinal(feedback.item_ref or "") is None or any(i.item_id == item.item_id for i in judged):
            items += [i for i in judged if i.item_id != item.item_id]
        user_id = self.user_id(ctx)
        request_id = feedback.request_id or ctx.last_request_id
        self.guard.call("user_session", lambda: self.store.ensure_user_session(user_id, user_id), None)
        for liked in items:
            self.feedback_writer.write(
                user_id=user_id, item_id=liked.item_id, kind=kind, value=value, request_id=request_id,
                session_id=user_id, message_id=feedback.message_id,
            )
        self.llm_turn.record_feedback(request_id, kind, value)
        logger.info("feedback user=%s items=%s kind=%s", user_id[:10], ",".join(i.item_id for i in items), kind)
        titles = join([display_title(i.title) for i in items], ctx.language)
        text = fb.acknowledgement(kind, titles, value, ctx.language)
        return FeedbackResult(item=item, kind=fb.spec(kind).name, value=value, text=text)

    def _feedback_item(
        self, bundle: ModelBundle, ctx: ConversationContext, item_id: str | None, ref: str | None
    ) -> Item:
        """The item feedback is about: an exact id (buttons), or an ordinal or title (words)."""
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
        row = resolve_row(bundle, ctx.last_item_ids, ref)
        if row is None:
            logger.warning("feedback for an item that is not in the catalog: %r", ref[:64])
            raise UnknownItemError(ref[:64])
        return bundle.index.items[row]

    # -- profile -----------------------------------------------------------------------------
    def saved_items(self, ctx: ConversationContext) -> ItemsReply:
        """The user's bookmarked items, newest last."""
        bundle = self.bundles.current()
        profile = load_profile(self.store, self.user_id(ctx), self.settings.like_threshold)
        rows = [bundle.index.position[i] for i in profile.bookmarked if i in bundle.index.position]
        if not rows:
            return ItemsReply(say("nothing_saved", ctx.language))
        items = tuple(
            RecommendedItem(bundle.index.items[r], 0.0, wording.saved_reason(bundle.index.items[r], ctx.language))
            for r in rows
        )
        return ItemsReply(wording.saved_text(items, ctx.language), items)

    def forget_user(self, ctx: ConversationContext) -> int:
        """Delete everything stored about this user and remove them from every kept model version
        (`training.forget`); returns the number of rows deleted.

        The rows go first (so a retrain running now removes the user from what it writes), then
        this process stops using the user's trained vector, then the version files are rewritten.
        """
        user_id = self.user_id(ctx)
        spooled = self.feedback_writer.forget_user(user_id)  # first: no replay may bring them back
        self.llm_turn.forget_user(user_id)  # follow-ups not yet sent never will be
        counts = self.store.forget_user(user_id)
        if spooled:
            counts = {**counts, "feedback_spool": spooled}
        self.bundles.forget_user(user_id)
        versions = forget_users_in_versions(self.settings.models_dir, [user_id])
        logger.info("forgot user=%s rows=%s model_versions=%d", user_id[:10], counts, versions)
        return sum(counts.values())


@lru_cache(maxsize=1)
def get_service() -> RecommenderService:
    """The process-wide service, built lazily on first use."""
    return RecommenderService()
