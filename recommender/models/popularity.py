"""Popularity: the same ranking for everyone, by how many users interacted with each item.

The floor every personalised model must beat, and the fallback for a user with no history. It
also keeps each item's ratings (the latest known value per user), so serving can rank a cold
start by popularity tempered with a Bayesian mean rating (`rated_scores`) and say "417 ratings,
average 3.9/5" in a reason.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.common import ModelNotFittedError, latest_known_values, user_item_matrix

# Serving's cold-start ranking: log popularity and Bayesian mean rating, each scaled to [0, 1].
COUNT_SHARE, RATING_SHARE = 0.6, 0.4


def minmax(values: np.ndarray) -> np.ndarray:
    """`values` scaled to [0, 1] (all zeros when they are all equal)."""
    span = values.max() - values.min() if len(values) else 0.0
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


class Popularity(PreferenceModel):
    """Score = number of distinct training users with any event on the item."""

    name = "popularity"

    def __init__(self) -> None:
        self.counts: np.ndarray | None = None
        self.rating_sum: np.ndarray | None = None
        self.rating_count: np.ndarray | None = None

    def fit(self, data: InteractionData) -> Self:
        """Count distinct users per item (repeat events by one user count once), and their ratings."""
        matrix = user_item_matrix(data, binary=True)
        self.counts = np.asarray(matrix.sum(axis=0), dtype=np.float32).ravel()
        keys, values = latest_known_values(data)
        items = np.asarray(keys, dtype=np.int64) % max(data.n_items, 1)
        self.rating_sum = np.bincount(items, weights=np.asarray(values, dtype=np.float64), minlength=data.n_items)
        self.rating_count = np.bincount(items, minlength=data.n_items).astype(np.float64)
        return self

    def score(self, query: Query) -> np.ndarray:
        """The popularity vector; the query is ignored by design."""
        if self.counts is None:
            raise ModelNotFittedError(self.name)
        return self.counts.copy()

    @property
    def mean_ratings(self) -> np.ndarray:
        """Each item's mean rating (NaN where nobody rated it)."""
        if self.rating_sum is None or self.rating_count is None:
            raise ModelNotFittedError(self.name)
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.rating_sum / self.rating_count

    def rated_scores(self, prior: float) -> np.ndarray:
        """Popularity tempered by quality in [0, 1]: log count and the mean rating shrunk toward the
        global mean by `prior` pseudo-ratings (so three 5-star ratings do not beat four hundred 4s)."""
        if self.counts is None or self.rating_sum is None or self.rating_count is None:
            raise ModelNotFittedError(self.name)
        global_mean = self.rating_sum.sum() / max(self.rating_count.sum(), 1.0)
        bayes = (self.rating_sum + prior * global_mean) / (self.rating_count + prior)
        return COUNT_SHARE * minmax(np.log1p(self.counts.astype(np.float64))) + RATING_SHARE * minmax(bayes)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """No settings; the counts and rating sums."""
        if self.counts is None or self.rating_sum is None or self.rating_count is None:
            raise ModelNotFittedError(self.name)
        return {}, {"counts": self.counts, "rating_sum": self.rating_sum, "rating_count": self.rating_count}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild from the saved arrays (versions saved before ratings were kept get none)."""
        model = cls()
        model.counts = arrays["counts"].astype(np.float32)
        zeros = np.zeros(len(model.counts))
        model.rating_sum = arrays.get("rating_sum", zeros).astype(np.float64)
        model.rating_count = arrays.get("rating_count", zeros).astype(np.float64)
        return model
