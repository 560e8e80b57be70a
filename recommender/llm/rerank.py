"""LLM re-ranking of the top candidates, as a score per candidate for the learned blend.

Two ways to ask, chosen by what the backend can do:
- pointwise (local models): the log-likelihood of each candidate's title as the model's answer to
  "which fits best?", read from one forward pass over a shared prompt; softmax gives a probability.
  No generation, so it fits a CPU turn budget, and the output cannot name anything but a candidate.
- listwise (any chat server): the model returns the ids in order as JSON; ids that are not
  candidates are dropped and counted; candidates it forgot get score 0.
Either way the result is a feature (`scores`), not a verdict: its weight in the blend is learned
from feedback, so a poor model is down-weighted instead of reordering the list on its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from recommender.llm.backend import LLMBackend
from recommender.llm.errors import LLMError, failure_name
from recommender.llm.metrics import COUNTERS, LLMCounters
from recommender.llm.parsing import ParseError, parse_ranking
from recommender.llm.prompts import PromptTemplate, get_prompt
from recommender.llm.query import QuerySummary, prompt_values, short_title
from recommender.types import Item

RerankMode = Literal["auto", "listwise", "pointwise"]
POINTWISE_PROMPT = "rerank_pointwise_v1"
LISTWISE_PROMPT = "rerank_listwise_v1"


@dataclass(frozen=True)
class RerankResult:
    """LLM scores for the re-ranked head of the list, and what happened.

    `scores` maps candidate id -> llm_score in [0, 1] (empty when the LLM was not applied);
    `order` is every candidate id, the head in the LLM's order followed by the tail unchanged.
    """

    scores: dict[str, float]
    order: tuple[str, ...]
    prompt_version: str | None
    latency: float
    rejected_count: int = 0
    applied: bool = False
    mode: str = "none"
    error: str | None = None
    raw: str = field(default="", repr=False)

    @property
    def latency_ms(self) -> float:
        """`latency` in milliseconds, for logs."""
        return self.latency * 1000


def not_applied(candidates: Sequence[tuple[Item, float]], error: str | None = None, latency: float = 0.0) -> RerankResult:
    """The base order and no scores: what the blend sees when the LLM is off, slow or wrong."""
    return RerankResult({}, tuple(it.item_id for it, _ in candidates), None, latency, error=error)


def rerank(
    backend: LLMBackend,
    query: QuerySummary,
    candidates: Sequence[tuple[Item, float]],
    *,
    timeout: float,
    mode: RerankMode = "auto",
    top_n: int = 10,
    counters: LLMCounters = COUNTERS,
    prompt: PromptTemplate | None = None,
) -> RerankResult:
    """Score the first `top_n` candidates with the LLM within `timeout` seconds; never raises LLMError."""
    started = time.monotonic()
    head = list(candidates[:top_n])
    tail_ids = tuple(it.item_id for it, _ in candidates[top_n:])
    if len(head) < 2:
        return not_applied(candidates)
    pointwise = mode == "pointwise" or (mode == "auto" and backend.supports_scoring)
    if pointwise and not backend.supports_scoring:
        pointwise = False
    chosen = prompt or get_prompt(POINTWISE_PROMPT if pointwise else LISTWISE_PROMPT)
    items = [it for it, _ in head]
    try:
        if pointwise:
            scores, order, rejected, raw = _pointwise(backend, chosen, query, items, timeout)
        else:
            scores, order, rejected, raw = _listwise(backend, chosen, query, items, timeout)
    except ParseError as exc:
        counters.inc("rerank", f"rejected:{exc.code}")
        return not_applied(candidates, f"parse:{exc.code}", time.monotonic() - started)
    except LLMError as exc:
        counters.inc("rerank", failure_name(type(exc).__name__))
        return not_applied(candidates, type(exc).__name__, time.monotonic() - started)
    counters.inc("rerank", "ok")
    counters.inc("rerank_ids", "rejected", rejected)
    return RerankResult(
        scores=scores,
        order=order + tail_ids,
        prompt_version=chosen.version,
        latency=time.monotonic() - started,
        rejected_count=rejected,
        applied=True,
        mode="pointwise" if pointwise else "listwise",
        raw=raw,
    )


def _options(items: Sequence[Item]) -> list[str]:
    titles = [short_title(it) for it in items]
    if len(set(titles)) < len(titles):  # remakes share a title: the year tells them apart
        titles = [f"{t} ({it.year})" if it.year else t for t, it in zip(titles, items, strict=True)]
    return titles


def _pointwise(
    backend: LLMBackend, prompt: PromptTemplate, query: QuerySummary, items: Sequence[Item], timeout: float
) -> tuple[dict[str, float], tuple[str, ...], int, str]:
    messages = prompt.render(prompt_values(query, items, with_ids=False))
    logps = backend.score_options(messages, _options(items), timeout=timeout)
    top = max(logps)
    weights = [math.exp(lp - top) for lp in logps]
    total = sum(weights)
    scores = {it.item_id: w / total for it, w in zip(items, weights, strict=True)}
    order = sorted(range(len(items)), key=lambda i: (-logps[i], i))
    return scores, tuple(items[i].item_id for i in order), 0, ""


def _listwise(
    backend: LLMBackend, prompt: PromptTemplate, query: QuerySummary, items: Sequence[Item], timeout: float
) -> tuple[dict[str, float], tuple[str, ...], int, str]:
    messages = prompt.render(prompt_values(query, items))
    raw = backend.chat(messages, max_tokens=12 * len(items) + 24, temperature=0.0, timeout=timeout)
    parsed = parse_ranking(raw)
    known = {it.item_id for it in items}
    ranked = [i for i in parsed.ids if i in known]
    rejected = parsed.malformed + sum(1 for i in parsed.ids if i not in known)
    if not ranked:
        raise ParseError("no_candidate", "the ranking names none of the candidates")
    n = len(items)
    scores = {item_id: (n - pos) / n for pos, item_id in enumerate(ranked)}
    scores.update({it.item_id: 0.0 for it in items if it.item_id not in scores})
    order = tuple(ranked) + tuple(it.item_id for it in items if it.item_id not in ranked)
    return scores, order, rejected, raw


def blend(candidates: Sequence[tuple[Item, float]], result: RerankResult, weight: float) -> list[tuple[Item, float]]:
    """Candidates re-sorted by base score (scaled to 0-1) + weight * llm_score (scaled so the best is 1).

    The ranking's second stage: the learned blend's scores are the base, `llm_score` one more
    feature whose weight is learned from logged feedback by the retrain job (`llm/weight.py`; the
    published version carries it, `llm_rerank_weight` applies until then). With the LLM not applied
    (or weight 0) the base order and scores come back unchanged, so turning the LLM off, or a
    learned weight of 0 for an unhelpful LLM, can never change a ranking.
    """
    if not result.applied or weight <= 0 or not candidates:
        return list(candidates)
    base = [score for _, score in candidates]
    low, high = min(base), max(base)
    span = high - low
    # Pointwise scores are probabilities (peaky, summing to 1); divide by the best so that the LLM's
    # favourite always gets the full weight, whichever way the scores were produced.
    top = max(result.scores.values(), default=0.0)
    blended = [
        (
            item,
            ((score - low) / span if span > 0 else 1.0)
            + (weight * result.scores.get(item.item_id, 0.0) / top if top > 0 else 0.0),
        )
        for item, score in candidates
    ]
    order = sorted(range(len(blended)), key=lambda i: (-blended[i][1], i))
    return [blended[i] for i in order]
