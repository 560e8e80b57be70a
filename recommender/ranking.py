"""Scoring and ranking of candidates: collaborative, content and popularity signals blended.

Stages: candidate mask (hard filters) -> scores -> top-k. Seeds are catalog rows the user
liked (this conversation or the stored profile); negative seeds are rows they disliked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from recommender.retrieval.bundle import ModelBundle

# Blend weights of the first, hand-set ranker; the learned blend replaces them in a later issue.
W_COLLABORATIVE = 1.0
W_CONTENT = 0.35
W_POPULARITY = 0.25
W_NEGATIVE = 0.6


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


def _scaled(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def rank(bundle: ModelBundle, request: RankRequest) -> list[RankedRow]:
    """Top-k rows of the mask by blended score; ties broken by popularity."""
    popularity = bundle.popularity.scores
    total = W_POPULARITY * popularity if request.seeds else popularity.astype(float).copy()
    collaborative = np.zeros(len(bundle.index), dtype=np.float32)
    seed_of = np.full(len(bundle.index), -1, dtype=np.int64)
    content = np.zeros(len(bundle.index), dtype=np.float32)
    if request.seeds:
        if not bundle.knn.is_empty:
            collaborative, seed_of = bundle.knn.score(request.seeds)
            total = total + W_COLLABORATIVE * _scaled(collaborative)
        content = bundle.content.score(request.seeds)
        weight = W_CONTENT if not bundle.knn.is_empty else 1.0
        total = total + weight * _scaled(content)
    if request.negative_seeds and not bundle.knn.is_empty:
        negative, _ = bundle.knn.score(request.negative_seeds)
        total = total - W_NEGATIVE * _scaled(negative)
    candidates = np.flatnonzero(request.mask)
    if len(candidates) == 0:
        return []
    order = np.lexsort((-popularity[candidates], -total[candidates]))[: request.k]
    ranked = []
    for position in order:
        row = int(candidates[position])
        sources = []
        if collaborative[row] > 0:
            sources.append("item_knn")
        if content[row] > 0:
            sources.append("content")
        sources.append("popularity")
        seed = int(seed_of[row]) if seed_of[row] >= 0 else None
        if seed is None and content[row] > 0 and request.seeds:
            seed = max(request.seeds, key=lambda s: request.seeds[s])
        ranked.append(RankedRow(row, float(total[row]), tuple(sources), seed))
    return ranked
