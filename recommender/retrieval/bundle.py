"""`ModelBundle`: everything serving needs, built from the store once and swapped as a whole."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from recommender.config import Settings
from recommender.errors import CatalogEmptyError
from recommender.retrieval.content import ContentSimilarity
from recommender.retrieval.index import CatalogIndex
from recommender.retrieval.item_knn import ItemKNN
from recommender.retrieval.popularity import Popularity
from recommender.retrieval.signals import build_signals
from recommender.store.repository import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelBundle:
    """Catalog index and fitted models of one version; immutable so a swap is one assignment."""

    version: str
    index: CatalogIndex
    popularity: Popularity
    knn: ItemKNN
    content: ContentSimilarity


def build_bundle(store: Store, settings: Settings) -> ModelBundle:
    """Load the catalog and interactions and fit popularity, item-kNN and content similarity."""
    started = time.perf_counter()
    items = store.load_items()
    if not items:
        raise CatalogEmptyError("the catalog is empty: run `python -m recommender ingest movielens100k` first")
    index = CatalogIndex(items)
    events = store.load_interactions()
    signals = build_signals(index, events)
    popularity = Popularity.fit(index, signals, prior=settings.popularity_prior)
    knn = ItemKNN.fit(signals, k=settings.knn_neighbours, shrinkage=settings.knn_shrinkage)
    content = ContentSimilarity.fit(index)
    fingerprint = hashlib.sha1(repr((store.catalog_fingerprint(), len(events))).encode()).hexdigest()[:10]
    version = f"popknn-{fingerprint}"
    logger.info(
        "built model bundle %s: %d items, %d events, %.2fs",
        version, len(items), len(events), time.perf_counter() - started,
    )
    return ModelBundle(version, index, popularity, knn, content)
