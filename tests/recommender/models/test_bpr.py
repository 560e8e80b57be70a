"""BPR passes the model contract and recovers a planted two-group structure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from model_contract import FORGOTTEN, ModelContract, synthetic_interactions

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.bpr import BPR
from recommender.types import Item


class TestBPRContract(ModelContract):
    def make_model(self, seed: int) -> PreferenceModel:
        return BPR(factors=8, epochs=40, lr=0.05, batch_size=64, seed=seed)


def planted(n_users: int = 60, n_items: int = 40, per_user: int = 10, seed: int = 0) -> tuple[InteractionData, list[int]]:
    """Two groups: users of group g only touch items of group g; one of each user's items is held back."""
    rng = np.random.default_rng(seed)
    users, items, held = [], [], []
    for u in range(n_users):
        group = np.arange(u % 2, n_items, 2)
        chosen = rng.choice(group, size=per_user + 1, replace=False)
        users += [u] * per_user
        items += chosen[:per_user].tolist()
        held.append(int(chosen[per_user]))
    data = InteractionData(
        user_idx=np.array(users), item_idx=np.array(items), values=np.full(len(users), np.nan, np.float32),
        timestamps=np.arange(len(users), dtype=np.float64), kinds=np.array(["click"] * len(users), dtype=object),
        user_ids=[f"u{u}" for u in range(n_users)], items=[Item(str(i), f"t{i}") for i in range(n_items)],
    )
    return data, held


def test_learns_planted_groups_far_better_than_random() -> None:
    data, held = planted()
    model = BPR(factors=8, epochs=60, lr=0.05, batch_size=64, seed=0).fit(data)
    same_group_share, hits = [], 0
    for u, target in enumerate(held):
        seen = data.item_idx[data.user_idx == u]
        top = model.recommend(Query(history=seen, user=u), k=5, exclude=seen)
        same_group_share.append(np.mean(top % 2 == u % 2))
        hits += target in top.tolist()
    # random guessing: half of the top 5 in the user's group, hit rate 5/30 ~ 0.17
    assert np.mean(same_group_share) > 0.95
    assert hits / len(held) > 0.25


def test_history_fold_in_matches_the_group_of_the_history() -> None:
    data, _ = planted()
    model = BPR(factors=8, epochs=60, lr=0.05, batch_size=64, seed=0).fit(data)
    for group in (0, 1):
        history = np.arange(group, 40, 2)[:5]
        top = model.recommend(Query(history=history), k=5, exclude=history)
        assert np.all(top % 2 == group)


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        BPR(factors=0)
    with pytest.raises(ValueError):
        BPR(lr=0)


def test_forgetting_drops_exactly_the_users_rows_of_the_factors(tmp_path: Path) -> None:
    data = synthetic_interactions()
    model = BPR(factors=8, epochs=5, batch_size=64, seed=0).fit(data)
    assert model.user_factors is not None
    before = model.user_factors.copy()
    model.forget_users(FORGOTTEN)
    np.testing.assert_array_equal(model.user_factors, np.delete(before, FORGOTTEN, axis=0))
    model.save(tmp_path / "bpr")
    with np.load(tmp_path / "bpr" / "arrays.npz", allow_pickle=False) as npz:
        saved = npz["user_factors"]
    assert len(saved) == data.n_users - len(FORGOTTEN)
    for row in FORGOTTEN:  # the forgotten vectors are nowhere in the file
        assert not (saved == before[row]).all(axis=1).any()
