"""SASRec passes the model contract and learns a deterministic next-item pattern."""

from __future__ import annotations

import numpy as np
import pytest
from model_contract import ModelContract

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.sasrec import SASRec
from recommender.types import Item


class TestSASRecContract(ModelContract):
    def make_model(self, seed: int) -> PreferenceModel:
        return SASRec(dim=32, max_len=20, epochs=40, lr=5e-3, batch_size=16, dropout=0.1, seed=seed)


class TestSASRecSampledLossContract(ModelContract):
    def make_model(self, seed: int) -> PreferenceModel:
        return SASRec(dim=32, max_len=20, epochs=40, lr=5e-3, batch_size=16, dropout=0.1, loss="sampled",
                      negatives=16, seed=seed)


N_ITEMS = 12


def cyclic(n_users: int = 40, length: int = 15, seed: int = 0) -> InteractionData:
    """Every user walks the cycle 0 -> 1 -> ... -> 11 -> 0 from a random start (items repeat across users)."""
    rng = np.random.default_rng(seed)
    users, items, times = [], [], []
    for u in range(n_users):
        start = int(rng.integers(N_ITEMS))
        for step in range(length):
            users.append(u)
            items.append((start + step) % N_ITEMS)
            times.append(1000.0 * u + step)
    return InteractionData(
        user_idx=np.array(users), item_idx=np.array(items), values=np.full(len(users), 4.0, np.float32),
        timestamps=np.array(times), kinds=np.array(["rating"] * len(users), dtype=object),
        user_ids=[f"u{u}" for u in range(n_users)], items=[Item(str(i), f"t{i}") for i in range(N_ITEMS)],
    )


def test_predicts_the_next_item_of_a_cycle() -> None:
    # histories of 11 distinct items (length <= N_ITEMS - 1 so the order by last event is the walk)
    model = SASRec(dim=32, max_len=12, epochs=60, lr=5e-3, batch_size=16, dropout=0.0, seed=0)
    model.fit(cyclic(length=N_ITEMS - 1))
    correct = 0
    for start in range(N_ITEMS):
        history = np.array([(start + s) % N_ITEMS for s in range(4)])
        expected = (start + 4) % N_ITEMS
        top = model.recommend(Query(history=history), k=1, exclude=history)
        correct += int(top[0] == expected)
    assert correct >= N_ITEMS - 1, f"next item right for {correct} of {N_ITEMS} starts"


def test_windows_cover_every_target_once() -> None:
    model = SASRec(max_len=3)
    windows = model.windows([np.arange(7)])
    # shifted ids 1..7; windows of 4 ending at 7, 4 and (padded) 1..1
    np.testing.assert_array_equal(windows, [[4, 5, 6, 7], [1, 2, 3, 4]])
    targets = [t for w in windows for t, prev in zip(w[1:], w[:-1], strict=True) if prev > 0]
    assert sorted(targets) == [2, 3, 4, 5, 6, 7]


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        SASRec(dim=30, heads=4)
    with pytest.raises(ValueError):
        SASRec(loss="mse")
