"""Does a retrain learn from the replayed chat feedback? Several seeds and an ablation, each against the
version that served before the retrain, on the same users.

After the replay, the real retrain job (`recommender.jobs.retrain.retrain`, `force=True`) runs
once per planned run: the serving configuration with each seed, and (`ablation`) the same with
the blend's recent-popularity feature switched off through its parameters. Every run is trained
on the same log and judged by the job against the same published version: a run that the job
published is measured and then withdrawn (`Store.withdraw_model_version`, what `rollback` does),
so the version before the replay serves again for the next run. The primary run (the serving
configuration, first seed) goes last and stays published.

Gains are measured by `recommender.eval.replay_measure` on two cohorts: the replayed users and a
control cohort whose feedback was never sent. The control cohort's gain is what the retrain
learned about the population (the replayed users' shared tastes, their popularity); the
replayed cohort's gain beyond it is what it learned from each user's own feedback.

The caller holds the worker's "retrain" lease around `run_retrains` (the command does), so no
scheduled retrain runs between the planned ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recommender.config import Settings
from recommender.eval.replay_measure import difference_of_gains, seed_averaged, seed_averaged_gain
from recommender.store.repository import Store
from recommender.training.artifacts import ServingModels, load_version

logger = logging.getLogger(__name__)

FULL = "full"
# A window far shorter than the blend's time bins (>= 1 day): `item_recent_popularity` is 0 for every
# item and user, so the feature is constant and carries no weight. Only `LinearBlend` reads it.
ABLATIONS: Mapping[str, Mapping[str, Any]] = {"no_recent_popularity": {"recent_days": 1e-6}}


@dataclass(frozen=True)
class PlannedRun:
    """One retrain: its label (`FULL` or an ablation), the model seed and the parameter overrides."""

    label: str
    seed: int
    params: Mapping[str, Any] = field(default_factory=dict)


def plan_runs(seeds: Sequence[int], ablation: bool) -> list[PlannedRun]:
    """Every (label, seed) run, the primary one (serving configuration, first seed) last."""
    if not seeds:
        raise ValueError("at least one seed is needed")
    runs = [PlannedRun(FULL, s) for s in seeds[1:]]
    if ablation:
        runs = [PlannedRun(name, s, params) for name, params in ABLATIONS.items() for s in seeds] + runs
    return [*runs, PlannedRun(FULL, seeds[0])]


def settings_for(settings: Settings, run: PlannedRun) -> Settings:
    """The retrain settings of one run: the configured parameters, the run's overrides and seed."""
    return settings.model_copy(update={"retrain_params": {**settings.retrain_params, **run.params, "seed": run.seed}})


def load_named(store: Store, version: str) -> ServingModels:
    """A version's files by its name (published or rejected), through its `model_versions` row."""
    for row in store.model_versions(limit=200):
        if row.version == version:
            return load_version(Path(row.path))
    raise LookupError(f"no model version {version!r}")


def run_retrains(
    store: Store,
    settings: Settings,
    runs: Sequence[PlannedRun],
    measure: Callable[[ServingModels], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Retrain once per run (the last one stays published), measure each version; one record per run."""
    from recommender.jobs.retrain import retrain

    records = []
    for n, run in enumerate(runs):
        outcome = retrain(store, settings_for(settings, run), force=True)
        logger.info("replay proof: %s seed %d: %s %s (%s)", run.label, run.seed, outcome.status, outcome.version,
                    outcome.reason)
        record: dict[str, Any] = {"label": run.label, "seed": run.seed, "params": dict(run.params),
                                  "primary": n == len(runs) - 1, **outcome.as_dict()}
        if outcome.version:
            record["measured"] = measure(load_named(store, outcome.version))
            if n < len(runs) - 1 and outcome.status == "published":
                store.withdraw_model_version(outcome.version, "replay proof: measured, withdrawn so that the next "
                                             "planned retrain is judged against the same published version")
        records.append(record)
    return records


def summarise(before: Mapping[str, Mapping[str, Any]], records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Per label: each cohort's seed-averaged gain over `before` (the version before the retrain,
    per cohort), the replayed users' gain beyond the control cohort's, and the full runs minus
    each ablation on the replayed users."""
    out: dict[str, Any] = {}
    labels = dict.fromkeys(r["label"] for r in records)
    for label in labels:
        measured = [r["measured"] for r in records if r["label"] == label and "measured" in r]
        gains = {cohort: seed_averaged_gain([m[cohort] for m in measured], before[cohort])
                 for cohort in before if measured and cohort in measured[0]}
        if "replayed" in gains and "control" in gains and gains["control"]:
            gains["replayed_beyond_control"] = difference_of_gains(gains["replayed"], gains["control"])
        out[label] = gains
    full = {r["seed"]: r["measured"] for r in records if r["label"] == FULL and "measured" in r}
    for label in labels:
        pairs = [(full[r["seed"]]["replayed"], r["measured"]["replayed"]) for r in records
                 if label != FULL and r["label"] == label and r["seed"] in full and "measured" in r]
        if pairs:
            out[f"{FULL} - {label}"] = {"replayed": seed_averaged(pairs)}
    return out
