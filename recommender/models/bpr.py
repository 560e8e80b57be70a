"""BPR: matrix factorisation trained to rank a user's items above items they have not touched.

Rendle et al. (2009): for a user u, an observed item i and a sampled item j, maximise
log sigmoid(x_ui - x_uj) with x_ui = <p_u, q_i> + b_i, plus L2 regularisation of the factors that
the step touches. Negatives are drawn uniformly from the catalog (a draw that hits one of the
user's own items is redrawn once; the rare second hit is kept, as in most implementations).
Every distinct (user, item) pair with any event is one positive; ratings are not used.

A query for a trained user uses their learned vector p_u. A history without a user index (a
conversational user who was never trained on) is folded in by solving a small ridge regression
for p: the history items should score 1, every other item 0 with a small confidence
`fold_in_zero_weight` (the implicit-ALS fold-in of Hu et al., 2008, solved in closed form with
the precomputed Gram matrix of the item factors, so a fold-in costs one k x k solve).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import torch
import torch.nn.functional as F

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.common import (
    ModelNotFittedError,
    history_items,
    kept_users,
    user_item_matrix,
)
from recommender.models.torch_utils import (
    DEFAULT_THREADS,
    generator,
    to_numpy,
    torch_threads,
)

logger = logging.getLogger(__name__)


class BPR(PreferenceModel):
    """BPR-MF with item biases, uniform negative sampling and mini-batch Adam."""

    name = "bpr"

    def __init__(
        self,
        factors: int = 32,
        epochs: int = 30,
        lr: float = 0.02,
        reg: float = 1e-3,
        batch_size: int = 2048,
        fold_in_zero_weight: float = 0.05,
        fold_in_reg: float = 0.1,
        seed: int = 42,
        threads: int | None = DEFAULT_THREADS,
    ) -> None:
        if factors < 1 or epochs < 0 or batch_size < 1:
            raise ValueError(f"factors and batch_size must be >= 1 and epochs >= 0 (got {factors}, {batch_size}, {epochs})")
        if lr <= 0 or reg < 0 or fold_in_zero_weight < 0 or fold_in_reg <= 0:
            raise ValueError("lr and fold_in_reg must be > 0; reg and fold_in_zero_weight must be >= 0")
        self.factors = int(factors)
        self.epochs = int(epochs)
        self.lr = float(lr)
        self.reg = float(reg)
        self.batch_size = int(batch_size)
        self.fold_in_zero_weight = float(fold_in_zero_weight)
        self.fold_in_reg = float(fold_in_reg)
        self.seed = int(seed)
        self.threads = threads
        self.user_factors: np.ndarray | None = None  # float32 [n_users, factors]
        self.item_factors: np.ndarray | None = None  # float32 [n_items, factors]
        self.item_bias: np.ndarray | None = None  # float32 [n_items]
        self._gram: np.ndarray | None = None  # item_factors^T item_factors, for fold-in

    # -- training --------------------------------------------------------------------------
    def fit(self, data: InteractionData) -> Self:
        """Learn user and item factors on every (user, item) pair with an event."""
        matrix = user_item_matrix(data, binary=True).tocoo()
        users = torch.from_numpy(matrix.row.astype(np.int64))
        items = torch.from_numpy(matrix.col.astype(np.int64))
        n_users, n_items = data.n_users, data.n_items
        # sorted pair keys let a batch check "is j one of u's items?" with one searchsorted
        keys = torch.from_numpy(np.sort(matrix.row.astype(np.int64) * n_items + matrix.col.astype(np.int64)))
        gen = generator(self.seed)
        with torch_threads(self.threads):
            p = torch.nn.Parameter(torch.randn(n_users, self.factors, generator=gen) * 0.1)
            q = torch.nn.Parameter(torch.randn(n_items, self.factors, generator=gen) * 0.1)
            b = torch.nn.Parameter(torch.zeros(n_items))
            optimiser = torch.optim.Adam([p, q, b], lr=self.lr)
            n = len(users)
            for epoch in range(self.epochs):
                order = torch.randperm(n, generator=gen)
                total = 0.0
                for start in range(0, n, self.batch_size):
                    batch = order[start : start + self.batch_size]
                    u, i = users[batch], items[batch]
                    j = self._sample_negatives(u, n_items, keys, gen)
                    pu, qi, qj = p[u], q[i], q[j]
                    x = (pu * (qi - qj)).sum(dim=1) + b[i] - b[j]
                    loss = -F.logsigmoid(x).mean() + self.reg * (
                        pu.pow(2).sum() + qi.pow(2).sum() + qj.pow(2).sum()
                    ) / len(batch)
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                    total += float(loss.detach()) * len(batch)
                logger.debug("bpr epoch %d loss %.4f", epoch + 1, total / max(n, 1))
            self.user_factors = to_numpy(p)
            self.item_factors = to_numpy(q)
            self.item_bias = to_numpy(b)
        self._prepare()
        return self

    @staticmethod
    def _sample_negatives(u: torch.Tensor, n_items: int, keys: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Uniform items; draws that hit one of the user's own items are redrawn once."""
        j = torch.randint(0, n_items, (len(u),), generator=gen)
        if len(keys) == 0:
            return j
        wanted = u * n_items + j
        pos = torch.searchsorted(keys, wanted).clamp(max=len(keys) - 1)
        hit = keys[pos] == wanted
        if bool(hit.any()):
            j[hit] = torch.randint(0, n_items, (int(hit.sum()),), generator=gen)
        return j

    def _prepare(self) -> None:
        assert self.item_factors is not None
        v = self.item_factors.astype(np.float64)
        self._gram = v.T @ v

    # -- scoring ---------------------------------------------------------------------------
    def user_vector(self, query: Query) -> np.ndarray:
        """The trained vector of a known user, else the history folded in (zeros for no history)."""
        if self.item_factors is None or self.user_factors is None or self._gram is None:
            raise ModelNotFittedError(self.name)
        if query.user is not None and 0 <= query.user < len(self.user_factors):
            return self.user_factors[query.user]
        items, _ = history_items(query, len(self.item_factors))
        items = np.unique(items)
        if not len(items):
            return np.zeros(self.factors, dtype=np.float32)
        # min_p  sum_{i in h} (1 - q_i p)^2 + w0 * sum_{i not in h} (q_i p)^2 + reg |p|^2
        #   =>  (w0 * Q^T Q + (1 - w0) * Q_h^T Q_h + reg I) p = Q_h^T 1
        vh = self.item_factors[items].astype(np.float64)
        w0 = self.fold_in_zero_weight
        a = w0 * self._gram + (1.0 - w0) * vh.T @ vh + self.fold_in_reg * np.eye(self.factors)
        return np.linalg.solve(a, vh.sum(axis=0)).astype(np.float32)

    def score(self, query: Query) -> np.ndarray:
        """<p_u, q_i> + b_i for every item."""
        vector = self.user_vector(query)
        assert self.item_factors is not None and self.item_bias is not None
        return (self.item_factors @ vector + self.item_bias).astype(np.float32)

    def score_many(self, queries: Sequence[Query]) -> np.ndarray:
        """`score` of each query as one matrix product."""
        if not queries:
            raise ValueError("score_many needs at least one query")
        vectors = np.stack([self.user_vector(query) for query in queries])
        assert self.item_factors is not None and self.item_bias is not None
        return (vectors @ self.item_factors.T + self.item_bias).astype(np.float32)

    # -- forgetting ------------------------------------------------------------------------
    def trained_users(self) -> int | None:
        """The rows of `user_factors`."""
        if self.user_factors is None:
            raise ModelNotFittedError(self.name)
        return len(self.user_factors)

    def forget_users(self, rows: np.ndarray) -> None:
        """Drop those users' rows of `user_factors` (item factors and biases stay: they are not per user)."""
        if self.user_factors is None:
            raise ModelNotFittedError(self.name)
        self.user_factors = self.user_factors[kept_users(rows, len(self.user_factors))]

    # -- persistence -----------------------------------------------------------------------
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Hyper-parameters plus the factor matrices and item biases."""
        if self.item_factors is None or self.user_factors is None or self.item_bias is None:
            raise ModelNotFittedError(self.name)
        config = {
            "factors": self.factors, "epochs": self.epochs, "lr": self.lr, "reg": self.reg,
            "batch_size": self.batch_size, "fold_in_zero_weight": self.fold_in_zero_weight,
            "fold_in_reg": self.fold_in_reg, "seed": self.seed,
        }
        return config, {"user_factors": self.user_factors, "item_factors": self.item_factors, "item_bias": self.item_bias}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild from saved factors."""
        model = cls(**config)
        model.user_factors = arrays["user_factors"].astype(np.float32)
        model.item_factors = arrays["item_factors"].astype(np.float32)
        model.item_bias = arrays["item_bias"].astype(np.float32)
        model._prepare()
        return model
