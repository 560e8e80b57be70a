"""Does a retrain learn from the replayed chat feedback? Several seeds, a control cohort and ablations.

After the replay, the real retrain job (`recommender.jobs.retrain.retrain`, `force=True`) runs
once per seed in the serving configuration. Every run is trained on the same log and judged by
the job against the same published version: a run that the job published is measured and then
withdrawn (`Store.withdraw_model_version`, what `rollback` does), so the version before the
replay serves again for the next run. The primary run (first seed) goes last and stays published.

Each version, and the version before, is measured by `recommender.eval.replay_measure` on two
cohorts: the replayed users and a control cohort whose feedback was never sent. The control
cohort's gain is what the retrain learned about the population (the replayed users' shared
tastes, their popularity); the replayed cohort's gain beyond it is what it learned from each
user's own feedback. The replayed users are also scored by each retrained version from their
history alone (as if it had not been trained on them): the paired difference is what the
trained representation of a user adds.

Ablations (`ABLATIONS`) measure the same versions with the blend's weights of some features set
to 0 (`replay_measure.without_features`), the version before included: the gain left is the gain
that does not flow through those features. The blend has no parameter that leaves a feature out
of training (its `recent_days` cannot: a user the model was not trained on is ranked at the end
of the log, which lies on a time-bin edge, so their "recent" window holds the whole last bin
whatever `recent_days` says), hence weights zeroed at measuring time rather than retrains.

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
# Blend features whose weight an ablation sets to 0 (a name ending in ":" covers that base model's features).
# - recent popularity: events per item shortly before the user's last event;
# - popularity: every feature that counts users or events per item (overall, recent, per kind: in a
#   log where only chat users like or click, the like/click counts are the chat cohort's popularity),
#   its crosses with the user, and the popularity base model.
ABLATIONS: Mapping[str, tuple[str, ...]] = {
    "no_recent_popularity": ("item_recent_popularity",),
    "no_popularity": (
        "item_popularity", "item_recent_popularity", "item_clicks", "item_likes", "item_bookmarks",
        "user_activity*item_popularity", "user_clicks*item_clicks", "user_likes*item_likes",
        "user_bookmarks*item_bookmarks", "popularity:",
    ),
}


@dataclass(frozen=True)
class PlannedRun:
    """One retrain: its label, the model seed and parameter overrides of the configured ones."""

    label: str
    seed: int
    params: Mapping[str, Any] = field(default_factory=dict)


def plan_runs(seeds: Sequence[int]) -> list[PlannedRun]:
    """One serving-configuration run per seed, the primary one (the first seed) last."""
    if not seeds:
        raise ValueError("at least one seed is needed")
    return [*(PlannedRun(FULL, s) for s in seeds[1:]), PlannedRun(FULL, seeds[0])]


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


def summarise(before: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The gains of the runs over the version before the retrain, per variant and cohort.

    `before` and each record's "measured" hold a measurement per cohort ("replayed", "control")
    and, under "ablations", the same per ablation. Per variant (`FULL`, then each ablation): each
    cohort's seed-averaged gain, the replayed users' gain beyond the control cohort's; and per
    ablation, `FULL` minus it on the same retrained versions and users.
    """
    measured = [r["measured"] for r in records if r.get("measured")]
    if not measured:
        return {}

    def variant(m: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        return m if name == FULL else m.get("ablations", {}).get(name, {})

    out: dict[str, Any] = {}
    for name in (FULL, *before.get("ablations", {})):
        base = variant(before, name)
        gains = {cohort: seed_averaged_gain([variant(m, name)[cohort] for m in measured], base[cohort])
                 for cohort in ("replayed", "control") if cohort in base}
        if gains.get("replayed") and gains.get("control"):
            gains["replayed_beyond_control"] = difference_of_gains(gains["replayed"], gains["control"])
        if name == FULL and all("replayed_history_only" in m for m in measured):
            # the same users and versions, scored without their trained representation: what being
            # trained on adds for a user beyond their history (paired, so far less noisy than the control)
            gains["trained_representation"] = seed_averaged(
                [(m["replayed"], m["replayed_history_only"]) for m in measured])
        out[name] = gains
        if name != FULL:
            out[f"{FULL} - {name}"] = {cohort: seed_averaged([(m[cohort], variant(m, name)[cohort]) for m in measured])
                                       for cohort in ("replayed", "control") if cohort in base}
    return out
