"""Offline evaluation of every registered model on one leave-last-out split, side by side.

Protocol (the same for every model, fixed seeds):
1. split by time: each user's last item is the test item, the one before it the validation item;
2. tune: for every point of the model's small grid, fit on `train` and rank the validation users;
   the point with the best validation NDCG@10 wins (the test items are never looked at);
3. refit on train + validation with the chosen point, then rank each test user's full catalog
   minus the items they interacted with in training (no sampled negatives) and take the top 10;
4. report HR@10, NDCG@10, MRR@10, catalog coverage@10, the refit time and p50/p95 latency of
   one request (score + exclusion + top-k for one user).
Sampled-negative protocols inflate numbers and can reorder models (Krichene & Rendle, 2020),
which is why the ranking is over the full catalog.

Requests are scored with BLAS limited to one thread. A single request is a tiny matrix-vector
product; on two shared cores a second BLAS thread only waits for a busy core (measured: p95 of
a 1682x384 product 8 ms with two threads, 0.03 ms with one), which is also how serving should run.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from tqdm import tqdm

from recommender.eval.datasets import describe, subsample_users
from recommender.eval.metrics import (
    ndcg_gains,
    paired_ratio_interval,
)
from recommender.eval.ranking import rank_held_out, ranking_metrics, seed_everything
from recommender.eval.served import SERVED, ServedConfig, compare, evaluate_served, pooled, seed_repeats
from recommender.eval.split import LeaveLastOutSplit, leave_last_out
from recommender.models.base import InteractionData, PreferenceModel
from recommender.models.common import user_histories
from recommender.models.registry import ModelSpec, available_specs

logger = logging.getLogger(__name__)

# The acceptance comparison of the issue: the blend against the strongest classic baselines.
BLEND = "blend"
STRONG_BASELINES: tuple[str, ...] = ("bpr", "sasrec")


@dataclass(frozen=True)
class EvalConfig:
    """What to run; `quick` uses `quick_users` random users and each model's quick settings."""

    dataset: str
    models: Sequence[str] | None = None
    k: int = 10
    seed: int = 42
    quick: bool = False
    quick_users: int = 150
    progress: bool = True
    # the retrain job's configuration, scored next to the tuned models (None: the settings' when the
    # blend is evaluated from the registry); `served_seeds`: the seeds its comparison is repeated
    # with (None: the main seed and the next four, only the main one in quick runs)
    served: ServedConfig | None = None
    served_seeds: tuple[int, ...] | None = None

    def seeds_for_served(self) -> tuple[int, ...]:
        """The main seed first, then the others."""
        if self.served_seeds is not None:
            return (self.seed, *[s for s in self.served_seeds if s != self.seed])
        return (self.seed,) if self.quick else tuple(range(self.seed, self.seed + 5))


def _fit(spec: ModelSpec, params: dict[str, Any], data: InteractionData, cfg: EvalConfig) -> tuple[PreferenceModel, float]:
    seed_everything(cfg.seed)
    model = spec.build(params, seed=cfg.seed, quick=cfg.quick)
    start = time.perf_counter()
    model.fit(data)
    return model, time.perf_counter() - start


