"""The contract every `PreferenceModel` must keep, as a test mixin (LensKit/implicit style).

Use it by subclassing and saying how to build the model:

    from model_contract import ModelContract

    class TestMyModel(ModelContract):
        def make_model(self, seed: int) -> PreferenceModel:
            return MyModel(epochs=5, seed=seed)

The data is small and synthetic (three taste clusters), so the whole contract runs in seconds
for any model. Set `personalised = False` for models that rank everyone alike (popularity).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.types import Item

N_CLUSTERS = 3
GENRES = ("Comedy", "Horror", "Drama")


def synthetic_interactions(n_users: int = 36, n_items: int = 45, seed: int = 7) -> InteractionData:
    """Users in three taste clusters; item i belongs to cluster i % 3 and is named after its genre.

    Each user has 8-14 events, ~85% on items of their own cluster, with increasing timestamps,
    ratings 1-5 (higher inside the cluster) and a few implicit clicks (NaN value).
    """
    rng = np.random.default_rng(seed)
    items = [
        Item(item_id=str(i + 1), title=f"{GENRES[i % N_CLUSTERS]} film {i + 1}", year=1980 + i % 30,
             genres=(GENRES[i % N_CLUSTERS],))
        for i in range(n_items)
    ]
    by_cluster = [np.arange(c, n_items, N_CLUSTERS) for c in range(N_CLUSTERS)]
    users, item_idx, values, times, kinds = [], [], [], [], []
    clock = 1_000_000_000.0
    for u in range(n_users):
        cluster = u % N_CLUSTERS
        n = int(rng.integers(8, 15))
        own = rng.choice(by_cluster[cluster], size=min(n, len(by_cluster[cluster])), replace=False)
        others = rng.choice(np.setdiff1d(np.arange(n_items), by_cluster[cluster]), size=2, replace=False)
        chosen = list(own[: n - 2]) + list(others)
        rng.shuffle(chosen)
        for i in chosen:
            clock += float(rng.integers(1, 1000))
            inside = i % N_CLUSTERS == cluster
            click = rng.random() < 0.1
            users.append(u)
            item_idx.append(int(i))
            values.append(np.nan if click else float(rng.integers(4, 6) if inside else rng.integers(1, 3)))
            times.append(clock)
            kinds.append("click" if click else "rating")
    return InteractionData(
        user_idx=np.asarray(users, dtype=np.int64),
        item_idx=np.asarray(item_idx, dtype=np.int64),
        values=np.asarray(values, dtype=np.float32),
        timestamps=np.asarray(times, dtype=np.float64),
        kinds=np.asarray(kinds, dtype=object),
        user_ids=[f"u{u}" for u in range(n_users)],
        items=items,
    )


def user_query(data: InteractionData, user: int, with_user: bool = True) -> Query:
    """The query for a training user: their items oldest first, ratings as weights (NaN -> 3)."""
    rows = np.flatnonzero(data.user_idx == user)
    rows = rows[np.argsort(data.timestamps[rows], kind="stable")]
    weights = np.nan_to_num(data.values[rows].astype(np.float32), nan=3.0)
    return Query(history=data.item_idx[rows].copy(), weights=weights, user=user if with_user else None)


def assert_no_pickle(directory: Path) -> None:
    """Every file a model wrote is JSON, an npz readable without pickle, or safetensors."""
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert files, f"{directory} is empty"
    for path in files:
        head = path.read_bytes()[:2]
        assert not head.startswith(b"\x80"), f"{path} looks like a pickle"
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as npz:
                for key in npz.files:
                    assert npz[key].dtype != object, f"{path}:{key} is an object array"
        elif path.suffix == ".safetensors":
            from safetensors.numpy import load_file

            load_file(str(path))
        else:
            pytest.fail(f"{path}: unexpected file type (allowed: .json, .npz, .safetensors)")


class ModelContract:
    """Tests every preference model must pass. Subclasses implement `make_model`."""

    personalised: bool = True

    def make_model(self, seed: int) -> PreferenceModel:
        """An unfitted model with small, fast settings."""
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def data(cls) -> InteractionData:
        """The synthetic interactions every test fits on."""
        return synthetic_interactions()

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, data: InteractionData) -> PreferenceModel:
        """One model fitted once per test class (fitting can be the slow part)."""
        return cls().make_model(seed=0).fit(data)

    def test_fit_returns_self(self, data: InteractionData) -> None:
        model = self.make_model(seed=0)
        assert model.fit(data) is model

    def test_name_is_set(self, fitted: PreferenceModel) -> None:
        assert isinstance(type(fitted).name, str) and type(fitted).name

    def test_scores_have_shape_dtype_and_are_finite(self, fitted: PreferenceModel, data: InteractionData) -> None:
        for user in (0, 1, 2):
            scores = fitted.score(user_query(data, user))
            assert scores.shape == (data.n_items,)
            assert scores.dtype == np.float32
            assert np.isfinite(scores).all()

    def test_recommend_respects_k_and_exclude(self, fitted: PreferenceModel, data: InteractionData) -> None:
        query = user_query(data, 4)
        exclude = query.history
        top = fitted.recommend(query, k=5, exclude=exclude)
        assert len(top) == 5
        assert len(set(top.tolist())) == 5
        assert not set(top.tolist()) & set(exclude.tolist())
        scores = fitted.score(query)
        assert np.all(np.diff(scores[top]) <= 0), "recommendations must be ordered by score"
        assert len(fitted.recommend(query, k=1, exclude=exclude)) == 1
        # asking for more than there is returns every remaining item, not an error
        everything = fitted.recommend(query, k=data.n_items + 10, exclude=exclude)
        assert len(everything) <= data.n_items - len(np.unique(exclude))

    def test_history_only_query(self, fitted: PreferenceModel, data: InteractionData) -> None:
        """A conversational user who was never trained on: history without a user index."""
        query = Query(history=np.array([0, 3, 6, 9]), weights=np.array([5, 5, 4, 5], dtype=np.float32))
        scores = fitted.score(query)
        assert scores.shape == (data.n_items,) and scores.dtype == np.float32
        assert np.isfinite(scores).all()
        top = fitted.recommend(query, k=5, exclude=query.history)
        assert len(top) == 5 and not set(top.tolist()) & {0, 3, 6, 9}
        unweighted = fitted.score(Query(history=np.array([1, 4, 7])))
        assert np.isfinite(unweighted).all()

    def test_empty_history_query(self, fitted: PreferenceModel, data: InteractionData) -> None:
        """A brand-new user: no history, no index. Must not fail; any finite scores will do."""
        scores = fitted.score(Query())
        assert scores.shape == (data.n_items,)
        assert np.isfinite(scores).all()

    def test_history_query_is_personalised(self, fitted: PreferenceModel, data: InteractionData) -> None:
        """Items of the history's taste cluster should fill most of the top 5; a model that is not
        personalised by design (`personalised = False`) must instead score every history alike."""
        shares = []
        scores = []
        for cluster in range(N_CLUSTERS):
            history = np.arange(cluster, data.n_items, N_CLUSTERS)[:4]
            query = Query(history=history, weights=np.full(len(history), 5.0, dtype=np.float32))
            top = fitted.recommend(query, k=5, exclude=history)
            shares.append(np.mean(top % N_CLUSTERS == cluster))
            scores.append(fitted.score(query))
        if not self.personalised:
            assert all(np.array_equal(scores[0], other) for other in scores[1:]), "scores depend on the history"
            return
        assert np.mean(shares) >= 0.6, f"share of same-cluster items in the top 5 per cluster: {shares}"

    def test_save_load_round_trip_without_pickle(
        self, fitted: PreferenceModel, data: InteractionData, tmp_path: Path
    ) -> None:
        fitted.save(tmp_path / "model")
        assert_no_pickle(tmp_path / "model")
        loaded = type(fitted).load(tmp_path / "model")
        for query in (user_query(data, 5), user_query(data, 5, with_user=False), Query(history=np.array([2, 5]))):
            np.testing.assert_array_equal(loaded.score(query), fitted.score(query))

    def test_load_refuses_another_models_files(self, fitted: PreferenceModel, tmp_path: Path) -> None:
        fitted.save(tmp_path / "model")
        config = json.loads((tmp_path / "model" / "config.json").read_text())
        config["model"] = "some-other-model"
        (tmp_path / "model" / "config.json").write_text(json.dumps(config))
        with pytest.raises(ValueError, match="not"):
            type(fitted).load(tmp_path / "model")

    def test_deterministic_with_a_fixed_seed(self, data: InteractionData) -> None:
        first = self.make_model(seed=3).fit(data)
        second = self.make_model(seed=3).fit(data)
        query = user_query(data, 7)
        np.testing.assert_allclose(first.score(query), second.score(query), rtol=1e-6, atol=1e-7)
