"""The pipeline with scripted backends: re-rank scores, grounded generation, budgets, follow-ups,
counters and the bandit's bookkeeping. Real models and servers are in the backend tests.

Budgets are checked as behaviour, not as wall-clock bounds: a backend held at a closed gate cannot
answer, so a turn that returns meanwhile did not wait for it, however busy the machine is. Turn
latency itself is measured in benchmarks/llm_bench.py.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from llm_helpers import BY_ID, CATALOG, HANG_CEILING_S, ScriptedBackend, TrackingExecutor

from recommender.config import Settings
from recommender.llm import (
    Deadline,
    ExplainItem,
    FollowUp,
    LLMPipeline,
    QuerySummary,
    turn_prompt_version,
)
from recommender.llm.backend import ChatMessage
from recommender.llm.budget import run_with_deadline
from recommender.llm.cache import CachingBackend
from recommender.llm.errors import LLMTimeoutError
from recommender.llm.metrics import LLMCounters, PrometheusCollector
from recommender.llm.prompts import variants_for
from recommender.llm.rerank import rerank

QUERY = QuerySummary(request="something funny from the 90s", understood="comedy from 1990-1999", genres=("comedy",))
CANDIDATES = [(BY_ID[i], s) for i, s in (("1", 0.9), ("6", 0.8), ("11", 0.7), ("12", 0.6), ("2", 0.5))]
ITEMS = [ExplainItem(BY_ID[i], f"template reason {i}") for i in ("1", "6", "11")]


def settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"var_dir": tmp_path, "llm_backend": "none", "turn_budget_ms": 1000}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def pipeline(tmp_path: Path, backend: object, counters: LLMCounters | None = None, **overrides: object) -> LLMPipeline:
    return LLMPipeline(settings(tmp_path, **overrides), backend, counters=counters or LLMCounters())  # type: ignore[arg-type]


def explanation_json(reasons: dict[str, str], reply: str = "Three funny picks for you.") -> str:
    return json.dumps({"reply": reply, "reasons": reasons})


# -- re-ranking ------------------------------------------------------------------------------------
def test_listwise_rerank_drops_ids_that_are_not_candidates_and_scores_the_rest() -> None:
    counters = LLMCounters()
    backend = ScriptedBackend('{"ranking": ["6", "999", "1", "6", "12"]}')
    result = rerank(backend, QUERY, CANDIDATES, timeout=5, top_n=4, counters=counters)
    assert result.applied and result.mode == "listwise" and result.prompt_version == "rerank_listwise_v1"
    assert result.order == ("6", "1", "12", "11", "2")  # forgotten "11" after the ranked; tail "2" untouched
    assert result.scores == {"6": 1.0, "1": 0.75, "12": 0.5, "11": 0.0}
    assert result.rejected_count == 2  # the unknown id and the duplicate
    assert counters.get("rerank", "ok") == 1 and counters.get("rerank_ids", "rejected") == 2
    assert "id=6 | Groundhog Day | 1993 | Comedy, Romance" in backend.calls[0][1]["content"]


def test_listwise_rerank_naming_no_candidate_is_not_applied() -> None:
    counters = LLMCounters()
    result = rerank(ScriptedBackend('{"ranking": ["999", "Star Wars"]}'), QUERY, CANDIDATES, timeout=5, counters=counters)
    assert not result.applied and result.scores == {}
    assert result.order == tuple(it.item_id for it, _ in CANDIDATES)
    assert counters.get("rerank", "rejected:no_candidate") == 1


def test_pointwise_rerank_turns_title_likelihoods_into_probabilities() -> None:
    likelihoods = {"Toy Story": -1.0, "Groundhog Day": -3.0, "Babe": -0.5, "Men in Black": -9.0, "GoldenEye": -4.0}
    backend = ScriptedBackend(scores=lambda options: [likelihoods[o] for o in options])
    result = rerank(backend, QUERY, CANDIDATES, timeout=5)
    assert result.mode == "pointwise" and result.prompt_version == "rerank_pointwise_v1"
    assert result.order[:3] == ("11", "1", "6")
    assert math.isclose(sum(result.scores.values()), 1.0)
    assert result.scores["11"] > result.scores["1"] > result.scores["6"]
    assert "id=" not in backend.calls[0][1]["content"]  # titles, not ids, are what the model scores


def test_rerank_errors_and_slow_backends_fall_back_to_the_base_order(tmp_path: Path, gate: threading.Event) -> None:
    counters = LLMCounters()
    backend = ScriptedBackend("{}", gate=gate)
    slow = pipeline(tmp_path, backend, counters)
    result = slow.rerank(QUERY, CANDIDATES, deadline=Deadline.after_ms(0))
    assert not backend.calls  # no time left: the model is not even asked, so nothing is waited for
    assert not result.applied and counters.get("rerank", "timeout") == 1
    off = pipeline(tmp_path, None)
    assert off.rerank(QUERY, CANDIDATES).order == tuple(it.item_id for it, _ in CANDIDATES)


# -- generation --------------------------------------------------------------------------------------
def test_grounded_reasons_are_used_and_ungrounded_ones_fall_back(tmp_path: Path) -> None:
    counters = LLMCounters()
    reply = explanation_json({
        "1": "A 1995 animated comedy, just the funny 90s pick you asked for.",
        "6": "A 1995 comedy with Bill Murray.",  # wrong year and an unsupported name
        "11": "Like Star Wars, but funnier.",  # a title outside the shown items
        "999": "An extra item nobody showed.",
    })
    llm = pipeline(tmp_path, ScriptedBackend(reply), counters)
    result = llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v1", request_id="req-1")
    assert result.source == "partial" and result.prompt_version in variants_for("explain", llm.settings.llm_prompt_variants)
    assert result.reply == "Three funny picks for you."
    assert result.reasons == {"1": "A 1995 animated comedy, just the funny 90s pick you asked for"}
    assert result.reason_for("6", "template reason 6") == "template reason 6"
    assert set(result.rejected["6"]) >= {"wrong_year", "unsupported_name"}
    assert result.rejected["11"] == ("foreign_title",)
    assert result.rejected["id:999"] == ("unknown_id",)
    assert counters.get("reason", "ok") == 1 and counters.get("reason", "rejected:foreign_title") == 1
    assert turn_prompt_version(None, result) == result.prompt_version
    # the variant was shown (some LLM text reached the user) -> one pull for this request
    assert sum(s.pulls for s in llm.bandit.report()) == 1


def test_unparseable_output_means_template_reasons(tmp_path: Path) -> None:
    counters = LLMCounters()
    llm = pipeline(tmp_path, ScriptedBackend("Here are my picks: Toy Story, Babe."), counters)
    result = llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v1", request_id="req-2")
    assert result.source == "template" and not result.applied
    assert counters.get("explain", "rejected:not_json") == 1
    assert sum(s.pulls for s in llm.bandit.report()) == 0


def test_a_slow_llm_returns_templates_within_the_budget_and_follows_up_later(tmp_path: Path, gate: threading.Event) -> None:
    counters = LLMCounters()
    good = explanation_json({i.item.item_id: "A comedy, as you asked" for i in ITEMS})
    backend = ScriptedBackend(good, gate=gate)
    llm = pipeline(tmp_path, backend, counters, llm_timeout_s=HANG_CEILING_S)
    delivered: list[FollowUp] = []
    arrived = threading.Event()

    def sink(followup: FollowUp) -> None:
        delivered.append(followup)
        arrived.set()

    result = llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v1", request_id="req-3",
                         deadline=Deadline.after_ms(150), on_followup=sink, fallback_reply="Here are 3 picks:")
    assert backend.answered == 0 and not delivered  # the turn returned at its deadline, not with the model
    assert result.pending and result.source == "template" and result.error == "timeout"
    assert turn_prompt_version(None, result) == result.prompt_version
    gate.set()  # now the model answers, long after the turn
    assert arrived.wait(HANG_CEILING_S), "the follow-up never arrived"
    followup = delivered[0]
    assert followup.request_id == "req-3" and followup.prompt_version == result.prompt_version
    assert followup.text.startswith("Three funny picks for you.\n1. Toy Story (1995) — A comedy, as you asked")
    assert counters.get("followup", "sent") == 1 and counters.get("explain", "timeout") == 1
    assert sum(s.pulls for s in llm.bandit.report()) == 1


def test_without_a_push_channel_a_slow_llm_is_simply_skipped(tmp_path: Path, gate: threading.Event) -> None:
    counters = LLMCounters()
    backend = ScriptedBackend("{}", gate=gate)
    llm = pipeline(tmp_path, backend, counters)
    result = llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v1", deadline=Deadline.after_ms(100))
    assert backend.answered == 0  # returned at the deadline while the model was still writing
    assert not result.pending and result.source == "template" and result.error == "timeout"
    assert counters.get("explain", "timeout") == 1 and counters.get("followup", "scheduled") == 0


def test_a_backend_that_times_out_on_its_own_before_the_turn_stops_waiting_counts_as_a_timeout(
    tmp_path: Path,
) -> None:
    """The backend's own timeout is the turn's remaining time, so on a busy machine it can fire a
    moment before the turn stops waiting; that is the same timeout, not a backend error (CI saw
    "error:timeout" instead of "timeout" once under load)."""

    def own_timeout(messages: Sequence[ChatMessage]) -> str:
        raise LLMTimeoutError("POST /v1/chat/completions timed out")

    counters = LLMCounters()
    llm = pipeline(tmp_path, ScriptedBackend(own_timeout), counters)
    result = llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v1", deadline=Deadline.after_s(HANG_CEILING_S))
    assert result.source == "template" and result.error == "timeout" and not result.pending
    assert counters.get("explain", "timeout") == 1 and counters.get("explain") == 1


def test_backend_errors_are_counted_and_fall_back(tmp_path: Path) -> None:
    from recommender.llm.errors import LLMUnavailableError

    def fail(messages: Sequence[ChatMessage]) -> str:
        raise LLMUnavailableError("down")

    counters = LLMCounters()
    result = pipeline(tmp_path, ScriptedBackend(fail), counters).explain(
        QUERY, ITEMS, catalog=CATALOG, catalog_version="v1"
    )
    assert result.source == "template" and result.error == "error:LLMUnavailableError"
    assert counters.get("explain", "error:unavailable") == 1


def test_positive_feedback_rewards_the_variant_that_served_the_request(tmp_path: Path) -> None:
    good = explanation_json({i.item.item_id: "A comedy, as you asked" for i in ITEMS})
    llm = pipeline(tmp_path, ScriptedBackend(good))
    result = llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v1", request_id="req-4")
    llm.record_feedback("req-4", "dislike")
    llm.record_feedback("req-4", "rating", 5.0)
    llm.record_feedback("req-4", "like")
    stats = {s.variant: s for s in llm.bandit.report()}
    assert stats[str(result.prompt_version)].successes == 1


# -- budget, cache, metrics ------------------------------------------------------------------------
def test_run_with_deadline_returns_the_fallback_at_the_deadline(gate: threading.Event) -> None:
    finished: list[str] = []

    def slow() -> str:
        gate.wait(HANG_CEILING_S)
        finished.append("late")
        return "late"

    outcome = run_with_deadline(slow, Deadline.after_ms(50), lambda: "fallback")
    assert outcome.value == "fallback" and outcome.reason == "timeout" and outcome.from_fallback
    assert not finished  # the caller had its fallback while the call was still running
    gate.set()
    assert outcome.future is not None and outcome.future.result(timeout=HANG_CEILING_S) == "late"
    assert run_with_deadline(lambda: "fast", Deadline.after_s(HANG_CEILING_S), lambda: "fallback").value == "fast"


def test_the_cache_answers_a_repeated_greedy_prompt_once() -> None:
    inner = ScriptedBackend("answer")
    cached = CachingBackend(inner, maxsize=2)
    messages: list[ChatMessage] = [{"role": "user", "content": "hi"}]
    assert cached.chat(messages, max_tokens=5, timeout=1) == cached.chat(messages, max_tokens=5, timeout=1)
    assert len(inner.calls) == 1 and cached.hits == 1
    cached.chat(messages, max_tokens=5, temperature=0.7, timeout=1)
    assert len(inner.calls) == 2  # sampled replies are never cached


def test_counters_are_exported_to_prometheus() -> None:
    from prometheus_client import CollectorRegistry

    counters = LLMCounters()
    counters.inc("reason", "rejected:wrong_year", 3)
    registry = CollectorRegistry()
    registry.register(PrometheusCollector(counters))
    value = registry.get_sample_value("recsys_llm_events_total", {"event": "reason", "reason": "rejected:wrong_year"})
    assert value == 3


def test_blend_only_moves_items_when_the_llm_was_applied() -> None:
    from recommender.llm.rerank import RerankResult, blend, not_applied

    assert blend(CANDIDATES, not_applied(CANDIDATES), 0.3) == CANDIDATES
    llm = RerankResult({"2": 1.0, "1": 0.0}, ("2", "1"), "v", 0.0, applied=True)
    assert blend(CANDIDATES, llm, 0.0) == CANDIDATES
    # base scaled to 1, .75, .5, .25, 0: weight 0.3 lifts "2" past "12" only; weight 2 puts it first
    assert [it.item_id for it, _ in blend(CANDIDATES, llm, 0.3)] == ["1", "6", "11", "2", "12"]
    assert next(it.item_id for it, _ in blend(CANDIDATES, llm, 2.0)) == "2"


def test_critiques_are_described_in_words() -> None:
    from recommender.llm.query import describe_critique
    from recommender.types import Critique

    assert describe_critique(Critique(older=True, exclude_genres=("Horror",), more_like="second"), "Toy Story") == (
        "something older", "no Horror", "more like Toy Story")
    assert describe_critique(None) == ()


def test_a_rerank_that_cannot_be_interrupted_still_returns_at_the_deadline(tmp_path: Path, gate: threading.Event) -> None:
    counters, executor = LLMCounters(), TrackingExecutor()
    slow = ScriptedBackend(scores=lambda options: [0.0] * len(options), gate=gate)
    llm = LLMPipeline(settings(tmp_path), slow, counters=counters, executor=executor)  # type: ignore[arg-type]
    result = llm.rerank(QUERY, CANDIDATES, deadline=Deadline.after_ms(100))
    assert slow.answered == 0  # back at the deadline, while the forward pass still ran
    assert not result.applied and result.error == "LLMTimeoutError"
    gate.set()
    executor.drain()  # the late result arrives and is dropped without being counted as a success
    assert slow.answered == 1
    assert counters.get("rerank", "timeout") == 1 and counters.get("rerank", "ok") == 0


def test_once_explanations_are_known_to_miss_the_budget_the_turn_stops_waiting(tmp_path: Path) -> None:
    counters = LLMCounters()
    good = explanation_json({i.item.item_id: "A comedy, as you asked" for i in ITEMS})
    llm = pipeline(tmp_path, ScriptedBackend(good, delay=0.3), counters, llm_timeout_s=5)
    arrived = threading.Event()

    def sink(followup: FollowUp) -> None:
        arrived.set()

    first = llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v", deadline=Deadline.after_ms(100),
                        on_followup=sink)
    # learned: an explanation takes at least 0.3 s (more on a busy machine), longer than the 0.1 s budget
    assert first.pending and arrived.wait(HANG_CEILING_S)
    assert counters.get("explain", "timeout") == 1
    arrived.clear()
    second = llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v", deadline=Deadline.after_ms(100),
                         on_followup=sink)
    # no waiting for text that cannot arrive in time: templates at once, the text as a follow-up
    assert counters.get("explain", "over_budget_followup") == 1 and counters.get("explain", "timeout") == 2
    assert second.pending and arrived.wait(HANG_CEILING_S)
    rest = llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v", deadline=Deadline.after_ms(100))
    assert rest.error == "over_budget" and counters.get("explain", "skipped_over_budget") == 1


def test_a_rerank_known_to_miss_its_share_is_not_even_started(tmp_path: Path) -> None:
    counters, executor = LLMCounters(), TrackingExecutor()
    slow = ScriptedBackend(scores=lambda options: [0.0] * len(options), delay=0.5)
    llm = LLMPipeline(settings(tmp_path), slow, counters=counters, executor=executor)  # type: ignore[arg-type]
    llm.rerank(QUERY, CANDIDATES, deadline=Deadline.after_ms(200))  # learns it takes >= 0.5 s
    executor.drain()
    calls, started_work = len(slow.calls), len(executor.futures)
    result = llm.rerank(QUERY, CANDIDATES, deadline=Deadline.after_ms(200))
    assert result.error == "over_budget" and not result.applied
    # nothing was started, so there was nothing to wait for
    assert len(executor.futures) == started_work and len(slow.calls) == calls
    assert counters.get("rerank", "skipped_over_budget") == 1
    # enough time: it runs again
    assert llm.rerank(QUERY, CANDIDATES, deadline=Deadline.after_s(HANG_CEILING_S)).applied


class TimeLimitedBackend(ScriptedBackend):
    """Like the local backend: stops at its time limit and raises, so it never runs late."""

    def chat(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0,
             stop: Sequence[str] = (), timeout: float) -> str:
        self.calls.append(list(messages))
        time.sleep(min(self.delay, timeout))
        if self.delay > timeout:
            raise LLMTimeoutError(f"generation ran past its {timeout:.2f}s limit")
        return self.reply(messages) if callable(self.reply) else self.reply


def test_a_model_that_always_runs_out_of_time_is_not_waited_for_again(tmp_path: Path) -> None:
    """A REST turn whose generation is cut off at the deadline learns that it needs more than the
    budget: the next turns with the same budget return at once (one probe in 20 still tries)."""
    counters, executor = LLMCounters(), TrackingExecutor()
    backend = TimeLimitedBackend(explanation_json({i.item.item_id: "A comedy, as you asked" for i in ITEMS}), delay=5.0)
    llm = LLMPipeline(settings(tmp_path), backend, counters=counters, executor=executor)  # type: ignore[arg-type]
    first = llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v", deadline=Deadline.after_ms(200))
    # the turn's deadline and the backend's own limit are the same instant: either may end it
    assert first.source == "template" and first.error in ("timeout", "error:LLMTimeoutError")
    executor.drain()  # the worker stops at its limit and records that it was cut off
    for _ in range(3):
        later = llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v", deadline=Deadline.after_ms(200))
        assert later.error == "over_budget"
    # not waited for: none of the three started any work, so none could wait
    assert len(executor.futures) == 1 and len(backend.calls) == 1
    assert counters.get("explain", "skipped_over_budget") == 3
    # a budget well above the one that was cut off is tried again
    llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v", deadline=Deadline.after_s(1.0))
    assert len(backend.calls) == 2
