"""Content-based preference, the design paper's R(u,i) = w_c * sum_j sim(item_j, i) over liked items.

sim is the cosine between sentence embeddings of the items' texts (title, genres, and overview or
tags where the catalog has them), so a catalog without any interactions still gets personalised
recommendations. "Liked" means history weight >= `min_weight` (ratings on the 1-5 scale; a query
without weights counts every item). `recent` > 0 limits the sum to the most recent liked items:
tastes drift, and the validation split decides whether that helps. With `recent=0` the formula is
exactly the paper's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import numpy as np

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.common import ModelNotFittedError, history_items
from recommender.models.text_embeddings import (
    SentenceEncoder,
    TextEncoder,
    cached_embeddings,
    item_text,
)


def default_cache_dir() -> Path:
    """<var dir>/cache/embeddings from the settings."""
    from recommender.config import get_settings

    return get_settings().var_dir / "cache" / "embeddings"


class ContentBased(PreferenceModel):
    """Sum of embedding cosines between each candidate and the user's liked items, times w_c."""

    name = "content"

    def __init__(
        self,
        weight: float = 1.0,
        min_weight: float = 0.0,
        recent: int = 0,
        dtype: str = "bfloat16",
        cache_dir: str | None = None,
        encoder: TextEncoder | None = None,
    ) -> None:
        if weight <= 0:
            raise ValueError(f"weight (w_c) must be positive, got {weight}")
        if recent < 0:
            raise ValueError(f"recent must be >= 0 (0 = all liked items), got {recent}")
        self.weight = float(weight)
        self.min_weight = float(min_weight)
        self.recent = int(recent)
        self.dtype = dtype
        self.cache_dir = cache_dir
        self._encoder = encoder
        self.embeddings: np.ndarray | None = None  # float32 [n_items, dim], unit rows

    @property
    def encoder(self) -> TextEncoder:
        """The injected encoder, or the packaged sentence model (loaded on first use)."""
        if self._encoder is None:
            self._encoder = SentenceEncoder(dtype=self.dtype)
        return self._encoder

    def fit(self, data: InteractionData) -> Self:
        """Embed the catalog's item texts (from the disk cache when the catalog is unchanged).

        Interactions are not needed: the user profile is built from the query's history at
        scoring time, which is what lets a brand-new user be served.
        """
        texts = [item_text(item) for item in data.items]
        cache = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        self.embeddings = cached_embeddings(texts, self.encoder, cache)
        return self

    def score(self, query: Query) -> np.ndarray:
        """w_c * E @ sum_j E_j over the liked history items (E has unit rows, so dot = cosine)."""
        if self.embeddings is None:
            raise ModelNotFittedError(self.name)
        items, _ = history_items(query, self.embeddings.shape[0], self.min_weight)
        if self.recent:
            items = items[-self.recent :]
        if not len(items):
            return np.zeros(self.embeddings.shape[0], dtype=np.float32)
        profile = self.embeddings[items].sum(axis=0)
        return (self.weight * (self.embeddings @ profile)).astype(np.float32)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Settings plus the item embeddings, so a loaded model needs no encoder to score."""
        if self.embeddings is None:
            raise ModelNotFittedError(self.name)
        config = {"weight": self.weight, "min_weight": self.min_weight, "recent": self.recent, "dtype": self.dtype}
        return config, {"embeddings": self.embeddings}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild from saved embeddings."""
        model = cls(config["weight"], config["min_weight"], config.get("recent", 0), config.get("dtype", "bfloat16"))
        model.embeddings = arrays["embeddings"].astype(np.float32)
        return model
