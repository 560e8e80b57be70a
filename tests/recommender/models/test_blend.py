"""The learned blend: model contract, finite printable weights, no leakage, a planted positive on top."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from model_contract import FORGOTTEN, ModelContract, new_index, synthetic_interactions
from model_files import per_user_lengths

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.blend import LinearBlend
from recommender.models.blend_fit import hold_out_last
from recommender.models.common import user_histories
from recommender.models.registry import get_spec
from recommender.types import Item

SMALL_BPR = {"factors": 8, "epochs": 20, "lr": 0.05, "batch_size": 64}


class TestBlendContract(ModelContract):
    def make_model(self, seed: int) -> PreferenceModel:
        return LinearBlend(base_models=("item_knn", "bpr", "popularity"), base_params={"bpr": SMALL_BPR},
                           candidates=20, hard_negatives=10, random_negatives=5, epochs=30, seed=seed)


class TestBlendRefitLogisticContract(ModelContract):
    forgetting_changes_other_scores = True  # its user_knn base

    def make_model(self, seed: int) -> PreferenceModel:
        return LinearBlend(base_models=("item_knn", "user_knn"), candidates=20, hard_negatives=10,
                           random_negatives=5, epochs=30, loss="logistic", refit=True, seed=seed)


N_PAIRS = 5
N_FILLERS = 30


def planted_pairs(n_users: int = 60, seed: int = 0) -> InteractionData:
    """Item 2k is always followed by item 2k+1 (k < 5); fillers (10..39) are random; each user ends on a pair."""
    rng = np.random.default_rng(seed)
    users, items, times = [], [], []
    for u in range(n_users):
        pairs = rng.choice(N_PAIRS, size=2, replace=False)
        fillers = rng.choice(np.arange(2 * N_PAIRS, 2 * N_PAIRS + N_FILLERS), size=6, replace=False)
        sequence = [*fillers[:3], 2 * pairs[0], 2 * pairs[0] + 1, *fillers[3:], 2 * pairs[1], 2 * pairs[1] + 1]
        for step, item in enumerate(sequence):
            users.append(u)
            items.append(int(item))
            times.append(1000.0 * u + step)
    n_items = 2 * N_PAIRS + N_FILLERS
    return InteractionData(
        user_idx=np.array(users), item_idx=np.array(items), values=np.full(len(users), 4.0, np.float32),
        timestamps=np.array(times), kinds=np.array(["rating"] * len(users), dtype=object),
        user_ids=[f"u{u}" for u in range(n_users)], items=[Item(str(i), f"t{i}") for i in range(n_items)],
    )


@pytest.fixture(scope="module")
def pair_blend() -> LinearBlend:
    model = LinearBlend(base_models=("item_knn/last", "popularity"), base_params={"item_knn/last": {"recent": 1}},
                        candidates=10, hard_negatives=10, random_negatives=10, epochs=100, lr=0.1, seed=0)
    return model.fit(planted_pairs())


def test_ranks_the_planted_positive_above_every_negative(pair_blend: LinearBlend) -> None:
    for k in range(N_PAIRS):
        history = np.array([2 * N_PAIRS + 1, 2 * N_PAIRS + 7, 2 * k])
        scores = pair_blend.score(Query(history=history))
        negatives = np.setdiff1d(np.arange(len(scores)), [*history.tolist(), 2 * k + 1])
        assert scores[2 * k + 1] > scores[negatives].max(), f"pair {k}"


def test_weights_are_finite_named_and_printable(pair_blend: LinearBlend) -> None:
    weights = pair_blend.weights()
    assert list(weights) == ["intercept", *pair_blend.feature_names()]
    assert all(np.isfinite(w) for w in weights.values())
    assert weights["item_knn/last:z"] > 0 or weights["item_knn/last:log_rank"] > 0
    described = pair_blend.describe()
    assert described["weights"] == weights and described["training_users"] == 60


def test_hold_out_last_removes_every_event_of_the_last_item() -> None:
    data = synthetic_interactions()
    # a second event on one user's last item must leave with it
    histories = user_histories(data)
    last_item = int(histories[0][0][-1])
    doubled = InteractionData(
        user_idx=np.r_[data.user_idx, 0], item_idx=np.r_[data.item_idx, last_item],
        values=np.r_[data.values, np.float32(np.nan)], timestamps=np.r_[data.timestamps, data.timestamps.max() + 1],
        kinds=np.r_[data.kinds, np.array(["click"], dtype=object)], user_ids=data.user_ids, items=data.items,
    )
    rest, users, held = hold_out_last(doubled)
    assert len(users) == data.n_users
    assert held[0] == last_item
    remaining = set(zip(rest.user_idx.tolist(), rest.item_idx.tolist(), strict=True))
    assert not remaining & set(zip(users.tolist(), held.tolist(), strict=True))
    assert len(rest) == len(doubled) - data.n_users - 1


def test_base_models_used_for_training_never_saw_the_positives() -> None:
    data = synthetic_interactions()
    blend = LinearBlend(base_models=("popularity", "item_knn"), candidates=10, hard_negatives=5,
                        random_negatives=5, epochs=5, refit=False).fit(data)
    rest, _, held = hold_out_last(data)
    # with refit=False the served base models are the training ones: their counts must match `rest`
    expected = np.bincount(np.unique(rest.user_idx * data.n_items + rest.item_idx) % data.n_items,
                           minlength=data.n_items)
    np.testing.assert_array_equal(blend.models["popularity"].score(Query()), expected.astype(np.float32))
    assert len(held) == data.n_users


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="base model"):
        LinearBlend(base_models=())
    with pytest.raises(ValueError, match="distinct"):
        LinearBlend(base_models=("bpr", "bpr"))
    with pytest.raises(ValueError, match="distinct"):
        LinearBlend(base_models=("blend",))
    with pytest.raises(ValueError, match="base_params"):
        LinearBlend(base_models=("bpr",), base_params={"sasrec": {}})


@pytest.mark.parametrize("name", ["bpr", "sasrec", "blend"])
def test_registry_builds_and_fits_the_quick_versions(name: str) -> None:
    from recommender.models.registry import get_spec

    spec = get_spec(name)
    # the content model needs the packaged sentence encoder; the blend's quick test leaves it out
    overrides = {"base_models": ("item_knn", "bpr", "sasrec", "popularity")} if name == "blend" else {}
    data = synthetic_interactions()
    model = spec.build(overrides, seed=1, quick=True).fit(data)
    scores = model.score(Query(history=np.array([0, 3]), user=None))
    assert scores.shape == (data.n_items,) and np.isfinite(scores).all()
    assert all(point.keys() <= spec.params().keys() for point in spec.search_space())


def test_refitted_bases_are_used_instead_of_fitting_them_again() -> None:
    data = synthetic_interactions()
    settings = {"base_models": ("item_knn", "popularity"), "candidates": 20, "hard_negatives": 10,
                "random_negatives": 5, "epochs": 30, "refit": True, "seed": 3}
    own = LinearBlend(**settings).fit(data)  # type: ignore[arg-type]
    blend = LinearBlend(**settings)  # type: ignore[arg-type]
    standalone = {name: get_spec(name).build(get_spec(name).params(), seed=3).fit(data) for name in ("item_knn", "popularity")}
    blend.fit(data, refitted=standalone)
    assert all(blend.models[name] is standalone[name] for name in standalone)
    assert blend.fit_report["reused_bases"] == ["item_knn", "popularity"]
    for items, weights in user_histories(data)[:5]:
        query = Query(history=items, weights=weights)
        np.testing.assert_allclose(blend.score(query), own.score(query), rtol=1e-6)


def test_train_reuses_only_standalone_models_built_like_the_blends_bases() -> None:
    from recommender.commands.train import _reusable_bases

    blend = LinearBlend(base_models=("item_knn", "popularity"), refit=True, seed=3)
    knn, popularity = object(), object()
    fitted = {"item_knn": (knn, {**get_spec("item_knn").params(), "seed": 3}),
              "popularity": (popularity, {**get_spec("popularity").params({"x": 1}), "seed": 3})}
    assert _reusable_bases(blend, fitted) == {"item_knn": knn}  # type: ignore[arg-type]
    assert _reusable_bases(LinearBlend(base_models=("item_knn",), refit=False, seed=3), fitted) == {}  # type: ignore[arg-type]
    assert _reusable_bases(LinearBlend(base_models=("item_knn",), refit=True, seed=4), fitted) == {}  # type: ignore[arg-type]


WARM_BLEND = {"base_models": ("sasrec", "popularity"), "base_params": {"sasrec": {"dim": 16, "max_len": 10, "epochs": 2,
              "warm_epochs": 1, "batch_size": 16}}, "candidates": 20, "hard_negatives": 10, "random_negatives": 5,
              "epochs": 5, "refit": False, "refit_warm_epochs": 1}


def test_sasrec_base_warm_starts_from_the_previous_blends_held_out_fit(tmp_path: Path) -> None:
    from recommender.models.warm_start import WarmStart

    data = synthetic_interactions()
    first = LinearBlend(**WARM_BLEND, seed=1).fit(data)  # type: ignore[arg-type]
    assert first.fit_report["warm_started"] == [] and first.fit_report["sasrec:epochs_trained"] == 2
    assert first.warm_bases["sasrec"] is first.models["sasrec"]  # no refit: the held-out fit serves
    second = LinearBlend(**WARM_BLEND, seed=1).fit(data, warm_start=WarmStart(first))  # type: ignore[arg-type]
    assert second.fit_report["warm_started"] == ["sasrec"] and second.fit_report["sasrec:epochs_trained"] == 3
    # refitting for serving: every base on all of the data, SASRec continuing from its held-out fit
    held_out_fit = second.models["sasrec"]
    second.refit_bases(data)
    assert second.warm_bases["sasrec"] is held_out_fit and second.models["sasrec"] is not held_out_fit
    assert second.fit_report["sasrec:epochs_trained"] == 4 and second.fit_report["sasrec:warm_epochs_trained"] == 3
    full = np.bincount(np.unique(data.user_idx * data.n_items + data.item_idx) % data.n_items, minlength=data.n_items)
    np.testing.assert_array_equal(second.models["popularity"].score(Query()), full.astype(np.float32))
    # what the next retrain starts from survives saving: the held-out fit, not the served one
    second.save(tmp_path / "blend")
    loaded = LinearBlend.load(tmp_path / "blend")
    query = Query(history=np.array([0, 3, 6]))
    np.testing.assert_array_equal(loaded.warm_bases["sasrec"].score(query), held_out_fit.score(query))
    np.testing.assert_array_equal(loaded.score(query), second.score(query))


def test_a_warm_start_from_another_kind_of_model_is_ignored() -> None:
    from recommender.models.warm_start import WarmStart

    data = synthetic_interactions()
    popularity = get_spec("popularity").build().fit(data)
    blend = LinearBlend(**WARM_BLEND, seed=1).fit(data, warm_start=WarmStart(popularity))  # type: ignore[arg-type]
    assert blend.fit_report["warm_started"] == [] and blend.fit_report["sasrec:epochs_trained"] == 2


def test_forgetting_reaches_the_statistics_every_base_and_every_held_out_fit(tmp_path: Path) -> None:
    data = synthetic_interactions()
    blend = LinearBlend(base_models=("item_knn", "bpr", "user_knn", "popularity"), base_params={"bpr": SMALL_BPR},
                        candidates=20, hard_negatives=10, random_negatives=5, epochs=10, seed=0).fit(data)
    # a held-out fit of its own (as SASRec has after a refit) and one that is the served base itself
    blend.warm_bases = {"bpr": get_spec("bpr").build(SMALL_BPR, seed=1).fit(hold_out_last(data)[0]),
                        "user_knn": blend.models["user_knn"]}
    bpr_rows = {name: model.user_factors[FORGOTTEN].copy()  # type: ignore[attr-defined]
                for name, model in (("base", blend.models["bpr"]), ("warm", blend.warm_bases["bpr"]))}
    assert blend.trained_users() == data.n_users

    blend.forget_users(FORGOTTEN)

    assert blend.trained_users() == data.n_users - len(FORGOTTEN)  # the served user_knn lost its rows once, not twice
    blend.save(tmp_path / "blend")
    with np.load(tmp_path / "blend" / "arrays.npz", allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    lengths = per_user_lengths(tmp_path / "blend")
    assert set(lengths) >= {"base.bpr.user_factors", "warm.bpr.user_factors", "base.user_knn.indptr",
                            "stats.user_last_time", "stats.user_kind_counts"}
    assert set(lengths.values()) == {data.n_users - len(FORGOTTEN)}, lengths
    for prefix, rows in bpr_rows.items():
        saved = arrays[f"{prefix}.bpr.user_factors"]
        assert not any((saved == row).all(axis=1).any() for row in rows), f"a forgotten {prefix} BPR row is still saved"
    loaded = LinearBlend.load(tmp_path / "blend")
    query = Query(history=np.array([0, 3, 6]), user=new_index(5))
    np.testing.assert_array_equal(loaded.score(query), blend.score(query))


def test_forgetting_refuses_a_blend_whose_parts_disagree() -> None:
    data = synthetic_interactions()
    blend = LinearBlend(base_models=("bpr", "popularity"), base_params={"bpr": SMALL_BPR}, candidates=20,
                        hard_negatives=10, random_negatives=5, epochs=5, seed=0).fit(data)
    blend.models["bpr"].forget_users(np.array([0]))  # a damaged blend: its BPR has one user fewer
    with pytest.raises(ValueError, match="disagree"):
        blend.forget_users(np.array([1]))
    assert blend.stats is not None and blend.stats.n_users == data.n_users  # nothing changed
