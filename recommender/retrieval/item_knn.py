"""Item-kNN: cosine similarity between items' engagement columns, shrunk, top-k kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.retrieval.signals import UserItemSignals


@dataclass(frozen=True)
class ItemKNN:
    """Sparse item-item similarity (rows: items, top `k` neighbours each)."""

    similarity: sp.csr_matrix

    @classmethod
    def fit(cls, signals: UserItemSignals, k: int, shrinkage: float) -> ItemKNN:
        """Cosine of co-engagement with shrinkage: sim = <i,j> / (|i||j| + shrinkage)."""
        x = signals.engaged.tocsc().astype(np.float32)
        n_items = x.shape[1]
        co = (x.T @ x).tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0)).ravel())
        co = co.tocoo()
        values = co.data / (norms[co.row] * norms[co.col] + shrinkage + 1e-9)
        sim = sp.csr_matrix((values.astype(np.float32), (co.row, co.col)), shape=(n_items, n_items))
        return cls(_top_k_per_row(sim, k))

    @property
    def is_empty(self) -> bool:
        """True when no item has any neighbour (e.g. a catalog without interactions)."""
        return self.similarity.nnz == 0

    def score(self, seeds: Mapping[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """Weighted sum of seed rows; also returns, per item, which seed contributed most."""
        n = self.similarity.shape[0]
        total = np.zeros(n, dtype=np.float32)
        best = np.full(n, -1, dtype=np.int64)
        best_value = np.zeros(n, dtype=np.float32)
        for row, weight in seeds.items():
            neighbours = self.similarity.getrow(row)
            contribution = neighbours.toarray().ravel() * weight
            total += contribution
            better = contribution > best_value
            best[better] = row
            best_value[better] = contribution[better]
        return total, best


def _top_k_per_row(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the `k` largest values of every row."""
    rows, cols, vals = [], [], []
    for r in range(matrix.shape[0]):
        start, end = matrix.indptr[r], matrix.indptr[r + 1]
        if start == end:
            continue
        data = matrix.data[start:end]
        idx = matrix.indices[start:end]
        keep = np.argsort(-data)[:k]
        rows.extend([r] * len(keep))
        cols.extend(idx[keep])
        vals.extend(data[keep])
    return sp.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=matrix.shape)
