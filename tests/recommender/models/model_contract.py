"""The contract every `PreferenceModel` must keep, as a test mixin (LensKit/implicit style).

Use it by subclassing and saying how to build the model:

    from model_contract import ModelContract

    class TestMyModel(ModelContract):
        def make_model(self, seed: int) -> PreferenceModel:
            return MyModel(epochs=5, seed=seed)

The data is small and synthetic (three taste clusters), so the whole contract runs in seconds
for any model. Set `personalised = False` for models that rank everyone alike (popularity), and
`forgetting_changes_other_scores = True` for models whose scores for one user depend on other
training users' rows (UserKNN's neighbours): forgetting a user then changes the others' scores,
and the contract checks less (their own tests check what forgetting does exactly).
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


FORGOTTEN = np.array([1, 4])  # the training users the forgetting tests remove


def new_index(user: int, forgotten: np.ndarray = FORGOTTEN) -> int:
    """A remaining user's index once `forgotten` are removed (users after them move up)."""
    assert user not in forgotten.tolist()
    return user - int((forgotten < user).sum())


class ModelContract:
    """Tests every preference model must pass. Subclasses implement `make_model`."""

    personalised: bool = True
    forgetting_changes_other_scores: bool = False

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

    # -- forgetting training users ("forget me") ---------------------------------------------
    @staticmethod
    def _copy(fitted: PreferenceModel, directory: Path) -> PreferenceModel:
        """An independent copy of the class-wide fitted model (forgetting changes a model in place)."""
        fitted.save(directory)
        return type(fitted).load(directory)

    def test_forgetting_removes_exactly_those_users(self, fitted: PreferenceModel, tmp_path: Path) -> None:
        before = fitted.trained_users()
        model = self._copy(fitted, tmp_path / "copy")
        model.forget_users(FORGOTTEN)
        if before is None:  # only item or aggregate state: nothing of a user's own to remove
            assert model.trained_users() is None
        else:
            assert model.trained_users() == before - len(FORGOTTEN)

    def test_forgetting_nobody_changes_nothing(
        self, fitted: PreferenceModel, data: InteractionData, tmp_path: Path
    ) -> None:
        model = self._copy(fitted, tmp_path / "copy")
        model.forget_users(np.array([], dtype=np.int64))
        assert model.trained_users() == fitted.trained_users()
        for query in (user_query(data, 5), Query(history=np.array([2, 5])), Query()):
            np.testing.assert_array_equal(model.score(query), fitted.score(query))

    def test_remaining_users_keep_valid_indices_after_forgetting(
        self, fitted: PreferenceModel, data: InteractionData, tmp_path: Path
    ) -> None:
        """Every remaining user's renumbered index still finds their own state: their scores are
        unchanged where they do not depend on other users' rows, and finite anyway."""
        model = self._copy(fitted, tmp_path / "copy")
        model.forget_users(FORGOTTEN)
        remaining = [u for u in (0, 2, 3, 5, data.n_users - 1) if u not in FORGOTTEN.tolist()]
        for user in remaining:
            old = user_query(data, user)
            renumbered = Query(history=old.history, weights=old.weights, user=new_index(user))
            scores = model.score(renumbered)
            assert scores.shape == (data.n_items,) and scores.dtype == np.float32
            assert np.isfinite(scores).all()
            if not self.forgetting_changes_other_scores:
                np.testing.assert_array_equal(scores, fitted.score(old), err_msg=f"user {user}")
        if not self.forgetting_changes_other_scores:  # history-only scoring reads no user's row
            for query in (user_query(data, 1, with_user=False), Query(history=np.array([2, 5])), Query()):
                np.testing.assert_array_equal(model.score(query), fitted.score(query))

    def test_forgetting_survives_save_and_load(
        self, fitted: PreferenceModel, data: InteractionData, tmp_path: Path
    ) -> None:
        model = self._copy(fitted, tmp_path / "copy")
        model.forget_users(FORGOTTEN)
        model.save(tmp_path / "forgot")
        assert_no_pickle(tmp_path / "forgot")
        loaded = type(fitted).load(tmp_path / "forgot")
        assert loaded.trained_users() == model.trained_users()
        for query in (user_query(data, 5), user_query(data, 0, with_user=False), Query(history=np.array([2, 5]))):
            query = Query(history=query.history, weights=query.weights,
                          user=None if query.user is None else new_index(query.user))
            np.testing.assert_array_equal(loaded.score(query), model.score(query))

    def test_forgetting_a_user_the_model_does_not_have_is_refused(
        self, fitted: PreferenceModel, tmp_path: Path
    ) -> None:
        n_users = fitted.trained_users()
        if n_users is None:
            pytest.skip("the model keeps no per-user state, so it cannot tell which users exist")
        model = self._copy(fitted, tmp_path / "copy")
        for rows in ([n_users], [-1], [0, n_users + 3]):
            with pytest.raises(ValueError, match="rows to forget"):
                model.forget_users(np.array(rows))
            assert model.trained_users() == n_users  # refused before anything changed
