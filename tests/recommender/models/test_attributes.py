"""Attribute similarity passes the model contract and ranks by shared genres and people."""

from __future__ import annotations

import numpy as np
from model_contract import ModelContract, synthetic_interactions

from recommender.feedback import RATING
from recommender.models.attributes import AttributeSimilarity
from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.types import Item


class TestAttributeSimilarityContract(ModelContract):
    def make_model(self, seed: int) -> PreferenceModel:
        return AttributeSimilarity()


def test_shared_genres_and_people_rank_first_and_the_seed_itself_never() -> None:
    items = [Item("1", "Heat", 1995, ("Crime", "Thriller"), ("Michael Mann",)),
             Item("2", "Collateral", 2004, ("Crime", "Thriller"), ("Michael Mann",)),
             Item("3", "Se7en", 1995, ("Crime", "Thriller")),
             Item("4", "Toy Story", 1995, ("Animation",))]
    data = InteractionData(np.array([0]), np.array([0]), np.array([5.0], np.float32), np.zeros(1),
                           np.array([RATING], dtype=object), ["u"], items)
    scores = AttributeSimilarity().fit(data).score(Query(history=np.array([0]), weights=np.array([1.0])))
    assert scores[1] > scores[2] > scores[3] == 0.0
    assert scores[0] == 0.0  # its own similarity is taken out


def test_fitting_needs_no_interactions() -> None:
    data = synthetic_interactions()
    empty = InteractionData(np.array([], np.int64), np.array([], np.int64), np.array([], np.float32),
                            np.array([]), np.array([], dtype=object), [], data.items)
    scores = AttributeSimilarity().fit(empty).score(Query(history=np.array([0])))
    assert scores.shape == (len(data.items),) and scores.max() > 0
