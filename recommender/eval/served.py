"""The served configuration, scored like the tuned models: what the retrain job publishes, on the test split.

The tuned rows of the evaluation are each model at its best validation point, refitted once on
train + validation. Users are served something else: the model the retrain job publishes, with
`retrain_model` / `retrain_params`, trained by the job's own procedure
(`training.retrain_fit`: hold-outs, warm start from the previous version, refit on every event
for serving) within its time budget. Here that procedure runs as a deployment would run it: a
chain of `steps` retrains over growing time prefixes of the training data, each adding
`step_share` of the events and continuing from the version before (the first starts cold), the
last on all of it. Its published model is then scored on the held-out users like every other row:
- validation: the chain on `train`, scored on the validation items (reported; nothing is chosen here);
- test: the chain on `train + validation`, scored once on the test items.

`seed_repeats` repeats the test comparison with other seeds: the served chain and the strong
baselines (BPR, SASRec at the point validation chose with the main seed) are fitted again with
each seed, and the served blend's NDCG@k over the best of them is reported per seed with a paired
bootstrap interval over the test users; `pooled` takes every seed at once (a user's seeds
resampled together), which one seed's luck moves less.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from recommender.eval.metrics import ndcg_gains, paired_ratio_interval
from recommender.eval.ranking import held_out_gains, rank_held_out, ranking_metrics, seed_everything
from recommender.eval.split import LeaveLastOutSplit
from recommender.models.base import PreferenceModel
from recommender.models.registry import get_spec
from recommender.training.retrain_fit import simulate_retrains

if TYPE_CHECKING:
    from recommender.config import Settings

SERVED = "blend (served)"
TARGET_RATIO = 1.15


class RunSettings(Protocol):
    """What of the evaluation's settings (`eval.evaluate.EvalConfig`) the served rows read."""

    @property
    def k(self) -> int:
        """The cut-off of every metric."""
        ...

    @property
    def seed(self) -> int:
        """The main seed."""
        ...

    @property
    def quick(self) -> bool:
        """Whether each model runs at its quick settings."""
        ...


@dataclass(frozen=True)
class ServedConfig:
    """The retrain job's model and parameters, and the simulated deployment it is scored after."""

    model: str = "blend"
    params: dict[str, Any] = field(default_factory=dict)
    steps: int = 10
    step_share: float = 0.02
    like_threshold: float = 4.0

    @classmethod
    def from_settings(cls, settings: Settings, *, steps: int = 10, step_share: float = 0.02) -> ServedConfig:
        """What `retrain_model` / `retrain_params` configure."""
        return cls(settings.retrain_model, dict(settings.retrain_params), steps, step_share, settings.like_threshold)

    def factory(self, seed: int, quick: bool) -> Callable[[], PreferenceModel]:
        """Builds the model the job trains (the job uses its fixed seed; the evaluation varies it)."""
        spec = get_spec(self.model)
        return lambda: spec.build(self.params, seed=seed, quick=quick)

    def describe(self) -> dict[str, Any]:
        """For the report's "chosen" column."""
        return {"retrain_model": self.model, "retrain_params": self.params, "simulated_retrains": self.steps,
                "share_of_events_per_retrain": self.step_share}


def fit_served(served: ServedConfig, data: Any, seed: int, quick: bool) -> tuple[PreferenceModel, dict[str, Any]]:
    """The model the last of the simulated retrains publishes, and how the chain went."""
    seed_everything(seed)
    started = time.perf_counter()
    chain = simulate_retrains(data, served.factory(seed, quick), steps=served.steps, step_share=served.step_share,
                              like_threshold=served.like_threshold)
    return chain.served, {"chain_seconds": round(time.perf_counter() - started, 1), "retrains": list(chain.steps)}


def served_validation(
    served: ServedConfig,
    split: LeaveLastOutSplit,
    histories_train: list[tuple[np.ndarray, np.ndarray]],
    seed: int,
    quick: bool,
    k: int,
) -> tuple[dict[str, float], dict[str, Any]]:
    """The chain on `train`, scored on the validation items (what a variant is chosen by), and how the chain went."""
    model, chain = fit_served(served, split.train, seed, quick)
    recommended, _ = rank_held_out(model, split.validation, histories_train, k)
    return ranking_metrics(recommended, split.validation.items, split.train.n_items, k), chain


