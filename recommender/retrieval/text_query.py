"""Free-text wishes as retrieval scores: cosine between a query and each item's text.

Why a separate scorer: the content model compares items with items; a wish like "a heist with
a twist" has no item to start from, so it is embedded with the same packaged MiniLM
(`recommender.models.text_embeddings`) and compared with every item's text. Item texts are
title + genres + keywords + description from the catalog's enrichment file
(`recommender.catalog.enrichment`); an item without enrichment falls back to what the catalog
itself says about it (`item_text`: title, genres, people, its own description).

Item vectors are computed on the first query (the service starts that at warm-up, in the
background, and a query arriving meanwhile ranks without its text score rather than wait), not at
construction, and cached on disk as .npy keyed by a checksum of the texts and the model
(`cached_embeddings`; no pickle), so a service start costs nothing and a second start reads the cache.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from recommender.catalog.enrichment import Enrichment, read_enrichment
from recommender.models.text_embeddings import SentenceEncoder, TextEncoder, cached_embeddings, item_text
from recommender.types import Item

logger = logging.getLogger(__name__)

_MAX_KEYWORDS = 12


def enriched_text(item: Item, enrichment: Enrichment | None) -> str:
    """What the query is compared with: title, genres, keywords and description."""
    if enrichment is None:
        return item_text(item)
    parts = [item.title]
    if item.genres:
        parts.append("Genres: " + ", ".join(item.genres))
    if enrichment.keywords:
        parts.append("Keywords: " + ", ".join(enrichment.keywords[:_MAX_KEYWORDS]))
    parts.append(enrichment.description or item.description)
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())


@lru_cache(maxsize=1)
def shared_encoder() -> SentenceEncoder:
    """One packaged MiniLM per process, loaded on first use."""
    return SentenceEncoder()


class TextQueryScorer:
    """Cosine similarity of a free-text query with every catalog row's text."""

    def __init__(
        self,
        items: Sequence[Item],
        enrichment: Mapping[str, Enrichment],
        cache_dir: Path,
        encoder: TextEncoder | None = None,
    ) -> None:
        self.texts = [enriched_text(it, enrichment.get(it.item_id)) for it in items]
        self.enriched = np.array([it.item_id in enrichment for it in items], dtype=bool)
        self.cache_dir = cache_dir
        self._encoder = encoder
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_file(
        cls, items: Sequence[Item], path: Path, cache_dir: Path, encoder: TextEncoder | None = None
    ) -> TextQueryScorer | None:
        """A scorer over `items` with the enrichment file at `path`; None when there is no such file."""
        if not path.is_file():
            return None
        scorer = cls(items, read_enrichment(path), cache_dir, encoder)
        logger.info("text query scorer: %d of %d items enriched from %s", int(scorer.enriched.sum()), len(items), path)
        return scorer

    @property
    def encoder(self) -> TextEncoder:
        """The given encoder, else the process's packaged MiniLM."""
        return self._encoder if self._encoder is not None else shared_encoder()

    @property
    def vectors(self) -> np.ndarray:
        """Unit item vectors [rows, dim], embedded (or read from the cache) on first use."""
        if self._vectors is None:
            with self._lock:
                return self._embedded()
        return self._vectors

    def _embedded(self) -> np.ndarray:
        """The vectors, embedding (or reading) them if nobody has yet; the caller holds the lock."""
        if self._vectors is None:
            self._vectors = cached_embeddings(self.texts, self.encoder, self.cache_dir)
        return self._vectors

    def vectors_unless_busy(self) -> np.ndarray | None:
        """The item vectors, or None while another thread (the service's warm-up) is still embedding
        them: a turn never waits minutes behind the whole catalog going through MiniLM."""
        if self._vectors is not None:
            return self._vectors
        if not self._lock.acquire(blocking=False):
            return None
        try:
            return self._embedded()
        finally:
            self._lock.release()

    def embed_query(self, query: str) -> np.ndarray:
        """The query's unit vector."""
        return self.encoder.encode([query.strip()])[0].astype(np.float32)

    def score(self, query: str) -> np.ndarray | None:
        """Cosine of the query with each catalog row, float32 [rows]; all zeros for an empty query;
        None while the item texts are still being embedded (the turn ranks without the wish)."""
        if not query.strip():
            return np.zeros(len(self.texts), dtype=np.float32)
        vectors = self.vectors_unless_busy()
        if vectors is None:
            logger.warning("free-text wish left out of this turn: the item texts are still being embedded")
            return None
        return vectors @ self.embed_query(query)
