"""UserKNN exactly as the design paper writes it: R(u,i) = sum_{v in N(u)} sim(u,v)/|N(u)| * r(v,i).

sim is the cosine between users' binary item vectors; N(u) are the `neighbours` training users
most similar to u (with positive similarity); r(v,i) is 1 when v interacted with i, or v's
rating of i with `use_ratings=True`. A history query builds u's vector from the history, so a
conversational user who was never trained on gets neighbours the same way. When the query
names a training user, that user is left out of their own neighbourhood (their vector would
match themselves perfectly and add nothing).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.common import (
    ModelNotFittedError,
    history_items,
    kept_users,
    user_item_matrix,
)


class UserKNN(PreferenceModel):
    """User-based collaborative filtering with a tuned neighbourhood size."""

    name = "user_knn"

    def __init__(self, neighbours: int = 100, use_ratings: bool = False, min_weight: float = 0.0) -> None:
        if neighbours < 1:
            raise ValueError(f"neighbours must be at least 1, got {neighbours}")
        self.neighbours = int(neighbours)
        self.use_ratings = bool(use_ratings)
        self.min_weight = float(min_weight)
        self.r: sp.csr_matrix | None = None  # users x items: r(v, i)
        self._by_item: sp.csc_matrix | None = None  # binary pattern, column access for similarities
        self._norms: np.ndarray | None = None

    def fit(self, data: InteractionData) -> Self:
        """Keep r(v,i) and the users' vector norms; neighbours are found per query."""
        self._set_matrix(user_item_matrix(data, binary=not self.use_ratings))
        return self

    def _set_matrix(self, r: sp.csr_matrix) -> None:
        self.r = r.astype(np.float32)
        pattern = r.copy()
        pattern.data = np.ones_like(pattern.data, dtype=np.float32)
        self._by_item = pattern.tocsc()
        self._norms = np.sqrt(np.asarray(pattern.sum(axis=1), dtype=np.float64).ravel())

    def neighbourhood(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """(neighbour user indices, their cosine similarities), most similar first."""
        if self.r is None or self._by_item is None or self._norms is None:
            raise ModelNotFittedError(self.name)
        items, _ = history_items(query, self.r.shape[1], self.min_weight)
        items = np.unique(items)
        if not len(items):
            return np.array([], dtype=np.int64), np.array([], dtype=np.float32)
        overlap = np.asarray(self._by_item[:, items].sum(axis=1), dtype=np.float64).ravel()
        sims = overlap / (self._norms * np.sqrt(len(items)) + 1e-12)
        if query.user is not None and 0 <= query.user < len(sims):
            sims[query.user] = 0.0
        candidates = np.flatnonzero(sims > 0)
        if len(candidates) > self.neighbours:
            part = np.argpartition(-sims[candidates], self.neighbours - 1)[: self.neighbours]
            candidates = candidates[part]
        order = np.lexsort((candidates, -sims[candidates]))
        chosen = candidates[order]
        return chosen, sims[chosen].astype(np.float32)

    def score(self, query: Query) -> np.ndarray:
        """Sum over neighbours of sim(u,v)/|N(u)| * r(v,i); zeros when no neighbour exists."""
        if self.r is None:
            raise ModelNotFittedError(self.name)
        neighbours, sims = self.neighbourhood(query)
        if not len(neighbours):
            return np.zeros(self.r.shape[1], dtype=np.float32)
        coefficients = sims / len(neighbours)
        return np.asarray(self.r[neighbours].T @ coefficients, dtype=np.float32).ravel()

    def trained_users(self) -> int | None:
        """The rows of r(v, i)."""
        if self.r is None:
            raise ModelNotFittedError(self.name)
        return int(self.r.shape[0])

    def forget_users(self, rows: np.ndarray) -> None:
        """Drop those users' rows of r(v, i): they are nobody's neighbour any more."""
        if self.r is None:
            raise ModelNotFittedError(self.name)
        self._set_matrix(self.r[kept_users(rows, self.r.shape[0])])

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Settings and the CSR arrays of r(v, i)."""
        if self.r is None:
            raise ModelNotFittedError(self.name)
        config = {"neighbours": self.neighbours, "use_ratings": self.use_ratings, "min_weight": self.min_weight,
                  "shape": list(self.r.shape)}
        return config, {"data": self.r.data, "indices": self.r.indices, "indptr": self.r.indptr}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild r(v, i); norms and the column index are derived again."""
        model = cls(config["neighbours"], config["use_ratings"], config.get("min_weight", 0.0))
        shape = tuple(config["shape"])
        model._set_matrix(sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape))
        return model
