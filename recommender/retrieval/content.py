"""Content similarity from catalog attributes (shared genres and people).

The fallback signal for "like <title>" when a catalog has no interactions (a new book shop),
and a small tie-breaker otherwise. Text embeddings replace this in the preference-model issue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.retrieval.index import CatalogIndex


@dataclass(frozen=True)
class ContentSimilarity:
    """Jaccard overlap of genres plus a bonus for each shared person (author, director)."""

    genres: sp.csr_matrix
    people: sp.csr_matrix

    @classmethod
    def fit(cls, index: CatalogIndex) -> ContentSimilarity:
        """Build sparse attribute matrices from the catalog."""
        genres = sp.csr_matrix(index.genre_matrix.astype(np.float32))
        names = {p: j for j, p in enumerate(sorted({p for it in index.items for p in it.people}))}
        rows = [i for i, it in enumerate(index.items) for _ in it.people]
        cols = [names[p] for it in index.items for p in it.people]
        people = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(index), max(len(names), 1))
        )
        return cls(genres, people)

    def score(self, seeds: Mapping[int, float]) -> np.ndarray:
        """Weighted similarity of every item to the seed items."""
        total = np.zeros(self.genres.shape[0], dtype=np.float32)
        sizes = np.asarray(self.genres.sum(axis=1)).ravel()
        for row, weight in seeds.items():
            shared = (self.genres @ self.genres.getrow(row).T).toarray().ravel()
            union = sizes + sizes[row] - shared
            with np.errstate(invalid="ignore", divide="ignore"):
                jaccard = np.where(union > 0, shared / union, 0.0)
            same_people = (self.people @ self.people.getrow(row).T).toarray().ravel()
            total += weight * (jaccard + np.minimum(same_people, 2.0)).astype(np.float32)
            total[row] -= weight * (1.0 + min(float(same_people[row]), 2.0))  # never recommend the seed itself
        return total
