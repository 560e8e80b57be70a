"""ItemKNN: items are similar when the same users interacted with both (cosine with shrinkage).

A history is scored by summing, over its items, their similarity to every candidate. Only the
`neighbours` most similar items of each item are kept: that removes the long tail of weak,
noisy similarities and keeps scoring a sparse row sum (well under a millisecond per request).

`recent` > 0 sums over the most recent history items only. Tastes drift, and on MovieLens'
leave-last-out split the last few items predict the next one much better than the whole
profile (validation NDCG@10 0.087 with the last 5 items vs 0.057 with all, ML-100K); whether
to use it is decided on the validation split like any other hyper-parameter.

`positive_only` counts a user's pair only when its latest value is at least neutral (a dislike
is not co-engagement): serving's "more like this" neighbours, where a shared dislike must not
make two items alike. `contributions` scores seed items and says which seed drove each item.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.common import (
    NEUTRAL_WEIGHT,
    ModelNotFittedError,
    history_items,
    user_item_matrix,
)

# Items per block when computing similarities: bounds memory at block x n_items floats.
_BLOCK = 1024


class ItemKNN(PreferenceModel):
    """sim(i, j) = <x_i, x_j> / (|x_i| |x_j| + shrinkage) on binary user columns, top-k per item.

    Shrinkage pulls similarities supported by few co-occurrences toward zero; both it and
    `neighbours` are tuned on validation.
    """

    name = "item_knn"

    def __init__(
        self, neighbours: int = 100, shrinkage: float = 10.0, recent: int = 0, min_weight: float = 0.0,
        positive_only: bool = False,
    ) -> None:
        if neighbours < 1:
            raise ValueError(f"neighbours must be at least 1, got {neighbours}")
        if shrinkage < 0:
            raise ValueError(f"shrinkage must be >= 0, got {shrinkage}")
        if recent < 0:
            raise ValueError(f"recent must be >= 0 (0 = the whole history), got {recent}")
        self.recent = int(recent)
        self.neighbours = int(neighbours)
        self.shrinkage = float(shrinkage)
        self.min_weight = float(min_weight)
        self.positive_only = bool(positive_only)
        self.similarity: sp.csr_matrix | None = None

    def fit(self, data: InteractionData) -> Self:
        """Build the top-k similarity rows block by block (dense blocks are faster than sparse x sparse)."""
        if self.positive_only:
            latest = user_item_matrix(data, binary=False)
            x = (latest >= NEUTRAL_WEIGHT).astype(np.float32).tocsc()
        else:
            x = user_item_matrix(data, binary=True).tocsc()
        n_items = data.n_items
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0), dtype=np.float64).ravel())
        xt = x.T.tocsr()
        k = min(self.neighbours, max(n_items - 1, 1))
        rows, cols, vals = [], [], []
        for start in range(0, n_items, _BLOCK):
            stop = min(start + _BLOCK, n_items)
            co = np.asarray((xt[start:stop] @ x).todense(), dtype=np.float64)  # [block, n_items]
            sim = co / (norms[start:stop, None] * norms[None, :] + self.shrinkage + 1e-12)
            sim[np.arange(stop - start), np.arange(start, stop)] = 0.0  # an item is not its own neighbour
            top = np.argpartition(-sim, k - 1, axis=1)[:, :k] if k < n_items else np.tile(np.arange(n_items), (stop - start, 1))
            top_vals = np.take_along_axis(sim, top, axis=1)
            keep = top_vals > 0
            block_rows = np.repeat(np.arange(start, stop), k).reshape(stop - start, k)
            rows.append(block_rows[keep])
            cols.append(top[keep])
            vals.append(top_vals[keep].astype(np.float32))
        self.similarity = sp.csr_matrix(
            (np.concatenate(vals) if vals else np.array([], np.float32),
             (np.concatenate(rows) if rows else np.array([], np.int64),
              np.concatenate(cols) if cols else np.array([], np.int64))),
            shape=(n_items, n_items),
            dtype=np.float32,
        )
        self.similarity.sort_indices()
        return self

    def score(self, query: Query) -> np.ndarray:
        """Sum of the (recent) history items' similarity rows; weights below `min_weight` are skipped."""
        if self.similarity is None:
            raise ModelNotFittedError(self.name)
        items, _ = history_items(query, self.similarity.shape[0], self.min_weight)
        if self.recent:
            items = items[-self.recent :]
        if not len(items):
            return np.zeros(self.similarity.shape[0], dtype=np.float32)
        return np.asarray(self.similarity[items].sum(axis=0), dtype=np.float32).ravel()

    @property
    def is_empty(self) -> bool:
        """True when no item has any neighbour (e.g. a catalog without interactions)."""
        return self.similarity is None or self.similarity.nnz == 0

    def contributions(self, seeds: Mapping[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """Weighted sum of the seed items' similarity rows, and per item the seed that contributed most (-1: none)."""
        if self.similarity is None:
            raise ModelNotFittedError(self.name)
        n = self.similarity.shape[0]
        total = np.zeros(n, dtype=np.float32)
        best = np.full(n, -1, dtype=np.int64)
        best_value = np.zeros(n, dtype=np.float32)
        for row, weight in seeds.items():
            contribution = self.similarity.getrow(row).toarray().ravel() * weight
            total += contribution
            better = contribution > best_value
            best[better] = row
            best_value[better] = contribution[better]
        return total, best

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Hyper-parameters plus the CSR arrays of the similarity matrix."""
        if self.similarity is None:
            raise ModelNotFittedError(self.name)
        s = self.similarity
        config = {"neighbours": self.neighbours, "shrinkage": self.shrinkage, "recent": self.recent, "min_weight": self.min_weight,
                  "positive_only": self.positive_only,
                  "n_items": int(s.shape[0])}
        return config, {"data": s.data, "indices": s.indices, "indptr": s.indptr}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild the CSR similarity matrix."""
        model = cls(config["neighbours"], config["shrinkage"], config.get("recent", 0), config.get("min_weight", 0.0),
                    config.get("positive_only", False))
        n = int(config["n_items"])
        model.similarity = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=(n, n))
        return model
