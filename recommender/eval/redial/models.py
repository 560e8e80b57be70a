"""The ml-latest-small catalog and models the rankers score with, built the service's way
(`build_models`: popularity, item-kNN, content and the free-text scorer in one `ModelBundle`),
and the small helpers every ranker shares (`RedialModels`: masks, rows, top-k, cached text queries).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recommender.eval.redial.samples import RedialContext
from recommender.retrieval.bundle import ModelBundle


@dataclass
class RedialModels:
    """ml-latest-small as the service sees a catalog: a `ModelBundle` fitted on its ratings."""

    bundle: ModelBundle
    item_ids: list[str] = field(init=False)
    _queries: dict[str, np.ndarray] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.item_ids = [it.item_id for it in self.bundle.index.items]

    def text_scores(self, text: str) -> np.ndarray:
        """The text scorer's cosines for `text`; query vectors are kept, as rankers and samples share contexts."""
        scorer = self.bundle.text
        if scorer is None or not text.strip():
            return np.zeros(len(self.item_ids), dtype=np.float32)
        if text not in self._queries:
            self._queries[text] = scorer.embed_query(text)
        return scorer.vectors @ self._queries[text]

    def rows(self, ids: Sequence[str]) -> list[int]:
        """Catalog rows of the ids the catalog knows."""
        position = self.bundle.index.position
        return [position[i] for i in ids if i in position]

    def mask(self, context: RedialContext) -> np.ndarray:
        """Every row except the mentioned ones (the service's shown/rejected filter)."""
        mask = np.ones(len(self.item_ids), dtype=bool)
        mask[self.rows(context.mentioned)] = False
        return mask

    def top(self, scores: np.ndarray, mask: np.ndarray, k: int) -> list[str]:
        """Top-k ids of the masked rows by score, ties by popularity (as `recommender.ranking.rank`)."""
        rows = np.flatnonzero(mask)
        order = np.lexsort((-self.bundle.popularity.scores[rows], -scores[rows]))[:k]
        return [self.item_ids[int(rows[i])] for i in order]


def build_models(settings: Any, *, with_text: bool = True, encoder: Any = None) -> RedialModels:
    """Fit popularity, item-kNN and content similarity on ml-latest-small ratings like `build_bundle`,
    and the free-text scorer from <var>/enrichment/ml-latest-small.jsonl (built on first run)."""
    from recommender.catalog.enrichment import enrich_from_tmdb, enrichment_path, read_links, write_enrichment
    from recommender.eval.datasets import load_dataset
    from recommender.retrieval.bundle import fit_cold_start
    from recommender.retrieval.index import CatalogIndex

    data = load_dataset("ml-latest-small", settings)
    index = CatalogIndex(list(data.items))
    popularity, knn, content = fit_cold_start(data, index, settings)
    text = None
    if with_text:
        from recommender.retrieval.text_query import TextQueryScorer

        path = enrichment_path(settings.var_dir, "ml-latest-small")
        if not path.is_file():
            links = read_links(settings.shared_data_dir / "ml-latest-small" / "links.csv")
            tmdb = settings.shared_data_dir / "tmdb-5000" / "tmdb_5000_movies.csv"
            write_enrichment(path, enrich_from_tmdb(index.items, tmdb, links))
        text = TextQueryScorer.from_file(index.items, path, settings.var_dir / "cache" / "embeddings", encoder)
    bundle = ModelBundle("redial-mlls", index, popularity, knn, content, text=text)
    return RedialModels(bundle)
