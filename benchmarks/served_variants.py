"""Benchmark: variants of the served configuration, each scored on the validation split only.

Not a test, and it never looks at the test split: this is how a change to `RECSYS_RETRAIN_PARAMS`
is chosen before `make evaluate` reports it on test. Each variant is merged into the served
parameters (`base_params` merged per base), run through the retrain job's procedure as the
evaluation runs it (`recommender.eval.served.served_validation`: ten simulated retrains over growing
time prefixes of the training split, each continuing from the one before), and its published
model is ranked for the validation users. The same as the validation column of the served row of
`make evaluate`, without the rest of the evaluation (about 2 minutes per variant and seed).

    .venv/bin/python benchmarks/served_variants.py '{}' '{"epochs": 400}' --seeds 42,43

Writes benchmarks/results/served_variants.{json,md} (the variants of the last run only), or
`<name>.{json,md}` with `--name` to keep one question's variants apart from another's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable as a plain script from anywhere

from benchmarks._provenance import commit_label, provenance
from recommender.config import get_settings
from recommender.eval.datasets import load_dataset
from recommender.eval.served import ServedConfig, served_validation
from recommender.eval.split import leave_last_out
from recommender.models.common import user_histories

RESULTS = Path(__file__).resolve().parent / "results"


def merged(served: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any]:
    """The served parameters with the variant's on top; `base_params` merged base by base."""
    params = {**served, **variant}
    if "base_params" in variant:
        params["base_params"] = {**served.get("base_params", {}), **variant["base_params"]}
    return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="+", help="JSON objects merged into the served retrain_params ('{}' = as served)")
    parser.add_argument("--seeds", default="42", help="comma-separated seeds (default 42)")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--name", default="served_variants", help="file name of the results (default served_variants)")
    args = parser.parse_args()
    variants = [json.loads(v) for v in args.variants]
    seeds = [int(s) for s in args.seeds.split(",")]
    settings = get_settings()
    served = dict(settings.retrain_params)
    split = leave_last_out(load_dataset(args.dataset, settings))
    histories = user_histories(split.train)
    rows = []
    for variant in variants:
        for seed in seeds:
            started = time.perf_counter()
            config = ServedConfig(model=settings.retrain_model, params=merged(served, variant))
            metrics, chain = served_validation(config, split, histories, seed, quick=False, k=10)
            rows.append({"variant": variant, "seed": seed, "validation_ndcg@10": round(metrics["ndcg@10"], 4),
                         "chain_s": round(time.perf_counter() - started, 1),
                         "last_retrain_s": chain["retrains"][-1].get("seconds")})
            print(json.dumps(rows[-1]), flush=True)
    report = {"dataset": args.dataset, "served_params": served, "provenance": provenance(), "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = ["# Served-configuration variants (validation NDCG@10 only)", "",
             (f"Served parameters: `{json.dumps(served)}`; commit {commit_label(report['provenance'])}, "
              f"{report['provenance'].get('date_utc', '')} UTC; times depend on the machine's load "
              f"({report['provenance'].get('load_average')})."), "",
             "| variant | seed | validation NDCG@10 | chain s | last retrain s |", "|---|---|---|---|---|"]
    lines += [f"| `{json.dumps(r['variant'])}` | {r['seed']} | {r['validation_ndcg@10']:.4f} | {r['chain_s']} | "
              f"{r['last_retrain_s']} |" for r in rows]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
