"""How much the LLM's score counts next to the base ranking, learned from logged feedback.

The service blends a re-ranked head as `base (scaled 0-1) + w * llm (scaled so the best is 1)`
(`rerank.blend`). Until enough feedback exists, `w` is the `llm_rerank_weight` setting. The
retrain job fits it: for every logged re-ranked turn whose shown items got positive feedback,
the shown items are re-ordered under each candidate weight from their logged base and LLM
scores, and the weight whose order puts the liked items highest (mean reciprocal rank) wins.
A weight of 0 is a real answer: an LLM whose opinion does not predict what users like is
switched off by its own feedback. Ties go to the weight nearest the prior.

Only shown items can be liked, so this measures the LLM's opinion within what the blend showed:
it can lower an unhelpful weight reliably; raising it is evidence only within that window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from recommender.feedback import is_positive
from recommender.store.records import LoggedTurn


@dataclass(frozen=True)
class RerankedRequest:
    """One LLM re-ranked turn as logged: base and LLM scores of the head, shown items, positives."""

    request_id: str
    base_scores: Mapping[str, float]
    llm_scores: Mapping[str, float]
    shown: tuple[str, ...]
    positives: frozenset[str]


def reranked_requests(turns: Iterable[LoggedTurn], like_threshold: float) -> list[RerankedRequest]:
    """The turns the LLM re-ranked (their log has base scores), with the shown items that got positive feedback."""
    out = []
    for turn in turns:
        llm_log = turn.query.get("llm") or {}
        if not llm_log.get("base_scores"):
            continue
        positives = {item for item, kind, value in turn.feedback if is_positive(kind, value, like_threshold)}
        out.append(RerankedRequest(
            request_id=turn.request_id,
            base_scores={k: float(v) for k, v in llm_log["base_scores"].items()},
            llm_scores={k: float(v) for k, v in (llm_log.get("scores") or {}).items()},
            shown=turn.shown,
            positives=frozenset(positives & set(turn.shown)),
        ))
    return out


GRID: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0)


@dataclass(frozen=True)
class LLMWeightFit:
    """The chosen weight, where it came from, and the evidence."""

    weight: float
    source: str  # "learned" | "prior"
    requests: int  # re-ranked turns with positive feedback on a shown item
    mrr: dict[str, float] = field(default_factory=dict)  # weight -> mean reciprocal rank of the liked items

    def as_dict(self) -> dict[str, object]:
        """For the version's metrics and the logs."""
        return {"weight": self.weight, "source": self.source, "requests": self.requests, "mrr": self.mrr}


def blended_order(request: RerankedRequest, weight: float) -> list[str]:
    """The shown items re-ordered as `rerank.blend` would with `weight`, from the logged scores."""
    base = [request.base_scores.get(i, 0.0) for i in request.shown]
    low, high = min(base), max(base)
    span = high - low
    top = max(request.llm_scores.values(), default=0.0)

    def score(n: int) -> float:
        scaled = (base[n] - low) / span if span > 0 else 1.0
        llm = request.llm_scores.get(request.shown[n], 0.0) / top if top > 0 else 0.0
        return scaled + weight * llm

    order = sorted(range(len(request.shown)), key=lambda n: (-score(n), n))
    return [request.shown[n] for n in order]


def reciprocal_rank(request: RerankedRequest, weight: float) -> float:
    """1 / position of the best-placed liked item under `weight`."""
    for position, item in enumerate(blended_order(request, weight), 1):
        if item in request.positives:
            return 1.0 / position
    return 0.0


def fit_llm_weight(requests: Sequence[RerankedRequest], prior: float, min_requests: int = 30) -> LLMWeightFit:
    """The grid weight with the best mean reciprocal rank of liked items; the prior with too little evidence."""
    usable = [r for r in requests if r.positives and len(r.shown) > 1]
    if len(usable) < min_requests:
        return LLMWeightFit(prior, "prior", len(usable))
    mrr = {w: sum(reciprocal_rank(r, w) for r in usable) / len(usable) for w in GRID}
    best = max(mrr.values())
    chosen = min((w for w, value in mrr.items() if value >= best - 1e-12), key=lambda w: (abs(w - prior), w))
    return LLMWeightFit(chosen, "learned", len(usable), {f"{w:g}": round(v, 4) for w, v in mrr.items()})
