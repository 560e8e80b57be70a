"""Popularity: how many people engaged with an item, and how well they rated it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.retrieval.index import CatalogIndex
from recommender.retrieval.signals import UserItemSignals


def _minmax(values: np.ndarray) -> np.ndarray:
    span = values.max() - values.min() if len(values) else 0.0
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


@dataclass(frozen=True)
class Popularity:
    """Per-item popularity in [0, 1], plus the raw counts and Bayesian mean used in reasons."""

    scores: np.ndarray
    counts: np.ndarray
    mean_ratings: np.ndarray  # NaN where no ratings

    @classmethod
    def fit(cls, index: CatalogIndex, signals: UserItemSignals, prior: float) -> Popularity:
        """Blend log engagement count with a Bayesian-smoothed mean rating.

        Catalogs without interactions fall back to the catalog's own popularity column
        (e.g. goodbooks' ratings_count).
        """
        counts = np.asarray(signals.engaged.sum(axis=0)).ravel().astype(float)
        if counts.sum() == 0:
            catalog_pop = np.array([it.popularity or 0.0 for it in index.items], dtype=float)
            return cls(_minmax(np.log1p(np.maximum(catalog_pop, 0))), catalog_pop, np.full(len(index), np.nan))
        with np.errstate(invalid="ignore", divide="ignore"):
            means = signals.rating_sum / signals.rating_count
        global_mean = signals.rating_sum.sum() / max(signals.rating_count.sum(), 1.0)
        bayes = (signals.rating_sum + prior * global_mean) / (signals.rating_count + prior)
        scores = 0.6 * _minmax(np.log1p(counts)) + 0.4 * _minmax(bayes)
        return cls(scores, counts, means)
