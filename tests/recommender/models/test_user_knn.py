"""UserKNN passes the model contract and computes the paper's formula exactly."""

from __future__ import annotations

import numpy as np
import pytest
from model_contract import FORGOTTEN, ModelContract, new_index, synthetic_interactions, user_query

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.user_knn import UserKNN
from recommender.types import Item


class TestUserKNNContract(ModelContract):
    forgetting_changes_other_scores = True  # a forgotten user is nobody's neighbour any more

    def make_model(self, seed: int) -> PreferenceModel:
        return UserKNN(neighbours=8)


class TestUserKNNWithRatingsContract(ModelContract):
    forgetting_changes_other_scores = True  # a forgotten user is nobody's neighbour any more

    def make_model(self, seed: int) -> PreferenceModel:
        return UserKNN(neighbours=8, use_ratings=True)


def _data() -> InteractionData:
    # u0 rated {0: 5, 1: 4}; u1 rated {0: 3, 2: 2}; u2 rated {3: 5}
    users = np.array([0, 0, 1, 1, 2])
    items = np.array([0, 1, 0, 2, 3])
    return InteractionData(
        user_idx=users, item_idx=items, values=np.array([5, 4, 3, 2, 5], np.float32), timestamps=np.arange(5.0),
        kinds=np.array(["rating"] * 5, dtype=object), user_ids=["a", "b", "c"],
        items=[Item(str(i), f"t{i}") for i in range(4)],
    )


def test_formula_by_hand() -> None:
    """History {0}: sim(u0) = 1/sqrt(2), sim(u1) = 1/sqrt(2), u2 shares nothing -> N(u) = {u0, u1}."""
    query = Query(history=np.array([0]))
    s = 1 / np.sqrt(2)
    binary = UserKNN(neighbours=10).fit(_data()).score(query)
    # R(u,i) = sum_v sim(u,v)/|N(u)| * r(v,i) with r binary
    assert binary.tolist() == pytest.approx([2 * s / 2, s / 2, s / 2, 0.0])
    rated = UserKNN(neighbours=10, use_ratings=True).fit(_data()).score(query)
    assert rated.tolist() == pytest.approx([(s * 5 + s * 3) / 2, s * 4 / 2, s * 2 / 2, 0.0])


def test_neighbourhood_size_limits_the_sum() -> None:
    model = UserKNN(neighbours=1).fit(_data())
    query = Query(history=np.array([0, 1]))  # u0 overlaps fully (cos 1), u1 partly
    neighbours, sims = model.neighbourhood(query)
    assert neighbours.tolist() == [0]
    assert sims[0] == pytest.approx(1.0)
    assert model.score(query).tolist() == pytest.approx([1.0, 1.0, 0.0, 0.0])


def test_a_trained_user_is_not_their_own_neighbour() -> None:
    model = UserKNN(neighbours=5).fit(_data())
    neighbours, _ = model.neighbourhood(Query(history=np.array([0, 1]), user=0))
    assert 0 not in neighbours.tolist()


def _without_users(data: InteractionData, rows: np.ndarray) -> InteractionData:
    """`data` as if the users `rows` had never been in it (the rest renumbered in order)."""
    keep = ~np.isin(data.user_idx, rows)
    renumber = np.cumsum(~np.isin(np.arange(data.n_users), rows)) - 1
    return InteractionData(
        user_idx=renumber[data.user_idx[keep]], item_idx=data.item_idx[keep], values=data.values[keep],
        timestamps=data.timestamps[keep], kinds=data.kinds[keep],
        user_ids=[u for n, u in enumerate(data.user_ids) if n not in rows.tolist()], items=data.items,
    )


@pytest.mark.parametrize("use_ratings", [False, True])
def test_forgetting_is_as_if_the_users_had_never_been_trained_on(use_ratings: bool) -> None:
    """UserKNN keeps nothing but r(v, i): forgetting rows equals fitting without those users."""
    data = synthetic_interactions()
    model = UserKNN(neighbours=8, use_ratings=use_ratings).fit(data)
    model.forget_users(FORGOTTEN)
    never = UserKNN(neighbours=8, use_ratings=use_ratings).fit(_without_users(data, FORGOTTEN))
    assert model.r is not None and never.r is not None
    assert (model.r != never.r).nnz == 0
    for user in (0, 2, 5, data.n_users - 1):
        query = user_query(data, user)
        renumbered = Query(history=query.history, weights=query.weights, user=new_index(user))
        np.testing.assert_array_equal(model.score(renumbered), never.score(renumbered))
    forgotten_history = user_query(data, 1, with_user=False)  # the forgotten user is nobody's neighbour now
    np.testing.assert_array_equal(model.score(forgotten_history), never.score(forgotten_history))
