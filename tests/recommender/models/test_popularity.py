"""Popularity passes the model contract and counts users, not events."""

from __future__ import annotations

import numpy as np
from model_contract import ModelContract, synthetic_interactions

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.popularity import Popularity


class TestPopularityContract(ModelContract):
    personalised = False

    def make_model(self, seed: int) -> PreferenceModel:
        return Popularity()


def test_counts_distinct_users_per_item() -> None:
    data = synthetic_interactions()
    repeated = InteractionData(
        user_idx=np.array([0, 0, 0, 1]), item_idx=np.array([2, 2, 2, 1]), values=np.full(4, np.nan, np.float32),
        timestamps=np.arange(4.0), kinds=np.array(["click"] * 4, dtype=object),
        user_ids=["a", "b"], items=data.items[:3],
    )
    scores = Popularity().fit(repeated).score(Query())
    assert scores.tolist() == [0.0, 1.0, 1.0]
