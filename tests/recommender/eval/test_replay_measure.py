"""Measuring what a retrain learned from replayed feedback: cohorts, rankings, paired gains, the planned runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import numpy as np
import pytest

from recommender import feedback as fb
from recommender.eval import replay_proof
from recommender.eval.replay_data import ReplayEvent, ReplayUser
from recommender.eval.replay_measure import (
    Cohort,
    cold_cohort,
    control_cohort,
    history_only,
    measure,
    paired_difference,
    rankings,
    replayed_cohort,
    seed_averaged_gain,
    without_features,
)
from recommender.eval.replay_proof import ABLATIONS, FULL, plan_runs, run_retrains, settings_for, summarise
from recommender.identity import pseudonymous_id, rest_user_key
from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.profile import Profile
from recommender.store import Store
from recommender.training.artifacts import ServingModels

ITEMS = ("1", "2", "3", "4", "5")


class _Scripted(PreferenceModel):
    """Prefers higher item indices; a trained user (index 0) prefers item "1" above everything."""

    name = "scripted"

    def fit(self, data: InteractionData) -> Self:
        return self

    def score(self, query: Query) -> np.ndarray:
        scores = np.arange(len(ITEMS), dtype=np.float32)
        if query.user == 0:
            scores[0] = 100.0
        return scores

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {}

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        return cls()


def _models(version: str = "v1", users: tuple[str, ...] = ("u_known",)) -> ServingModels:
    return ServingModels(version, _Scripted(), None, ITEMS, users)


def _cohort(profiles: list[Profile], held: list[set[str]], ids: list[str | None]) -> Cohort:
    return Cohort("replayed", tuple(frozenset(h) for h in held), tuple(profiles), tuple(ids))


def test_rankings_leave_out_the_history_and_use_a_trained_users_representation() -> None:
    seen = Profile(history=(("5", 5.0), ("4", 1.0)), seen=("5", "4"))
    cohort = _cohort([seen, seen], [{"1"}, {"1"}], [None, "u_known"])
    assert rankings(_models(), cohort, k=2) == [["3", "2"], ["1", "3"]]
    assert rankings(_models(), history_only(cohort), k=2) == [["3", "2"], ["3", "2"]]


def test_measure_gives_per_user_ndcg_and_who_the_version_was_trained_on() -> None:
    cohort = _cohort([Profile(), Profile()], [{"5"}, {"1"}], [None, "u_known"])
    m = measure(_models(), cohort, k=1)
    assert m["per_user_ndcg"] == [1.0, 1.0] and m["hit_rate@1"] == 1.0 and m["trained_on_users"] == 1
    cold = measure(_models(), cold_cohort([ReplayUser("7", (), frozenset({"1"}))]), k=1)
    assert cold["per_user_ndcg"] == [0.0] and cold["trained_on_users"] == 0


def test_control_profiles_are_what_replaying_the_same_ratings_stores(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    store.migrate()
    store.upsert_items([{"item_id": i, "title": f"Film {i} (1995)"} for i in ITEMS])
    user = ReplayUser("9", (ReplayEvent("1", 4.5, 1), ReplayEvent("2", 1.0, 2), ReplayEvent("3", 3.5, 3)),
                      frozenset({"4"}), sender="replay-x-9")
    uid = pseudonymous_id(rest_user_key(user.sender), "s")
    store.add_feedback(user_id=uid, item_id="3", kind=fb.CLICK)  # a shown item, opened before it was rated
    store.add_feedback(user_id=uid, item_id="1", kind=fb.LIKE)
    store.add_feedback(user_id=uid, item_id="2", kind=fb.DISLIKE)
    store.add_feedback(user_id=uid, item_id="3", kind=fb.RATING, value=3.5)
    stored = replayed_cohort(store, [user], "s", 4.0).profiles[0]
    planned = control_cohort([user], 4.0).profiles[0]
    assert dict(stored.history) == dict(planned.history) == {"1": 5.0, "2": 1.0, "3": 3.5}
    assert set(stored.seen) == set(planned.seen) and control_cohort([user], 4.0).user_ids == (None,)


def test_gains_average_each_user_over_the_seeds_before_the_standard_error() -> None:
    before = {"per_user_ndcg": [0.0, 0.0, 0.0, 0.0]}
    runs = [{"per_user_ndcg": [0.2, 0.0, 0.1, 0.1]}, {"per_user_ndcg": [0.0, 0.2, 0.1, 0.1]}]
    gain = seed_averaged_gain(runs, before)
    assert gain["mean"] == pytest.approx(0.1) and gain["se"] == 0.0 and gain["seeds"] == 2
    assert gain["per_seed"] == [pytest.approx(0.1), pytest.approx(0.1)]
    single = paired_difference(runs[0], before)
    assert single["se"] > 0 and single["better"] == 3 and single["worse"] == 0


def test_the_primary_run_goes_last_with_the_first_seed() -> None:
    runs = plan_runs([7, 8, 9])
    assert [(r.label, r.seed) for r in runs] == [(FULL, 8), (FULL, 9), (FULL, 7)]
    from recommender.config import Settings

    settings = Settings(retrain_params={"refit": False, "epochs": 60})
    assert settings_for(settings, runs[0]).retrain_params == {"refit": False, "epochs": 60, "seed": 8}
    assert settings.retrain_params == {"refit": False, "epochs": 60}  # untouched
    with pytest.raises(ValueError):
        plan_runs([])


def test_an_ablation_zeroes_the_named_blend_weights_of_a_copy() -> None:
    from recommender.models.blend import LinearBlend

    blend = LinearBlend(base_models=("popularity", "item_knn"))
    names = blend.feature_names()
    blend.coef = np.ones(len(names), dtype=np.float32)
    ablated = without_features(ServingModels("v", blend, None, ITEMS, ()), ABLATIONS["no_popularity"])
    assert ablated is not None and ablated.model is not blend and blend.coef.sum() == len(names)
    zeroed = {name for name, w in zip(names, ablated.model.coef, strict=True) if w == 0}  # type: ignore[attr-defined]
    assert "item_recent_popularity" in zeroed and "item_likes" in zeroed and "popularity:z" in zeroed
    assert not zeroed & {"item_knn:z", "item_mean_rating", "user_genres*item_genres"}
    only_recent = without_features(ServingModels("v", blend, None, ITEMS, ()), ABLATIONS["no_recent_popularity"])
    assert {n for n, w in zip(names, only_recent.model.coef, strict=True) if w == 0} == {  # type: ignore[union-attr]
        "item_recent_popularity"}
    assert without_features(_models(), ABLATIONS["no_popularity"]) is None  # not a blend


def test_every_run_but_the_last_is_withdrawn_after_it_is_measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from recommender.config import Settings
    from recommender.jobs import retrain as retrain_job

    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    store.migrate()
    store.add_model_version(version="v0", status="published", path="/v0", trained_on_events=1, last_event_id=1,
                            train_seconds=1.0, metrics={}, reason="first")
    judged_against: list[str | None] = []

    class _Outcome:
        def __init__(self, version: str) -> None:
            self.status, self.version, self.reason = "published", version, "ok"

        def as_dict(self) -> dict[str, Any]:
            return {"status": self.status, "version": self.version, "reason": self.reason}

    def fake_retrain(store_: Store, settings: Settings, *, force: bool = False) -> _Outcome:
        published = store_.latest_published_version()
        judged_against.append(published.version if published else None)
        version = f"v{len(judged_against)}-seed{settings.retrain_params['seed']}"
        store_.add_model_version(version=version, status="published", path=f"/{version}", trained_on_events=1,
                                 last_event_id=1, train_seconds=1.0, metrics={}, reason="ok")
        return _Outcome(version)

    monkeypatch.setattr(retrain_job, "retrain", fake_retrain)
    monkeypatch.setattr(replay_proof, "load_named", lambda store_, version: _models(version))
    records = run_retrains(store, Settings(), plan_runs([1, 2]),
                           lambda models: {"replayed": {"version": models.version}})
    assert judged_against == ["v0", "v0"]  # each run judged against the version before the replay
    assert [r["seed"] for r in records] == [2, 1] and records[-1]["primary"]
    assert store.latest_published_version().version == records[-1]["version"]  # type: ignore[union-attr]
    assert records[0]["measured"] == {"replayed": {"version": records[0]["version"]}}


def test_summary_separates_the_cohort_and_the_ablation() -> None:
    def both(replayed: list[float], control: list[float]) -> dict[str, Any]:
        return {"replayed": {"per_user_ndcg": replayed}, "control": {"per_user_ndcg": control}}

    before = {**both([0.0, 0.0], [0.0, 0.0]), "ablations": {"no_popularity": both([0.0, 0.0], [0.0, 0.0])}}
    runs = [{"label": FULL, "seed": s, "measured": {**both([0.2, 0.2], [0.1, 0.1]),
                                                    "replayed_history_only": {"per_user_ndcg": [0.2, 0.1]},
                                                    "ablations": {"no_popularity": both([0.15, 0.15], [0.0, 0.0])}}}
            for s in (1, 2)]
    summary = summarise(before, runs)
    assert summary[FULL]["replayed"]["mean"] == pytest.approx(0.2) and summary[FULL]["replayed"]["seeds"] == 2
    assert summary[FULL]["replayed_beyond_control"]["mean"] == pytest.approx(0.1)
    assert summary[FULL]["trained_representation"]["mean"] == pytest.approx(0.05)
    assert "trained_representation" not in summary["no_popularity"]
    assert summary["no_popularity"]["replayed"]["mean"] == pytest.approx(0.15)
    assert summary["no_popularity"]["replayed_beyond_control"]["mean"] == pytest.approx(0.15)
    assert summary[f"{FULL} - no_popularity"]["replayed"]["mean"] == pytest.approx(0.05)
    assert summary[f"{FULL} - no_popularity"]["control"]["mean"] == pytest.approx(0.1)
    assert summarise(before, [{"label": FULL, "seed": 1, "status": "rejected"}]) == {}