def evaluate_served(
    served: ServedConfig,
    split: LeaveLastOutSplit,
    histories_train: list[tuple[np.ndarray, np.ndarray]],
    histories_train_valid: list[tuple[np.ndarray, np.ndarray]],
    cfg: RunSettings,
) -> dict[str, Any]:
    """The served configuration as one row of the report (same keys as a tuned model's)."""
    validation, _ = served_validation(served, split, histories_train, cfg.seed, cfg.quick, cfg.k)
    model, chain = fit_served(served, split.train_validation, cfg.seed, cfg.quick)
    recommended, seconds = rank_held_out(model, split.test, histories_train_valid, cfg.k)
    last = chain["retrains"][-1]
    result: dict[str, Any] = {
        "_test_gains": ndcg_gains(recommended, split.test.items, cfg.k),
        "params": served.params,
        "chosen_grid_point": served.describe(),
        "validation": validation,
        "test": ranking_metrics(recommended, split.test.items, split.train_validation.n_items, cfg.k),
        # what one retrain costs: the last one's candidate fit and refit for serving
        "fit_seconds": last.get("seconds"),
        "tune_seconds": None,
        "latency_ms": {
            "p50": round(float(np.percentile(seconds, 50)) * 1000, 3) if len(seconds) else None,
            "p95": round(float(np.percentile(seconds, 95)) * 1000, 3) if len(seconds) else None,
        },
        "grid": [],
        "chain": chain,
    }
    describe = getattr(model, "describe", None)
    if callable(describe):
        result["details"] = describe()
    sasrec = getattr(model, "models", {}).get("sasrec")
    if sasrec is not None:  # the served blend's sequential base on its own: how much is the warm start's doing
        recommended, _ = rank_held_out(sasrec, split.test, histories_train_valid, cfg.k)
        result["sasrec_base_test"] = ranking_metrics(recommended, split.test.items, split.train_validation.n_items,
                                                     cfg.k)
    return result


def compare(served_gains: np.ndarray, baselines: dict[str, np.ndarray], seed: int, k: int) -> dict[str, Any]:
    """The served NDCG@k over the best baseline's, with a paired bootstrap interval over the test users."""
    best = max(baselines, key=lambda name: float(baselines[name].mean()))
    served, baseline = float(served_gains.mean()), float(baselines[best].mean())
    ratio = served / baseline if baseline > 0 else None
    low, high = paired_ratio_interval(served_gains, baselines[best])
    return {
        "seed": seed, f"served_ndcg@{k}": round(served, 5), "baseline": best, f"baseline_ndcg@{k}": round(baseline, 5),
        "baselines": {name: round(float(g.mean()), 5) for name, g in baselines.items()},
        "ratio": round(ratio, 4) if ratio is not None else None, "ratio_95ci": [round(low, 4), round(high, 4)],
        "meets_1_15x": bool(ratio is not None and ratio >= TARGET_RATIO),
        "_gains": (served_gains, baselines[best]),  # per test user; for `pooled`, not in the report
    }


