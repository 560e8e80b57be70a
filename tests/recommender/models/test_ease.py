"""EASE passes the model contract; its weights are the ridge regression of each item on the others."""

from __future__ import annotations

import numpy as np
import pytest
from model_contract import ModelContract, synthetic_interactions

from recommender.models.base import PreferenceModel, Query
from recommender.models.common import user_item_matrix
from recommender.models.ease import EASE


class TestEASEContract(ModelContract):
    def make_model(self, seed: int) -> PreferenceModel:
        return EASE(l2=5.0)


def test_each_column_is_the_ridge_regression_of_that_item_on_the_others() -> None:
    """The closed form B = I - P / diag(P) equals, column by column, argmin ||x_j - X_-j b||^2 + l2 ||b||^2."""
    data = synthetic_interactions(n_users=30, n_items=12)
    l2 = 3.0
    model = EASE(l2=l2).fit(data)
    x = user_item_matrix(data).toarray().astype(np.float64)
    for j in range(x.shape[1]):
        others = [i for i in range(x.shape[1]) if i != j]
        a = x[:, others]
        b = np.linalg.solve(a.T @ a + l2 * np.eye(len(others)), a.T @ x[:, j])
        np.testing.assert_allclose(model.weights[others, j], b, rtol=1e-4, atol=1e-5)
        assert model.weights[j, j] == 0.0


def test_recent_scores_from_the_latest_history_items_only() -> None:
    data = synthetic_interactions()
    recent = EASE(l2=5.0, recent=2).fit(data)
    whole = EASE(l2=5.0).fit(data)
    np.testing.assert_allclose(recent.score(Query(history=np.array([3, 7, 1, 4]))),
                               whole.score(Query(history=np.array([1, 4]))), rtol=1e-6)


def test_a_large_catalog_models_only_its_most_used_items() -> None:
    data = synthetic_interactions()
    model = EASE(l2=5.0, max_items=6).fit(data)
    users_per_item = user_item_matrix(data).getnnz(axis=0)
    assert model.weights.shape == (6, 6) and len(model.modelled) == 6
    assert users_per_item[model.modelled].min() >= np.delete(users_per_item, model.modelled).max()
    left_out = np.setdiff1d(np.arange(data.n_items), model.modelled)
    scores = model.score(Query(history=model.modelled[:3]))
    assert np.all(scores[left_out] == 0) and np.any(scores[model.modelled] != 0)
    assert not np.any(model.score(Query(history=left_out[:3])))  # nothing modelled to go on


def test_rejects_bad_hyper_parameters() -> None:
    with pytest.raises(ValueError, match="l2"):
        EASE(l2=0.0)
    with pytest.raises(ValueError, match="recent"):
        EASE(recent=-1)
    with pytest.raises(ValueError, match="max_items"):
        EASE(max_items=0)
