"""Scoring and ranking of candidates: the published preference model plus this conversation's signals.

Stages: candidate mask (hard filters) -> scores -> top-k. Seeds are catalog rows the user
liked (this conversation or the stored profile); negative seeds are rows they disliked.

With a published model (the learned blend, retrained from feedback) its score leads: it is
turned into a percentile among the candidates that pass the filters, and this conversation's
item-kNN and content signals from the seeds are added with smaller weights, so "more like the
second one" moves the list at once, before any retrain. Without one (a fresh install before
the first retrain) the hand-set blend of item-kNN, content and popularity ranks alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from recommender.models.base import Query
from recommender.retrieval.bundle import ModelBundle

# Blend weights of the first, hand-set ranker; the learned blend replaces them in a later issue.
W_COLLABORATIVE = 1.0
W_CONTENT = 0.35
W_POPULARITY = 0.25
W_NEGATIVE = 0.6
# With the learned model leading: the conversation's own signals nudge, they do not overrule.
W_PREFERENCE = 1.0
W_SEED_COLLABORATIVE = 0.3
W_SEED_CONTENT = 0.15
W_PREFERENCE_POPULARITY = 0.05
# A free-text wish ("a heist with a twist") matched against item descriptions: strong enough to
# reorder the candidates that pass the filters, never a filter itself.
W_TEXT = 0.4
# What a complaint named ("too gory" -> "gory"): the rows whose descriptions are most like it (above
# the median of the rows that pass the filters) go lower by up to this much; never a filter.
W_AVOID = 0.4
# A mood ("something to cheer me up": any of Comedy, Children's, Musical, Romance) filters by any
# of its genres; among those, an item squarely inside it (all its genres in the mood) goes before
# one that only touches it (Titanic's Romance): a nudge of at most this much.
W_MOOD = 0.3


@dataclass(frozen=True)
class RankedRow:
    """A catalog row with its blended score, the signals behind it and the seed that explains it."""

    row: int
    score: float
    sources: tuple[str, ...]
    seed_row: int | None = None


@dataclass(frozen=True)
class RankRequest:
    """Seeds (row -> weight), negative seeds, the candidate mask and how many rows to return."""

    mask: np.ndarray
    k: int
    seeds: Mapping[int, float] = field(default_factory=dict)
    negative_seeds: Mapping[int, float] = field(default_factory=dict)
    preference: np.ndarray | None = None  # published model's score per row, -inf where unknown
    text: np.ndarray | None = None  # similarity of each row's description to a free-text wish
    avoid: np.ndarray | None = None  # similarity of each row's description to what a complaint named
    mood_fit: np.ndarray | None = None  # 0-1: how squarely each row sits inside the wished moods


def _scaled(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _percentile(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """1.0 for the best masked row down to ~0 for the worst; 0 outside the mask and for -inf."""
    out = np.zeros(len(values))
    rows = np.flatnonzero(mask & np.isfinite(values))
    if len(rows):
        order = np.argsort(np.argsort(-values[rows], kind="stable"), kind="stable")
        out[rows] = 1.0 - order / len(rows)
    return out


def _seed_query(seeds: Mapping[int, float]) -> Query:
    """This conversation's seed rows and weights as a model query."""
    return Query(history=np.fromiter(seeds, dtype=np.int64, count=len(seeds)),
                 weights=np.fromiter(seeds.values(), dtype=np.float32, count=len(seeds)))


def rank(bundle: ModelBundle, request: RankRequest) -> list[RankedRow]:
    """Top-k rows of the mask by blended score; ties broken by popularity."""
    popularity = bundle.popularity.scores
    learned = request.preference is not None and bool(np.isfinite(request.preference[request.mask]).any())
    if learned:
        assert request.preference is not None
        total = W_PREFERENCE * _percentile(request.preference, request.mask) + W_PREFERENCE_POPULARITY * popularity
        w_collaborative, w_content = W_SEED_COLLABORATIVE, W_SEED_CONTENT
    else:
        total = W_POPULARITY * popularity if request.seeds else popularity.astype(float).copy()
        w_collaborative, w_content = W_COLLABORATIVE, W_CONTENT
    collaborative = np.zeros(len(bundle.index), dtype=np.float32)
    seed_of = np.full(len(bundle.index), -1, dtype=np.int64)
    content = np.zeros(len(bundle.index), dtype=np.float32)
    if request.seeds:
        if not bundle.knn.is_empty:
            collaborative, seed_of = bundle.knn.contributions(request.seeds)
            total = total + w_collaborative * _scaled(collaborative)
        content = bundle.content.score(_seed_query(request.seeds))
        weight = w_content if not bundle.knn.is_empty else w_collaborative
        total = total + weight * _scaled(content)
    if request.text is not None and request.mask.any():
        within = np.where(request.mask, request.text, 0.0)
        total = total + W_TEXT * _scaled(np.clip(within, 0.0, None))
    if request.avoid is not None and request.mask.any():
        above = request.avoid - float(np.median(request.avoid[request.mask]))
        total = total - W_AVOID * _scaled(np.where(request.mask, np.clip(above, 0.0, None), 0.0))
    if request.mood_fit is not None:
        total = total + W_MOOD * request.mood_fit
    if request.negative_seeds and not bundle.knn.is_empty:
        negative, _ = bundle.knn.contributions(request.negative_seeds)
        total = total - W_NEGATIVE * _scaled(negative)
    candidates = np.flatnonzero(request.mask)
    if len(candidates) == 0:
        return []
    order = np.lexsort((-popularity[candidates], -total[candidates]))[: request.k]
    ranked = []
    for position in order:
        row = int(candidates[position])
        sources = []
        if learned and request.preference is not None and np.isfinite(request.preference[row]):
            sources.append("blend")
        if collaborative[row] > 0:
            sources.append("item_knn")
        if content[row] > 0:
            sources.append("content")
        if request.text is not None and request.text[row] > 0:
            sources.append("text")
        sources.append("popularity")
        seed = int(seed_of[row]) if seed_of[row] >= 0 else None
        if seed is None and content[row] > 0 and request.seeds:
            seed = max(request.seeds, key=lambda s: request.seeds[s])
        ranked.append(RankedRow(row, float(total[row]), tuple(sources), seed))
    return ranked