def pooled(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Every seed at once: each test user's NDCG@k summed over the seeds (the served blend's, and each
    seed's best baseline's); the ratio of the sums, with a bootstrap interval that resamples users,
    a user's seeds together. One seed's ratio moves by about 0.1 with the seed; this moves less."""
    gains = [row["_gains"] for row in rows if "_gains" in row]
    if not gains or len({len(served) for served, _ in gains}) != 1:
        return None
    served = np.sum([g for g, _ in gains], axis=0)
    baseline = np.sum([b for _, b in gains], axis=0)
    if baseline.mean() <= 0:
        return None
    ratio = float(served.mean() / baseline.mean())
    low, high = paired_ratio_interval(served, baseline)
    return {"seeds": [row["seed"] for row in rows], "ratio": round(ratio, 4),
            "ratio_95ci": [round(low, 4), round(high, 4)], "meets_1_15x": ratio >= TARGET_RATIO}


def seed_repeats(
    served: ServedConfig,
    split: LeaveLastOutSplit,
    histories_train_valid: list[tuple[np.ndarray, np.ndarray]],
    chosen: dict[str, dict[str, Any]],
    seeds: Sequence[int],
    cfg: RunSettings,
) -> list[dict[str, Any]]:
    """`compare` for each seed: the served chain and each baseline (at its `chosen` point) fitted anew."""
    rows = []
    for seed in seeds:
        baselines = {}
        for name, point in chosen.items():
            seed_everything(seed)
            model = get_spec(name).build(point, seed=seed, quick=cfg.quick).fit(split.train_validation)
            baselines[name] = held_out_gains(model, split.test, histories_train_valid, cfg.k)
        model, chain = fit_served(served, split.train_validation, seed, cfg.quick)
        row = compare(held_out_gains(model, split.test, histories_train_valid, cfg.k), baselines, seed, cfg.k)
        row["last_retrain_seconds"] = chain["retrains"][-1].get("seconds")
        rows.append(row)
    return rows


def markdown_section(report: dict[str, Any]) -> list[str]:
    """The report's "served configuration" section: against the best of BPR/SASRec, one row per seed."""
    rows = (report.get("comparisons") or {}).get("served_by_seed") or []
    served = report["models"].get(SERVED)
    if not rows or served is None:
        return []
    k = report["k"]
    chosen = served["chosen_grid_point"]
    lines = [
        "", "## The served configuration", "",
        (f"`{SERVED}` is what the retrain job publishes (`RECSYS_RETRAIN_MODEL={chosen['retrain_model']}`, "
         f"`RECSYS_RETRAIN_PARAMS={json.dumps(chosen['retrain_params'])}`), trained by the job's own procedure "
         f"after {chosen['simulated_retrains']} simulated retrains, each adding "
         f"{chosen['share_of_events_per_retrain']:.0%} of the training events and continuing from the version "
         "before (recommender/eval/served.py). Its row above is scored like the others (its fit s: the last "
         "simulated retrain, candidate and refit for serving); here it is compared with the best of BPR/SASRec "
         "(each at the point validation chose) in the same run, for several seeds."),
        "",
        (f"| seed | served NDCG@{k} | best baseline | baseline NDCG@{k} | ratio | paired bootstrap 95% interval | "
        ">= 1.15x | last retrain s |"),
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        low, high = row["ratio_95ci"]
        seconds = row.get("last_retrain_seconds")
        lines.append(f"| {row['seed']} | {row[f'served_ndcg@{k}']:.4f} | {row['baseline']} | "
                     f"{row[f'baseline_ndcg@{k}']:.4f} | {row['ratio']} | {low}-{high} | "
                     f"{'yes' if row['meets_1_15x'] else 'NO'} | {'-' if seconds is None else seconds} |")
    ratios = [row["ratio"] for row in rows if row["ratio"] is not None]
    if ratios:
        met = sum(row["meets_1_15x"] for row in rows)
        verdict = ("the served configuration meets the 1.15x target" if met == len(rows) else
                   "the served configuration does NOT meet the 1.15x target")
        lines += ["", (f"Mean ratio over {len(ratios)} seed(s): {sum(ratios) / len(ratios):.4f}; lowest "
                  f"{min(ratios):.4f}; 1.15x or more on {met} of {len(rows)}: {verdict}.")]
    together = (report.get("comparisons") or {}).get("served_pooled")
    if together:
        low, high = together["ratio_95ci"]
        lines += ["", (f"All {len(together['seeds'])} seeds together (each test user's NDCG@{k} summed over the seeds, "
                  f"the served blend's over each seed's best baseline's; a user's seeds resampled together): ratio "
                  f"{together['ratio']}, 95% interval {low}-{high}.")]
    base = served.get("sasrec_base_test")
    if base:
        lines += ["", (f"The served blend's SASRec base on its own (seed {report['seed']}): test NDCG@{k} "
                  f"{base[f'ndcg@{k}']:.4f}.")]
    return lines
