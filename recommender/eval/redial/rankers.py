"""The baseline rankers of the ReDial benchmark (popularity, item-kNN, the service's `rank`,
text query) and the combination of their signals, with its weights tuned on the validation slice.

Every ranker is a `Ranker` (context -> ranked item ids); the dialogue service's own path is in
`dialogue.py`, as it is the one that depends on `recommender.dialogue`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from recommender.eval.redial.models import RedialModels
from recommender.eval.redial.samples import KS, Ranker, RedialContext, RedialSample


def _scaled(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


@dataclass
class Components:
    """Per-row signal scores of one context; the combination ranker and its tuning share them."""

    knn: np.ndarray
    text: np.ndarray
    popularity: np.ndarray
    mask: np.ndarray


def components(models: RedialModels, context: RedialContext, *, knn: bool = True, text: bool = True) -> Components:
    """Item-kNN from liked mentions (scaled to max 1), text-query cosine (min-max) and popularity;
    a signal not asked for is zeros."""
    bundle = models.bundle
    n = len(models.item_ids)
    seeds = dict.fromkeys(models.rows(context.liked), 1.0)
    knn_scores = _scaled(bundle.knn.contributions(seeds)[0]) if knn and seeds else np.zeros(n, dtype=np.float32)
    text_scores = np.zeros(n, dtype=np.float32)
    if text and bundle.text is not None and context.seeker_text.strip():
        text_scores = _minmax(models.text_scores(context.seeker_text))
    return Components(knn_scores, text_scores, bundle.popularity.scores, models.mask(context))


@dataclass(frozen=True)
class Weights:
    """Blend of the combination ranker."""

    knn: float = 1.0
    text: float = 0.5
    popularity: float = 0.25

    def total(self, c: Components) -> np.ndarray:
        """The blended score per row."""
        return self.knn * c.knn + self.text * c.text + self.popularity * c.popularity


def popularity_ranker(models: RedialModels) -> Ranker:
    """The service's ranking with no seeds and no text: `recommender.ranking.rank` on popularity."""
    from recommender.ranking import RankRequest, rank

    def ranker(context: RedialContext) -> list[str]:
        ranked = rank(models.bundle, RankRequest(mask=models.mask(context), k=max(KS)))
        return [models.item_ids[r.row] for r in ranked]

    return ranker


def item_knn_ranker(models: RedialModels) -> Ranker:
    """Item-kNN from the liked mentions; popularity orders the rest (and everything without likes)."""

    def ranker(context: RedialContext) -> list[str]:
        c = components(models, context, text=False)
        return models.top(c.knn + 1e-3 * c.popularity, c.mask, max(KS))

    return ranker


def service_rank_ranker(models: RedialModels) -> Ranker:
    """The service's pre-learned-model ranking (`rank`): liked mentions as seeds, disliked as
    negative seeds; item-kNN + content + popularity with its hand-set weights."""
    from recommender.ranking import RankRequest, rank

    def ranker(context: RedialContext) -> list[str]:
        request = RankRequest(
            mask=models.mask(context), k=max(KS),
            seeds=dict.fromkeys(models.rows(context.liked), 1.0),
            negative_seeds=dict.fromkeys(models.rows(context.disliked), 1.0),
        )
        return [models.item_ids[r.row] for r in rank(models.bundle, request)]

    return ranker


def text_ranker(models: RedialModels) -> Ranker:
    """Cosine of the seeker's words with each item's text (Task 1); popularity breaks ties."""

    def ranker(context: RedialContext) -> list[str]:
        c = components(models, context, knn=False)
        return models.top(c.text + 1e-3 * c.popularity, c.mask, max(KS))

    return ranker


def combined_ranker(models: RedialModels, weights: Weights) -> Ranker:
    """Item-kNN on liked + text query + popularity, with weights chosen on the validation slice."""

    def ranker(context: RedialContext) -> list[str]:
        c = components(models, context)
        return models.top(weights.total(c), c.mask, max(KS))

    return ranker


WEIGHT_GRID: dict[str, tuple[float, ...]] = {
    "knn": (1.0,),
    "text": (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
    "popularity": (0.0, 0.1, 0.25, 0.5, 1.0, 2.0),
}


def _target_rank(total: np.ndarray, popularity: np.ndarray, mask: np.ndarray, target: int) -> int:
    """0-based position of `target` among the masked rows (ties by popularity, as `top`)."""
    t, p = total[target], popularity[target]
    tied = total == t
    better = (total > t) | (tied & (popularity > p)) | (tied & (popularity == p) & (np.arange(len(total)) < target))
    return int((better & mask).sum())


def tune_weights(
    models: RedialModels, samples: Sequence[RedialSample], *, progress: bool = True
) -> tuple[Weights, list[dict[str, Any]]]:
    """The grid point with the best validation Recall@10 (then @50, @1); every point's scores."""
    cached: list[tuple[Components, int]] = []
    for sample in tqdm(samples, desc="validation signals", disable=not progress, file=sys.stderr, leave=False):
        row = models.bundle.index.position.get(sample.target)
        if row is not None:
            cached.append((components(models, sample.context), row))
    results: list[dict[str, Any]] = []
    for w_text in WEIGHT_GRID["text"]:
        for w_pop in WEIGHT_GRID["popularity"]:
            weights = Weights(knn=WEIGHT_GRID["knn"][0], text=w_text, popularity=w_pop)
            ranks = np.array([_target_rank(weights.total(c), c.popularity, c.mask, row) for c, row in cached])
            scores = {f"recall@{k}": round(float((ranks < k).mean()), 4) if len(ranks) else 0.0 for k in KS}
            results.append({"weights": weights.__dict__.copy(), **scores})
    best = max(results, key=lambda r: (r["recall@10"], r["recall@50"], r["recall@1"]))
    return Weights(**best["weights"]), results
