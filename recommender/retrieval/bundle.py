"""`ModelBundle`: everything serving needs, built from the store once and swapped as a whole.

The cold-start signals are the same `recommender.models` classes the evaluation measures:
`Popularity` (tempered by mean rating), `ItemKNN` on positive engagement and
`AttributeSimilarity`, all fitted on the store's log through `training.data`; the published
learned model comes from the newest model version.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from recommender.config import Settings
from recommender.errors import CatalogEmptyError
from recommender.models.attributes import AttributeSimilarity
from recommender.models.base import InteractionData, Query
from recommender.models.item_knn import ItemKNN
from recommender.models.popularity import Popularity, minmax
from recommender.retrieval.index import CatalogIndex
from recommender.retrieval.preference import PreferenceScorer
from recommender.store.repository import ModelVersion, Store
from recommender.training.artifacts import load_version
from recommender.training.data import interaction_data

if TYPE_CHECKING:
    from recommender.retrieval.text_query import TextQueryScorer
    from recommender.types import Item

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PopularityView:
    """Per-item cold-start score in [0, 1], plus the counts and mean ratings reasons quote."""

    scores: np.ndarray
    counts: np.ndarray
    mean_ratings: np.ndarray  # NaN where no ratings

    @classmethod
    def of(cls, model: Popularity, index: CatalogIndex, prior: float) -> PopularityView:
        """The fitted model's rated popularity; a catalog without interactions falls back to its
        own popularity column (e.g. goodbooks' ratings_count)."""
        counts = model.score(Query())
        if counts.sum() == 0:
            catalog_pop = np.array([it.popularity or 0.0 for it in index.items], dtype=float)
            return cls(minmax(np.log1p(np.maximum(catalog_pop, 0))), catalog_pop, np.full(len(index), np.nan))
        return cls(model.rated_scores(prior), counts.astype(float), model.mean_ratings)


@dataclass(frozen=True)
class ModelBundle:
    """Catalog index and fitted models of one version; immutable so a swap is one assignment."""

    version: str
    index: CatalogIndex
    popularity: PopularityView
    knn: ItemKNN
    content: AttributeSimilarity
    preference: PreferenceScorer | None = None  # the published learned model, when there is one
    published: ModelVersion | None = None  # the version `preference` was loaded from
    # the store's users_forgotten count, read before this bundle dropped its forgotten users: a
    # later check that reads the same count knows nobody was forgotten since
    forgotten_count: int = 0
    # free-text wishes -> per-row scores; only when <var>/enrichment/store.jsonl exists (`enrich`)
    text: TextQueryScorer | None = None


def load_preference(published: ModelVersion, index: CatalogIndex) -> PreferenceScorer:
    """The published version's scorer; CorruptModelError when its files are damaged or partial."""
    started = time.perf_counter()
    scorer = PreferenceScorer(load_version(Path(published.path)), index)
    logger.info(
        "loaded model version %s (%.0f%% of the catalog known) in %.2fs",
        published.version, 100 * scorer.coverage, time.perf_counter() - started,
    )
    return scorer


def drop_forgotten_users(store: Store, scorer: PreferenceScorer, published: ModelVersion) -> int:
    """Stop using the trained vectors of users forgotten since `published` was trained; how many.

    "Forget me" removes the user from the version's files too (`training.forget`), but a copy
    loaded before still has their id and vector: a user forgotten anywhere (the bot,
    `python -m recommender forget`, another replica) has no user row any more, and one
    who came back since has a row created after the version, so is not the user it was trained
    on. Both are then scored like any user the model never saw: from their stored history only.
    One batched query of the users the scorer still knows.
    """
    known = scorer.user_ids
    if not known:
        return 0
    kept = store.existing_users(known, created_before=published.created_at)
    gone = [user for user in known if user not in kept]
    for user in gone:
        scorer.forget_user(user)
    if gone:
        logger.info("model version %s: %d trained users were forgotten since; scored as new users",
                    published.version, len(gone))
    return len(gone)


def fit_cold_start(
    data: InteractionData, index: CatalogIndex, settings: Settings
) -> tuple[PopularityView, ItemKNN, AttributeSimilarity]:
    """The signals that need no published model: rated popularity, item-kNN on positive
    engagement (`knn_neighbours`, `knn_shrinkage`) and attribute similarity."""
    popularity = PopularityView.of(Popularity().fit(data), index, prior=settings.popularity_prior)
    knn = ItemKNN(settings.knn_neighbours, settings.knn_shrinkage, positive_only=True).fit(data)
    return popularity, knn, AttributeSimilarity().fit(data)


def build_bundle(store: Store, settings: Settings, published: ModelVersion | None = None) -> ModelBundle:
    """Load the catalog and interactions, fit popularity, item-kNN and content similarity, and
    load the published preference model (a damaged one raises CorruptModelError) without the
    vectors of users forgotten since it was trained."""
    started = time.perf_counter()
    items = store.load_items()
    if not items:
        raise CatalogEmptyError("the catalog is empty: run `python -m recommender ingest movielens100k` first")
    index = CatalogIndex(items)
    forgotten_count = store.users_forgotten_count()  # before the check below, so none slips between
    events = store.load_interactions()
    popularity, knn, content = fit_cold_start(interaction_data(events, items), index, settings)
    preference = load_preference(published, index) if published is not None else None
    if preference is not None and published is not None:
        drop_forgotten_users(store, preference, published)
    fingerprint = hashlib.sha1(repr((store.catalog_fingerprint(), len(events))).encode()).hexdigest()[:10]
    version = preference.version if preference is not None else f"popknn-{fingerprint}"
    logger.info(
        "built model bundle %s: %d items, %d events, %.2fs",
        version, len(items), len(events), time.perf_counter() - started,
    )
    return ModelBundle(version, index, popularity, knn, content, preference,
                       published if preference is not None else None, forgotten_count, text=_text_scorer(items, settings))


def _text_scorer(items: list[Item], settings: Settings) -> TextQueryScorer | None:
    """The free-text scorer when the catalog has an enrichment file; it embeds on its first query."""
    from recommender.catalog.enrichment import enrichment_path

    path = enrichment_path(settings.var_dir, "store")
    if not path.is_file():
        return None
    from recommender.retrieval.text_query import TextQueryScorer  # imports torch: only when needed

    return TextQueryScorer.from_file(items, path, settings.var_dir / "cache" / "embeddings")
