"""Popularity: the same ranking for everyone, by how many users interacted with each item.

The floor every personalised model must beat, and the fallback for a user with no history.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.common import ModelNotFittedError, user_item_matrix


class Popularity(PreferenceModel):
    """Score = number of distinct training users with any event on the item."""

    name = "popularity"

    def __init__(self) -> None:
        self.counts: np.ndarray | None = None

    def fit(self, data: InteractionData) -> Self:
        """Count distinct users per item (repeat events by one user count once)."""
        matrix = user_item_matrix(data, binary=True)
        self.counts = np.asarray(matrix.sum(axis=0), dtype=np.float32).ravel()
        return self

    def score(self, query: Query) -> np.ndarray:
        """The popularity vector; the query is ignored by design."""
        if self.counts is None:
            raise ModelNotFittedError(self.name)
        return self.counts.copy()

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """No settings; one array of counts."""
        if self.counts is None:
            raise ModelNotFittedError(self.name)
        return {}, {"counts": self.counts}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild from the saved counts."""
        model = cls()
        model.counts = arrays["counts"].astype(np.float32)
        return model
