"""Attribute similarity: items are alike when they share genres (Jaccard) and people (author, director).

The design paper's content score on catalog attributes, R(u, i) = sum over the history of
weight x sim(item, i). It needs no interactions and no text model, so it is the "like <title>"
signal of a catalog nobody has used yet (a new book shop) and a small tie-breaker otherwise; the
embedding-based `content` model is its learned sibling.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.common import ModelNotFittedError

MAX_SHARED_PEOPLE = 2.0  # a shared director counts, a whole shared cast does not swamp the genres


class AttributeSimilarity(PreferenceModel):
    """Jaccard overlap of genres plus a bonus for each shared person (at most two)."""

    name = "attributes"

    def __init__(self) -> None:
        self.genres: sp.csr_matrix | None = None
        self.people: sp.csr_matrix | None = None

    def fit(self, data: InteractionData) -> Self:
        """Sparse genre and people matrices of the catalog (the interactions are not used)."""
        genre_names = {g: j for j, g in enumerate(sorted({g for it in data.items for g in it.genres}))}
        person_names = {p: j for j, p in enumerate(sorted({p for it in data.items for p in it.people}))}
        self.genres = _incidence([[genre_names[g] for g in dict.fromkeys(it.genres)] for it in data.items],
                                 len(genre_names))
        self.people = _incidence([[person_names[p] for p in dict.fromkeys(it.people)] for it in data.items],
                                 len(person_names))
        return self

    def score(self, query: Query) -> np.ndarray:
        """Weighted similarity of every item to the history items (never to an item itself)."""
        if self.genres is None or self.people is None:
            raise ModelNotFittedError(self.name)
        total = np.zeros(self.genres.shape[0], dtype=np.float32)
        sizes = np.asarray(self.genres.sum(axis=1)).ravel()
        for row, weight in zip(query.history.tolist(), query.history_weights().tolist(), strict=True):
            shared = (self.genres @ self.genres.getrow(row).T).toarray().ravel()
            union = sizes + sizes[row] - shared
            with np.errstate(invalid="ignore", divide="ignore"):
                jaccard = np.where(union > 0, shared / union, 0.0)
            same_people = (self.people @ self.people.getrow(row).T).toarray().ravel()
            total += weight * (jaccard + np.minimum(same_people, MAX_SHARED_PEOPLE)).astype(np.float32)
            total[row] -= weight * (1.0 + min(float(same_people[row]), MAX_SHARED_PEOPLE))
        return total

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The two incidence matrices as CSR arrays."""
        if self.genres is None or self.people is None:
            raise ModelNotFittedError(self.name)
        arrays: dict[str, np.ndarray] = {}
        for key, matrix in (("genres", self.genres), ("people", self.people)):
            arrays |= {f"{key}_data": matrix.data, f"{key}_indices": matrix.indices, f"{key}_indptr": matrix.indptr}
        return {"shape": [list(self.genres.shape), list(self.people.shape)]}, arrays

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild both matrices."""
        model = cls()
        genres_shape, people_shape = (tuple(s) for s in config["shape"])
        model.genres = sp.csr_matrix(
            (arrays["genres_data"], arrays["genres_indices"], arrays["genres_indptr"]), shape=genres_shape)
        model.people = sp.csr_matrix(
            (arrays["people_data"], arrays["people_indices"], arrays["people_indptr"]), shape=people_shape)
        return model


def _incidence(columns: list[list[int]], width: int) -> sp.csr_matrix:
    rows = [r for r, cols in enumerate(columns) for _ in cols]
    cols = [c for row in columns for c in row]
    return sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(columns), max(width, 1))
    )
