"""Top-k ranking metrics for one held-out item per user, as pure functions.

Every function takes the ranked lists that were shown (one array of item indices per user,
best first, already cut from a FULL ranking over the catalog) and the held-out item of each
user. With a single relevant item per user the ideal DCG is 1, so NDCG@k is 1/log2(rank+1)
when the item is ranked within the first k, else 0; the metrics are averaged over users.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def target_ranks(recommended: Sequence[np.ndarray], targets: np.ndarray, k: int) -> np.ndarray:
    """1-based position of each user's held-out item within the first `k`, or 0 when absent."""
    if len(recommended) != len(targets):
        raise ValueError(f"{len(recommended)} ranked lists but {len(targets)} targets; pass one list per user")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    ranks = np.zeros(len(targets), dtype=np.int64)
    for row, (ranked, target) in enumerate(zip(recommended, targets, strict=True)):
        hits = np.flatnonzero(np.asarray(ranked)[:k] == target)
        if len(hits):
            ranks[row] = int(hits[0]) + 1
    return ranks


def hit_rate_at_k(recommended: Sequence[np.ndarray], targets: np.ndarray, k: int) -> float:
    """Share of users whose held-out item is among their first `k` recommendations."""
    ranks = target_ranks(recommended, targets, k)
    return float(np.mean(ranks > 0)) if len(ranks) else 0.0


def ndcg_gains(recommended: Sequence[np.ndarray], targets: np.ndarray, k: int) -> np.ndarray:
    """Per user: 1/log2(rank+1) of the held-out item within the first `k`, 0 for a miss."""
    ranks = target_ranks(recommended, targets, k)
    gains = np.zeros(len(ranks), dtype=np.float64)
    found = ranks > 0
    gains[found] = 1.0 / np.log2(ranks[found] + 1.0)
    return gains


def ndcg_at_k(recommended: Sequence[np.ndarray], targets: np.ndarray, k: int) -> float:
    """Mean of 1/log2(rank+1) over users (0 for a miss): position-discounted hit rate."""
    gains = ndcg_gains(recommended, targets, k)
    return float(gains.mean()) if len(gains) else 0.0


def paired_ratio_interval(
    a: np.ndarray, b: np.ndarray, *, resamples: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of mean(a) / mean(b), resampling users (paired: the same
    users for both), e.g. one model's per-user NDCG over another's on the same test users."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or not len(a):
        raise ValueError(f"need two equally long, non-empty 1-d arrays, got {a.shape} and {b.shape}")
    if not 0 < level < 1 or resamples < 1:
        raise ValueError("level must be in (0, 1) and resamples >= 1")
    rows = np.random.default_rng(seed).integers(0, len(a), size=(resamples, len(a)))
    top, bottom = a[rows].mean(axis=1), b[rows].mean(axis=1)
    ratios = np.divide(top, bottom, out=np.full(resamples, np.nan), where=bottom > 0)
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(ratios, [tail, 100 - tail])
    return float(low), float(high)


def mrr_at_k(recommended: Sequence[np.ndarray], targets: np.ndarray, k: int) -> float:
    """Mean reciprocal rank of the held-out item, counting a miss beyond `k` as 0."""
    ranks = target_ranks(recommended, targets, k)
    if not len(ranks):
        return 0.0
    reciprocal = np.zeros(len(ranks), dtype=np.float64)
    found = ranks > 0
    reciprocal[found] = 1.0 / ranks[found]
    return float(reciprocal.mean())


def catalog_coverage(recommended: Sequence[np.ndarray], n_items: int, k: int) -> float:
    """Share of the catalog that appears in at least one user's first `k` recommendations.

    A model can score well by showing everyone the same blockbusters; coverage makes that visible.
    """
    if n_items < 1:
        raise ValueError(f"n_items must be at least 1, got {n_items}")
    shown = {int(i) for ranked in recommended for i in np.asarray(ranked)[:k]}
    return len(shown) / n_items


def ndcg_at_k_sets(recommended: Sequence[Sequence[object]], relevant: Sequence[set[object]], k: int) -> float:
    """Mean NDCG@k with a SET of relevant items per user (binary gains).

    DCG = sum over relevant items in the first k of 1/log2(position+1); the ideal DCG puts
    min(|relevant|, k) hits first. Users without relevant items are an error (nothing to find).
    """
    if len(recommended) != len(relevant):
        raise ValueError(f"{len(recommended)} ranked lists but {len(relevant)} relevant sets; pass one per user")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if not len(relevant):
        return 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))
    scores = []
    for ranked, wanted in zip(recommended, relevant, strict=True):
        if not wanted:
            raise ValueError("a user without relevant items has no NDCG; leave them out")
        gains = np.array([1.0 if item in wanted else 0.0 for item in list(ranked)[:k]])
        dcg = float((gains * discounts[: len(gains)]).sum())
        ideal = float(discounts[: min(len(wanted), k)].sum())
        scores.append(dcg / ideal)
    return float(np.mean(scores))


def hit_rate_at_k_sets(recommended: Sequence[Sequence[object]], relevant: Sequence[set[object]], k: int) -> float:
    """Share of users with at least one relevant item among their first `k`."""
    if len(recommended) != len(relevant):
        raise ValueError(f"{len(recommended)} ranked lists but {len(relevant)} relevant sets; pass one per user")
    if not len(relevant):
        return 0.0
    return float(np.mean([bool(set(list(r)[:k]) & w) for r, w in zip(recommended, relevant, strict=True)]))
