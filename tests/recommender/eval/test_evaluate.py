"""The evaluation pipeline: no leakage into training, honest tuning, and a complete report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pytest

from recommender.eval.evaluate import EvalConfig, run_evaluation
from recommender.eval.ranking import rank_held_out
from recommender.eval.report import write_report
from recommender.eval.split import leave_last_out, visible_pairs
from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.common import user_histories
from recommender.models.popularity import Popularity
from recommender.models.registry import ModelSpec, UnknownModelError, get_spec
from recommender.types import Item


def clustered_data(n_users: int = 60, n_items: int = 40, seed: int = 3) -> InteractionData:
    """Users in two taste clusters, 6-12 items each, strictly increasing times."""
    rng = np.random.default_rng(seed)
    users, items, times = [], [], []
    clock = 0.0
    for u in range(n_users):
        pool = np.arange(u % 2, n_items, 2)
        for i in rng.choice(pool, size=int(rng.integers(6, 13)), replace=False):
            clock += 1.0
            users.append(u)
            items.append(int(i))
            times.append(clock)
    n = len(users)
    return InteractionData(
        user_idx=np.asarray(users, dtype=np.int64), item_idx=np.asarray(items, dtype=np.int64),
        values=np.full(n, 4.0, dtype=np.float32), timestamps=np.asarray(times),
        kinds=np.full(n, "rating", dtype=object), user_ids=[f"u{u}" for u in range(n_users)],
        items=[Item(str(i), f"item {i}") for i in range(n_items)],
    )


class SpyModel(PreferenceModel):
    """Popularity that records every training set and every query it is given."""

    name = "spy"
    fits: ClassVar[list[InteractionData]] = []
    queries: ClassVar[list[Query]] = []

    def __init__(self, boost: float = 0.0) -> None:
        self.boost = boost
        self.inner = Popularity()

    def fit(self, data: InteractionData) -> Self:
        SpyModel.fits.append(data)
        self.inner.fit(data)
        return self

    def score(self, query: Query) -> np.ndarray:
        SpyModel.queries.append(query)
        return self.inner.score(query)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return self.inner.state()

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"boost": self.boost}


SPY = ModelSpec(name="spy", target=f"{__name__}:SpyModel", grid=({"boost": 0.0}, {"boost": 1.0}))


@pytest.fixture
def spy() -> type[SpyModel]:
    SpyModel.fits.clear()
    SpyModel.queries.clear()
    return SpyModel


def test_no_held_out_interaction_is_visible_at_training_time(spy: type[SpyModel]) -> None:
    data = clustered_data()
    split = leave_last_out(data)
    test = set(zip(split.test.users.tolist(), split.test.items.tolist(), strict=True))
    valid = set(zip(split.validation.users.tolist(), split.validation.items.tolist(), strict=True))
    run_evaluation(data, EvalConfig(dataset="synthetic", progress=False), specs=[SPY])

    assert len(spy.fits) == 3  # two grid points on train, one refit on train+validation
    *tuning_fits, final_fit = spy.fits
    for fitted in tuning_fits:
        seen = visible_pairs(fitted)
        assert not seen & test, "a test interaction was visible while tuning"
        assert not seen & valid, "a validation interaction was visible while tuning"
    final = visible_pairs(final_fit)
    assert not final & test, "a test interaction was visible to the final model"
    assert valid <= final, "the final model is refit on train + validation"
    # and at scoring time no query carries its own answer (nor, while tuning, the validation item)
    answers = dict(test)
    validation_items = dict(valid)
    n_tuning_queries = len(tuning_fits) * len(split.validation)
    for n, query in enumerate(spy.queries):
        assert query.user is not None
        history = set(query.history.tolist())
        assert answers.get(query.user) not in history
        if n < n_tuning_queries:
            assert validation_items.get(query.user) not in history


def test_tuning_picks_by_validation_and_reports_every_point(spy: type[SpyModel]) -> None:
    report = run_evaluation(clustered_data(), EvalConfig(dataset="synthetic", progress=False), specs=[SPY])
    result = report["models"]["spy"]
    assert [g["params"] for g in result["grid"]] == [{"boost": 0.0}, {"boost": 1.0}]
    # equal validation scores: the first grid point wins, deterministically
    assert result["chosen_grid_point"] == {"boost": 0.0}
    assert result["details"] == {"boost": 0.0}
    assert set(result["test"]) == {"hr@10", "ndcg@10", "mrr@10", "coverage@10"}
    assert result["latency_ms"]["p50"] is not None and result["latency_ms"]["p95"] >= result["latency_ms"]["p50"]


def test_full_ranking_excludes_exactly_the_training_items() -> None:
    data = clustered_data()
    split = leave_last_out(data)
    histories = user_histories(split.train_validation)
    model = Popularity().fit(split.train_validation)
    recommended, seconds = rank_held_out(model, split.test, histories, k=data.n_items)
    assert len(seconds) == len(split.test)
    for user, ranked in zip(split.test.users.tolist(), recommended, strict=True):
        seen = set(histories[user][0].tolist())
        assert not seen & set(ranked.tolist())
        assert len(ranked) == data.n_items - len(seen)  # every other item is ranked: no sampling


def test_report_files_and_json_on_real_models(tmp_path: Path) -> None:
    data = clustered_data()
    specs = [get_spec("popularity"), get_spec("item_knn"), get_spec("user_knn")]
    report = run_evaluation(data, EvalConfig(dataset="synthetic", quick=True, quick_users=40, progress=False),
                            specs=specs)
    assert set(report["models"]) == {"popularity", "item_knn", "user_knn"}
    assert report["split"]["test_users"] == 40
    paths = write_report(report, tmp_path)
    markdown = paths["markdown"].read_text()
    assert "| item_knn |" in markdown and "NDCG@10" in markdown
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(paths["json"].read_text())["dataset"] == "synthetic"
    # the personalised models find the taste clusters that popularity cannot
    ndcg = {n: r["test"]["ndcg@10"] for n, r in report["models"].items()}
    assert ndcg["item_knn"] > ndcg["popularity"]


def test_blend_comparison_is_reported_against_bpr_and_sasrec() -> None:
    from recommender.eval.evaluate import _comparisons

    def result(ndcg: float) -> dict[str, Any]:  # 100 test users whose per-user NDCG averages `ndcg`
        gains = np.zeros(100)
        gains[: round(ndcg * 100)] = 1.0
        return {"test": {"ndcg@10": ndcg}, "_test_gains": gains}

    out = _comparisons({"blend": result(0.12), "bpr": result(0.1), "sasrec": result(0.08), "user_knn": result(0.11)}, 10)
    assert out["blend_vs_best_strong_baseline"]["baseline"] == "bpr"
    assert out["blend_vs_best_strong_baseline"]["ratio"] == pytest.approx(1.2)
    assert out["blend_vs_best_strong_baseline"]["meets_1_15x"] is True
    low, high = out["blend_vs_best_strong_baseline"]["ratio_95ci"]
    assert low < 1.2 < high  # 12 vs 10 hits among 100 users: far from certain
    assert out["blend_vs_best_single_model"]["model"] == "user_knn"


def test_unknown_model_names_are_listed() -> None:
    with pytest.raises(UnknownModelError, match="registered models: popularity"):
        get_spec("nope")


def test_the_served_configuration_is_scored_next_to_the_tuned_models_for_several_seeds(tmp_path: Path) -> None:
    from recommender.eval.served import SERVED, ServedConfig

    served = ServedConfig(model="blend", params={
        "base_models": ["sasrec", "item_knn", "popularity"], "candidates": 20, "hard_negatives": 10,
        "random_negatives": 5, "refit": False, "refit_warm_epochs": 1}, steps=2, step_share=0.1)
    cfg = EvalConfig(dataset="synthetic", quick=True, quick_users=60, progress=False, served=served,
                     served_seeds=(7,))
    report = run_evaluation(clustered_data(), cfg, specs=[get_spec("popularity"), get_spec("bpr")])
    row = report["models"][SERVED]
    assert set(row["test"]) == {"hr@10", "ndcg@10", "mrr@10", "coverage@10"} and row["validation"]["ndcg@10"] >= 0
    assert [step["events"] for step in row["chain"]["retrains"]][-1] == report["split"]["train_validation_interactions"]
    assert row["details"]["refitted"] is True and "_test_gains" not in row
    by_seed = report["comparisons"]["served_by_seed"]
    assert [r["seed"] for r in by_seed] == [42, 7] and all(r["baseline"] == "bpr" for r in by_seed)
    assert by_seed[0]["served_ndcg@10"] == pytest.approx(row["test"]["ndcg@10"], abs=1e-4)
    assert all(r["ratio_95ci"][0] <= r["ratio"] <= r["ratio_95ci"][1] for r in by_seed)
    together = report["comparisons"]["served_pooled"]  # both seeds at once: between the two seeds' ratios
    assert together["seeds"] == [42, 7] and together["ratio_95ci"][0] <= together["ratio"] <= together["ratio_95ci"][1]
    assert min(r["ratio"] for r in by_seed) - 1e-4 <= together["ratio"] <= max(r["ratio"] for r in by_seed) + 1e-4
    assert all("_gains" not in r for r in by_seed)
    assert "blend_vs_best_single_model" not in report["comparisons"]  # no tuned blend in this run
    markdown = write_report(report, tmp_path)["markdown"].read_text()
    assert f"| {SERVED} |" in markdown and "## The served configuration" in markdown
    assert "| 7 |" in markdown and "RECSYS_RETRAIN_PARAMS" in markdown
    met = sum(r["meets_1_15x"] for r in by_seed)
    assert f"1.15x or more on {met} of 2" in markdown
    assert "All 2 seeds together" in markdown and f"ratio {together['ratio']}," in markdown