def tune(
    spec: ModelSpec, split: LeaveLastOutSplit, histories: list[tuple[np.ndarray, np.ndarray]], cfg: EvalConfig
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Best grid point by validation NDCG@k (first in grid order on ties), and every point's scores."""
    key = f"ndcg@{cfg.k}"
    results: list[dict[str, Any]] = []
    space = spec.search_space(quick=cfg.quick)
    for n, point in enumerate(space, start=1):
        model, fit_seconds = _fit(spec, point, split.train, cfg)
        recommended, _ = rank_held_out(model, split.validation, histories, cfg.k, progress=cfg.progress,
                                       desc=f"{spec.name} validation {n}/{len(space)}")
        scores = ranking_metrics(recommended, split.validation.items, split.train.n_items, cfg.k)
        results.append({"params": point, **scores, "fit_seconds": round(fit_seconds, 3)})
        logger.info("%s %s: validation %s", spec.name, point, scores)
    best = max(range(len(results)), key=lambda i: (results[i][key], -i))
    return dict(space[best]), results


def evaluate_model(
    spec: ModelSpec,
    split: LeaveLastOutSplit,
    histories_train: list[tuple[np.ndarray, np.ndarray]],
    histories_train_valid: list[tuple[np.ndarray, np.ndarray]],
    cfg: EvalConfig,
) -> dict[str, Any]:
    """Tune on validation, refit on train+validation, score the test users once."""
    started = time.perf_counter()
    chosen, grid_results = tune(spec, split, histories_train, cfg)
    tune_seconds = time.perf_counter() - started
    validation = next(r for r in grid_results if r["params"] == chosen)
    model, fit_seconds = _fit(spec, chosen, split.train_validation, cfg)
    recommended, seconds = rank_held_out(model, split.test, histories_train_valid, cfg.k, progress=cfg.progress,
                                         desc=f"{spec.name} test")
    result: dict[str, Any] = {
        "_test_gains": ndcg_gains(recommended, split.test.items, cfg.k),  # per user; not in the report
        "params": spec.params(chosen, quick=cfg.quick),
        "chosen_grid_point": chosen,
        "validation": {k: v for k, v in validation.items() if k not in ("params", "fit_seconds")},
        "test": ranking_metrics(recommended, split.test.items, split.train_validation.n_items, cfg.k),
        "fit_seconds": round(fit_seconds, 3),
        "tune_seconds": round(tune_seconds, 3),
        "latency_ms": {
            "p50": round(float(np.percentile(seconds, 50)) * 1000, 3) if len(seconds) else None,
            "p95": round(float(np.percentile(seconds, 95)) * 1000, 3) if len(seconds) else None,
        },
        "grid": grid_results,
    }
    describe_model = getattr(model, "describe", None)
    if callable(describe_model):
        result["details"] = describe_model()
    return result


def _comparisons(results: dict[str, dict[str, Any]], k: int) -> dict[str, Any]:
    """The blend's test NDCG@k over the best strong baseline and over the best single model."""
    key = f"ndcg@{k}"
    out: dict[str, Any] = {}
    if BLEND not in results:
        return out
    blend = results[BLEND]["test"][key]
    strong = {n: results[n]["test"][key] for n in STRONG_BASELINES if n in results}
    singles = {n: r["test"][key] for n, r in results.items() if n not in (BLEND, SERVED)}
    if strong:
        best = max(strong, key=lambda n: strong[n])
        ratio = blend / strong[best] if strong[best] > 0 else None
        low, high = paired_ratio_interval(results[BLEND]["_test_gains"], results[best]["_test_gains"])
        out["blend_vs_best_strong_baseline"] = {
            "baseline": best, f"baseline_{key}": strong[best], f"blend_{key}": blend,
            "ratio": round(ratio, 4) if ratio is not None else None,
            # paired bootstrap over the test users: how far the ratio moves with who is in the test set
            "ratio_95ci": [round(low, 4), round(high, 4)],
            "meets_1_15x": bool(ratio is not None and ratio >= 1.15),
        }
    if singles:
        best = max(singles, key=lambda n: singles[n])
        out["blend_vs_best_single_model"] = {
            "model": best, f"model_{key}": singles[best], f"blend_{key}": blend,
            "ratio": round(blend / singles[best], 4) if singles[best] > 0 else None,
        }
    return out


def _served_by_seed(
    served: ServedConfig | None,
    results: dict[str, dict[str, Any]],
    split: LeaveLastOutSplit,
    histories_train_valid: list[tuple[np.ndarray, np.ndarray]],
    cfg: EvalConfig,
) -> list[dict[str, Any]]:
    """The served blend over the best strong baseline: this run's models first, then other seeds."""
    strong = {n: results[n] for n in STRONG_BASELINES if n in results}
    if served is None or not strong:
        return []
    rows = [compare(results[SERVED]["_test_gains"], {n: r["_test_gains"] for n, r in strong.items()}, cfg.seed, cfg.k)]
    rows[0]["last_retrain_seconds"] = results[SERVED]["fit_seconds"]
    others = cfg.seeds_for_served()[1:]
    chosen = {n: r["chosen_grid_point"] for n, r in strong.items()}
    return rows + seed_repeats(served, split, histories_train_valid, chosen, others, cfg)


def run_evaluation(
    data: InteractionData, cfg: EvalConfig, specs: Sequence[ModelSpec] | None = None
) -> dict[str, Any]:
    """Evaluate the configured models on `data`; returns the report (JSON-able).

    `specs` replaces the registry lookup (tests pass instrumented models this way).
    """
    started = time.perf_counter()
    if cfg.quick:
        data = subsample_users(data, cfg.quick_users, cfg.seed)
    split = leave_last_out(data)
    histories_train = user_histories(split.train)
    histories_train_valid = user_histories(split.train_validation)
    unavailable: dict[str, str] = {}
    specs_from_registry = specs is None
    if specs is None:
        specs, unavailable = available_specs(cfg.models)
    results: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    for spec in tqdm(specs, desc="models", disable=not cfg.progress, file=sys.stderr, unit="model"):
        try:
            results[spec.name] = evaluate_model(spec, split, histories_train, histories_train_valid, cfg)
        except Exception as exc:  # one broken model must not hide the others' results
            logger.error("model %s failed:\n%s", spec.name, traceback.format_exc())
            failed[spec.name] = f"{type(exc).__name__}: {exc}"
    served = cfg.served
    if served is None and specs_from_registry and BLEND in results:
        from recommender.config import Settings

        served = ServedConfig.from_settings(Settings())
    if served is not None:
        try:
            results[SERVED] = evaluate_served(served, split, histories_train, histories_train_valid, cfg)
        except Exception as exc:  # reported like any other failed model
            logger.error("the served configuration failed:\n%s", traceback.format_exc())
            failed[SERVED] = f"{type(exc).__name__}: {exc}"
    comparisons = _comparisons(results, cfg.k)
    if SERVED in results:
        by_seed = _served_by_seed(served, results, split, histories_train_valid, cfg)
        comparisons["served_pooled"] = pooled(by_seed)
        comparisons["served_by_seed"] = [{k: v for k, v in row.items() if k != "_gains"} for row in by_seed]
    for result in results.values():
        result.pop("_test_gains", None)
    return {
        "dataset": cfg.dataset,
        "quick": cfg.quick,
        "seed": cfg.seed,
        "k": cfg.k,
        "protocol": "leave-last-out by time; tuned on validation NDCG@k; refit on train+validation; "
        "full ranking over all items not in the user's training history",
        "data": describe(data),
        "split": {
            "train_interactions": len(split.train),
            "train_validation_interactions": len(split.train_validation),
            "validation_users": len(split.validation),
            "test_users": len(split.test),
        },
        "models": results,
        "comparisons": comparisons,
        "unavailable": unavailable,
        "failed": failed,
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            # fit times and latencies depend on what else the machine runs; say how busy it was
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
            "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
