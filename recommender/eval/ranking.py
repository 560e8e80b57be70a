"""How every evaluation here ranks held-out users: the offline evaluation, the served chain and the retrain job.

One request per user, built as serving builds it (their history, oldest first, ratings as
weights, and their index), every history item excluded, the full catalog ranked, BLAS limited to
one thread (a request is a small matrix-vector product; see `recommender.eval.evaluate`).
"""

from __future__ import annotations

import random
import sys
import time
from typing import Protocol

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from recommender.eval.metrics import catalog_coverage, hit_rate_at_k, mrr_at_k, ndcg_at_k, ndcg_gains
from recommender.eval.split import HeldOut
from recommender.models.base import Query


def seed_everything(seed: int) -> None:
    """Same random state before every fit, so grid points and models start alike."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a project dependency
        return
    torch.manual_seed(seed)


class Ranker(Protocol):
    """Anything that ranks items for a query: every `PreferenceModel`, or a published version's adapter."""

    def recommend(self, query: Query, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
        """Top-k item indices, best first, never an item in `exclude`."""
        ...


def rank_held_out(
    model: Ranker,
    held_out: HeldOut,
    histories: list[tuple[np.ndarray, np.ndarray]],
    k: int,
    *,
    progress: bool = False,
    desc: str = "",
) -> tuple[list[np.ndarray], np.ndarray]:
    """Top-k lists for the held-out users and the seconds each request took.

    The query is exactly what serving would send for a known user: their history (oldest
    first, ratings as weights) and their index. Everything in the history is excluded.
    """
    recommended: list[np.ndarray] = []
    seconds = np.zeros(len(held_out), dtype=np.float64)
    users = tqdm(held_out.users.tolist(), desc=desc, disable=not progress, file=sys.stderr, leave=False, unit="user")
    with threadpool_limits(limits=1, user_api="blas"):
        for row, user in enumerate(users):
            items, weights = histories[user]
            query = Query(history=items, weights=weights, user=int(user))
            start = time.perf_counter()
            top = model.recommend(query, k, exclude=items)
            seconds[row] = time.perf_counter() - start
            recommended.append(top)
    return recommended, seconds


def held_out_gains(
    model: Ranker, held_out: HeldOut, histories: list[tuple[np.ndarray, np.ndarray]], k: int
) -> np.ndarray:
    """Per held-out user, 1/log2(1 + rank) of their item within the top k (0 beyond): NDCG@k is the mean."""
    recommended, _ = rank_held_out(model, held_out, histories, k)
    return ndcg_gains(recommended, held_out.items, k)


def ranking_metrics(recommended: list[np.ndarray], targets: np.ndarray, n_items: int, k: int) -> dict[str, float]:
    """HR, NDCG, MRR and coverage at k, rounded for the report."""
    return {
        f"hr@{k}": round(hit_rate_at_k(recommended, targets, k), 5),
        f"ndcg@{k}": round(ndcg_at_k(recommended, targets, k), 5),
        f"mrr@{k}": round(mrr_at_k(recommended, targets, k), 5),
        f"coverage@{k}": round(catalog_coverage(recommended, n_items, k), 5),
    }
