"""ItemKNN passes the model contract; similarities follow the cosine-with-shrinkage formula."""

from __future__ import annotations

import numpy as np
import pytest
from model_contract import ModelContract

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.item_knn import ItemKNN
from recommender.types import Item


class TestItemKNNContract(ModelContract):
    def make_model(self, seed: int) -> PreferenceModel:
        return ItemKNN(neighbours=10, shrinkage=2.0)


def _tiny() -> InteractionData:
    # users x items: u0 {0,1}, u1 {0,1,2}, u2 {2}
    users = np.array([0, 0, 1, 1, 1, 2])
    items = np.array([0, 1, 0, 1, 2, 2])
    return InteractionData(
        user_idx=users, item_idx=items, values=np.full(6, 5.0, np.float32), timestamps=np.arange(6.0),
        kinds=np.array(["rating"] * 6, dtype=object), user_ids=["a", "b", "c"],
        items=[Item(str(i), f"t{i}") for i in range(3)],
    )


def test_similarity_by_hand() -> None:
    model = ItemKNN(neighbours=5, shrinkage=1.0).fit(_tiny())
    sim = model.similarity.toarray()
    # items 0 and 1: 2 common users, norms sqrt(2) each -> 2 / (2 + 1)
    assert sim[0, 1] == pytest.approx(2 / 3)
    # items 0 and 2: 1 common user, norms sqrt(2) * sqrt(2) -> 1 / (2 + 1)
    assert sim[0, 2] == pytest.approx(1 / 3)
    assert np.all(np.diag(sim) == 0)
    assert model.score(Query(history=np.array([0]))).tolist() == pytest.approx([0, 2 / 3, 1 / 3])


def test_keeps_only_the_top_neighbours() -> None:
    model = ItemKNN(neighbours=1, shrinkage=0.0).fit(_tiny())
    assert (model.similarity.getnnz(axis=1) <= 1).all()
    assert model.similarity[0].toarray().ravel().tolist() == pytest.approx([0, 1.0, 0])


def test_rejects_bad_hyper_parameters() -> None:
    with pytest.raises(ValueError, match="neighbours"):
        ItemKNN(neighbours=0)
    with pytest.raises(ValueError, match="shrinkage"):
        ItemKNN(shrinkage=-1)


def test_recent_uses_only_the_latest_history_items() -> None:
    model = ItemKNN(neighbours=5, shrinkage=1.0, recent=1).fit(_tiny())
    full = ItemKNN(neighbours=5, shrinkage=1.0).fit(_tiny())
    np.testing.assert_array_equal(model.score(Query(history=np.array([0, 2]))), full.score(Query(history=np.array([2]))))
    with pytest.raises(ValueError, match="recent"):
        ItemKNN(recent=-1)
