"""`LLMPipeline`: the few calls the service makes, with budgets, fallbacks, bandit and counters inside.

The service stays in charge of ranking and logging; the pipeline only answers two questions within
the turn's budget (how would the LLM score these candidates? what would it say about them?) and
always answers: when the LLM is off, slow, failing or wrong, the answer is "no scores" and "use the
template reasons", and the event is counted.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from recommender.config import Settings
from recommender.feedback import is_positive
from recommender.llm.backend import LLMBackend
from recommender.llm.backends import get_backend
from recommender.llm.bandit import (
    BanditStore,
    InMemoryBanditStore,
    PromptBandit,
)
from recommender.llm.budget import Deadline, LatencyEstimate, run_with_deadline
from recommender.llm.cache import CachingBackend
from recommender.llm.errors import LLMTimeoutError, failure_name
from recommender.llm.followup import FollowUp, FollowUpBacklog, FollowUpWithdrawn
from recommender.llm.generate import (
    ExplainItem,
    Explanation,
    compose_message,
    final_reasons,
    generate_explanation,
    template_explanation,
)
from recommender.llm.grounding import CatalogVocabulary
from recommender.llm.metrics import COUNTERS, LLMCounters
from recommender.llm.prompts import get_prompt, variants_for
from recommender.llm.query import QuerySummary
from recommender.llm.rerank import RerankResult, not_applied
from recommender.llm.rerank import rerank as rerank_candidates
from recommender.types import Item

logger = logging.getLogger(__name__)

EXPLAIN_TASK = "explain"
EXPLAIN_TASK_ZH = "explain_zh"  # the same job for a turn in Chinese (prompts/explain_zh_v*.txt)



def explain_variants(settings: Settings) -> dict[str, list[str]]:
    """The prompt variants of each explanation task: English turns and Chinese turns."""
    return {
        EXPLAIN_TASK: variants_for(EXPLAIN_TASK, settings.llm_prompt_variants),
        EXPLAIN_TASK_ZH: variants_for(EXPLAIN_TASK_ZH, settings.llm_prompt_variants_zh),
    }

class LLMPipeline:
    """Re-ranking and grounded generation for one process; cheap to build, loads nothing up front."""

    def __init__(
        self,
        settings: Settings,
        backend: LLMBackend | None,
        *,
        bandit: PromptBandit | None = None,
        counters: LLMCounters = COUNTERS,
        executor: ThreadPoolExecutor | None = None,
    ) -> None:
        self.settings = settings
        self.backend: LLMBackend | None = CachingBackend(backend) if backend is not None else None
        self.counters = counters
        self.executor = executor
        self.bandit = bandit or PromptBandit(InMemoryBanditStore(), explain_variants(settings))
        self._vocab: tuple[str, CatalogVocabulary] | None = None
        self._vocab_lock = threading.Lock()
        self._rerank_time = LatencyEstimate()
        self._explain_time = LatencyEstimate()
        self.followups = FollowUpBacklog(settings.llm_followup_max_backlog, lambda: self.counters)

    @classmethod
    def from_settings(cls, settings: Settings, bandit_store: BanditStore | None = None) -> LLMPipeline:
        """The pipeline the settings describe; pass `PromptStatsStore(store)` to persist the bandit."""
        backend = get_backend(settings)
        bandit = PromptBandit(bandit_store or InMemoryBanditStore(), explain_variants(settings), random.Random())
        return cls(settings, backend, bandit=bandit)

    @property
    def enabled(self) -> bool:
        """Whether any LLM backend is configured."""
        return self.backend is not None

    def warmup(self) -> None:
        """Start loading a local model in the background (call at action-server start)."""
        inner = getattr(self.backend, "inner", None)
        start = getattr(inner, "start_loading", None)
        if callable(start):
            start()

    # -- re-ranking --------------------------------------------------------------------------------
    def rerank(
        self, query: QuerySummary, candidates: Sequence[tuple[Item, float]], *, deadline: Deadline | None = None
    ) -> RerankResult:
        """LLM scores for the top candidates within the re-rank share of the turn budget.

        `candidates` are (item, base score) in base order. Never raises; `applied` says whether
        `scores` hold anything.
        """
        if self.backend is None or not self.settings.llm_rerank:
            return not_applied(candidates)
        if deadline is None:
            deadline = Deadline.after_ms(self.settings.turn_budget_ms * self.settings.llm_rerank_budget_share)
        if deadline.remaining() < 0.02:
            self.counters.inc("rerank", "timeout")
            return not_applied(candidates, "LLMTimeoutError")
        if self._rerank_time.over_budget(deadline.remaining()):  # it would only hold the CPU and the lock
            self.counters.inc("rerank", "skipped_over_budget")
            return not_applied(candidates, "over_budget")
        backend, timeout = self.backend, deadline.remaining()
        worker_counts = LLMCounters()  # merged only if the result arrives in time, so nothing counts twice

        def work() -> RerankResult:
            started = time.monotonic()
            result = rerank_candidates(
                backend, query, candidates, timeout=timeout, mode=self.settings.llm_rerank_mode,
                top_n=self.settings.llm_rerank_top_n, counters=worker_counts,
            )
            if result.error == "LLMTimeoutError":  # cut off by its limit: it needs more than that
                self._rerank_time.record_timeout(time.monotonic() - started)
            else:
                self._rerank_time.record(time.monotonic() - started)
            return result

        # A forward pass cannot be interrupted, so the turn waits in a worker only until the deadline;
        # a late result is dropped (the items are already on their way).
        outcome = run_with_deadline(work, deadline, lambda: not_applied(candidates), executor=self.executor)
        if outcome.from_fallback and outcome.reason == "timeout":
            self._rerank_time.record_timeout(outcome.seconds)  # known now, not when the worker ends
        if outcome.from_fallback:
            self.counters.inc("rerank", failure_name(outcome.reason))
            return not_applied(candidates, "LLMTimeoutError" if outcome.reason == "timeout" else outcome.reason,
                               outcome.seconds)
        self.counters.merge(worker_counts)
        return outcome.value

    # -- generation ----------------------------------------------------------------------------------
    def vocabulary(self, catalog: Sequence[Item], catalog_version: str) -> CatalogVocabulary:
        """The catalog's title/genre/people lookups, rebuilt only when the catalog version changes."""
        with self._vocab_lock:
            if self._vocab is None or self._vocab[0] != catalog_version:
                self._vocab = (catalog_version, CatalogVocabulary.from_items(catalog))
            return self._vocab[1]

    def explain(
        self,
        query: QuerySummary,
        items: Sequence[ExplainItem],
        *,
        catalog: Sequence[Item],
        catalog_version: str,
        deadline: Deadline | None = None,
        request_id: str | None = None,
        on_followup: Callable[[FollowUp], None] | None = None,
        fallback_reply: str = "",
        followup_owner: str | None = None,
    ) -> Explanation:
        """The LLM's reply and reasons if they arrive validated before `deadline`, else templates.

        With `on_followup` (push channels), a late answer is validated when it arrives and, if any
        of it passes, delivered as one composed message; `pending` is then True in the result.
        `fallback_reply` is the service's own first line, used in that message when the LLM's
        reply itself was rejected. A pending follow-up joins the bounded backlog
        (`FollowUpBacklog`) under `followup_owner`, whose `withdraw_followups` cancels it.
        """
        if self.backend is None or not self.settings.llm_generate or not items:
            return template_explanation()
        task = EXPLAIN_TASK_ZH if query.language == "zh" else EXPLAIN_TASK
        variant = self.bandit.choose(task)
        prompt = get_prompt(variant)
        vocab = self.vocabulary(catalog, catalog_version)
        if deadline is None:
            deadline = Deadline.after_ms(self.settings.turn_budget_ms)
        if self._explain_time.over_budget(deadline.remaining()):
            if on_followup is None:  # REST: the text could never arrive in time, so save the CPU
                self.counters.inc("explain", "skipped_over_budget")
                return template_explanation(error="over_budget")
            # Push channel: answer now with templates instead of idling until the deadline.
            self.counters.inc("explain", "over_budget_followup")
            deadline = Deadline(time.monotonic())
        timeout = self.settings.llm_timeout_s if on_followup is not None else deadline.remaining()
        backend = self.backend
        settings = self.settings

        def work() -> Explanation:
            started = time.monotonic()
            try:
                explanation = generate_explanation(
                    backend, prompt, query, items, vocab,
                    timeout=timeout, max_tokens=settings.llm_max_tokens, temperature=settings.llm_temperature,
                    counters=self.counters,
                )
            except LLMTimeoutError:  # cut off by its limit: it needs more than that
                self._explain_time.record_timeout(time.monotonic() - started)
                raise
            self._explain_time.record(time.monotonic() - started)
            return explanation

        def late(explanation: Explanation) -> None:
            if on_followup is None or not explanation.applied:
                self.counters.inc("followup", "nothing_valid")
                return
            followup = FollowUp(
                request_id, compose_message(explanation, items, fallback_reply),
                final_reasons(explanation, items), explanation.prompt_version,
            )
            try:
                on_followup(followup)
            except FollowUpWithdrawn as withdrawn:  # forgotten since the turn: never sent
                logger.info("follow-up not sent: %s", withdrawn)
                self.counters.inc("followup", "forgotten")
                return
            except Exception:  # the turn is long over: log, count, move on
                logger.exception("follow-up delivery failed for request=%s", request_id)
                self.counters.inc("followup", "delivery_failed")
                return
            self.counters.inc("followup", "sent")
            self._shown(request_id, task, variant)

        outcome = run_with_deadline(
            work, deadline, lambda: template_explanation(variant),
            on_late=late if on_followup is not None else None, executor=self.executor,
        )
        if outcome.from_fallback:
            # the backend's own timeout (the turn's remaining time) can fire a moment before the turn
            # stops waiting: the same timeout, only with nothing left running to follow up on
            reason = "timeout" if failure_name(outcome.reason) == "timeout" else outcome.reason
            pending = on_followup is not None and outcome.reason == "timeout"
            if reason == "timeout" and not pending:  # nothing more will come of this call
                self._explain_time.record_timeout(outcome.seconds)
            self.counters.inc("explain", failure_name(outcome.reason))
            if pending:
                self.counters.inc("followup", "scheduled")
                pending = self.followups.add(outcome.future, followup_owner)
            return template_explanation(variant, error=reason, pending=pending, latency=outcome.seconds)
        explanation = outcome.value
        if explanation.applied:
            self._shown(request_id, task, variant)
        return explanation

    def withdraw_followups(self, owner: str) -> int:
        """Cancel the queued follow-ups of `owner` (see `FollowUpBacklog.withdraw`)."""
        return self.followups.withdraw(owner)

    def _shown(self, request_id: str | None, task: str, variant: str) -> None:
        if request_id:
            try:
                self.bandit.record_shown(request_id, task, variant)
            except Exception:  # bandit bookkeeping must never break a turn
                logger.exception("could not record the prompt variant for request=%s", request_id)

    # -- feedback ------------------------------------------------------------------------------------
    def record_feedback(self, request_id: str | None, kind: str, value: float | None = None) -> None:
        """Reward the prompt variants of `request_id` when this feedback is positive."""
        if not request_id:
            return
        try:
            credited = self.bandit.record_feedback(request_id, is_positive(kind, value, self.settings.like_threshold))
        except Exception:
            logger.exception("could not reward the prompt variants of request=%s", request_id)
            return
        for task, variant in credited:
            self.counters.inc("bandit_reward", f"{task}:{variant}")


def turn_prompt_version(rerank: RerankResult | None, explanation: Explanation | None) -> str | None:
    """What to log in `prompt_version`: the prompts whose output this turn used (or will push)."""
    parts = []
    if rerank is not None and rerank.applied and rerank.prompt_version:
        parts.append(rerank.prompt_version)
    if explanation is not None and (explanation.applied or explanation.pending) and explanation.prompt_version:
        parts.append(explanation.prompt_version)
    return "+".join(parts) or None
