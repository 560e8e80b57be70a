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


def test_a_warm_start_continues_from_the_previous_weights_with_items_mapped() -> None:
    from recommender.models.warm_start import WarmStart

    data = cyclic(length=N_ITEMS - 1)
    first = SASRec(dim=32, max_len=12, epochs=30, lr=5e-3, batch_size=16, dropout=0.0, seed=0).fit(data)
    assert first.epochs_trained == 30 and not first.warm_started
    # zero epochs from the previous weights: the same network, so the same scores
    same = SASRec(dim=32, max_len=12, epochs=30, warm_epochs=0, batch_size=16, dropout=0.0, seed=5)
    same.fit(data, warm_start=WarmStart(first))
    query = Query(history=np.array([3, 4, 5]))
    np.testing.assert_allclose(same.score(query), first.score(query), rtol=1e-5, atol=1e-6)
    assert same.warm_started and same.epochs_trained == 30
    # a catalog in another order: item i of the new data was item (i + 1) % N_ITEMS of the old one
    moved = np.array([(i + 1) % N_ITEMS for i in range(N_ITEMS)])
    shifted = InteractionData(
        user_idx=data.user_idx, item_idx=np.argsort(moved)[data.item_idx], values=data.values,
        timestamps=data.timestamps, kinds=data.kinds, user_ids=data.user_ids,
        items=[data.items[j] for j in moved],
    )
    remapped = SASRec(dim=32, max_len=12, epochs=30, warm_epochs=0, batch_size=16, dropout=0.0, seed=5)
    remapped.fit(shifted, warm_start=WarmStart(first, item_map=moved))
    new_query = Query(history=np.argsort(moved)[[3, 4, 5]])
    np.testing.assert_allclose(remapped.score(new_query), first.score(query)[moved], rtol=1e-5, atol=1e-6)
    more = SASRec(dim=32, max_len=12, epochs=30, warm_epochs=2, batch_size=16, dropout=0.0, seed=5)
    assert more.fit(data, warm_start=WarmStart(first)).epochs_trained == 32


def test_a_warm_start_from_another_shape_starts_from_scratch() -> None:
    from recommender.models.warm_start import WarmStart

    data = cyclic(length=N_ITEMS - 1)
    small = SASRec(dim=16, max_len=12, epochs=1, batch_size=16, seed=0).fit(data)
    model = SASRec(dim=32, max_len=12, epochs=2, warm_epochs=0, batch_size=16, seed=0)
    model.fit(data, warm_start=WarmStart(small))
    assert not model.warm_started and model.epochs_trained == 2
