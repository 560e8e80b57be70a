"""Benchmark: fit time of every registered model on MovieLens 100K, and the latency of one request.

Not a test: run it on a quiet machine, read the numbers, commit benchmarks/results/models.{json,md}.

    .venv/bin/python benchmarks/models_bench.py [--models a,b] [--requests 500]

Each model is fitted once on all 100,000 ratings with its registry defaults (the hyper-parameters
evaluation chose on validation). A request is what serving does for one user: score the full
catalog for the user's history, exclude the history, take the top 10. Requests are timed for
random training users (with their index) and again as history-only queries (a conversational
user never trained on). BLAS runs single-threaded during requests, as serving should; model
fitting uses the machine's default threads. Targets from the issue: all models fitted in <= 60 s
in total on 2 cores, and a request <= 20 ms at p95 (without the LLM).

A model that caches derived data on disk (the content model's item embeddings) is also fitted
once against an empty cache, so the cold cost (first run, or a changed catalog) is visible.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable as a plain script from anywhere

from recommender.config import get_settings
from recommender.eval.datasets import load_dataset
from recommender.eval.evaluate import seed_everything
from recommender.models.base import Query
from recommender.models.common import user_histories
from recommender.models.registry import available_specs

FIT_BUDGET_S = 60.0
P95_BUDGET_MS = 20.0


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {"p50": round(float(np.percentile(ms, 50)), 3), "p95": round(float(np.percentile(ms, 95)), 3),
            "max": round(float(ms.max()), 3)}


def bench(models: list[str] | None, n_requests: int, seed: int) -> dict[str, Any]:
    """Fit and time every available model; returns the JSON-able results."""
    data = load_dataset("ml-100k", get_settings())
    histories = user_histories(data)
    rng = np.random.default_rng(seed)
    users = rng.choice(data.n_users, size=min(n_requests, data.n_users), replace=False)
    specs, unavailable = available_specs(models)
    results: dict[str, Any] = {}
    for spec in specs:
        entry: dict[str, Any] = {"params": spec.params()}
        with tempfile.TemporaryDirectory() as cache:
            overrides: dict[str, Any] = {}
            if "cache_dir" in inspect.signature(spec.load_class()).parameters:
                # first fit against an empty cache (cold), then the timed fit finds it filled (warm)
                overrides = {"cache_dir": cache}
                seed_everything(seed)
                start = time.perf_counter()
                spec.build(overrides, seed=seed).fit(data)
                entry["fit_seconds_cold_cache"] = round(time.perf_counter() - start, 3)
            seed_everything(seed)
            model = spec.build(overrides, seed=seed)
            start = time.perf_counter()
            model.fit(data)
            entry["fit_seconds"] = round(time.perf_counter() - start, 3)
        known: list[float] = []
        history_only: list[float] = []
        with threadpool_limits(limits=1, user_api="blas"):
            for user in users.tolist():
                items, weights = histories[user]
                for query, sink in ((Query(items, weights, user), known), (Query(items, weights), history_only)):
                    start = time.perf_counter()
                    model.recommend(query, 10, exclude=items)
                    sink.append(time.perf_counter() - start)
        entry["request_ms"] = _percentiles(known)
        entry["history_only_request_ms"] = _percentiles(history_only)
        results[spec.name] = entry
        print(f"{spec.name}: fit {entry['fit_seconds']} s, request p95 {entry['request_ms']['p95']} ms",
              file=sys.stderr)
    total_fit = round(sum(r["fit_seconds"] for r in results.values()), 3)
    total_cold = round(sum(r.get("fit_seconds_cold_cache", r["fit_seconds"]) for r in results.values()), 3)
    worst_p95 = max((max(r["request_ms"]["p95"], r["history_only_request_ms"]["p95"]) for r in results.values()),
                    default=0.0)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "dataset": "ml-100k",
        "interactions": len(data),
        "items": data.n_items,
        "requests_per_model": len(users),
        "models": results,
        "unavailable": unavailable,
        "total_fit_seconds": total_fit,
        "total_fit_seconds_cold_cache": total_cold,
        "targets": {
            "total_fit_seconds_max": FIT_BUDGET_S, "total_fit_met": total_cold <= FIT_BUDGET_S,
            "request_p95_ms_max": P95_BUDGET_MS, "request_p95_met": worst_p95 <= P95_BUDGET_MS,
        },
        "environment": {
            "python": platform.python_version(), "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in load] if load else None,
            "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        },
    }


def markdown(report: dict[str, Any]) -> str:
    """The results as a Markdown table with the targets."""
    t = report["targets"]
    lines = [
        "# Model benchmark: MovieLens 100K",
        "",
        (
            f"Run `python benchmarks/models_bench.py` ({report['environment']['cpus']} CPUs, load average at the "
            f"end {report['environment']['load_average_at_end']}, {report['environment']['date_utc']} UTC). "
            f"Fit: once on all {report['interactions']} ratings. Request: score {report['items']} items, exclude "
            f"the history, top 10; {report['requests_per_model']} random users; BLAS single-threaded."
        ),
        "",
        "| model | fit s | fit s, cold cache | request p50 ms | request p95 ms | history-only p50 ms | history-only p95 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in report["models"].items():
        cold = r.get("fit_seconds_cold_cache", "-")
        lines.append(
            f"| {name} | {r['fit_seconds']} | {cold} | {r['request_ms']['p50']} | {r['request_ms']['p95']} | "
            f"{r['history_only_request_ms']['p50']} | {r['history_only_request_ms']['p95']} |"
        )
    lines += [
        "",
        (
            f"- Total fit time: {report['total_fit_seconds']} s with warm caches, "
            f"{report['total_fit_seconds_cold_cache']} s cold (target <= {t['total_fit_seconds_max']} s, "
            f"judged on the cold total: {'met' if t['total_fit_met'] else 'NOT met'})."
        ),
        f"- Worst request p95: target <= {t['request_p95_ms_max']} ms: {'met' if t['request_p95_met'] else 'NOT met'}.",
    ]
    if report["unavailable"]:
        lines.append("- Not benchmarked (module not available): " + ", ".join(report["unavailable"]) + ".")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Parse arguments, run, write benchmarks/results/models.{json,md}."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=None, help="comma-separated model names (default: all registered)")
    parser.add_argument("--requests", type=int, default=500, help="timed requests per model and query kind")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"), help="folder for models.json/.md")
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    report = bench(models, args.requests, args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "models.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "models.md").write_text(markdown(report))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
