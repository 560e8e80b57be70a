"""Offline evaluation: every registered model on the same leave-last-out split, side by side.

Prints one JSON object to stdout and writes <out>/<dataset>.md, .png and .json (default
docs/evaluation/). Hyper-parameters are tuned on the validation split only; the test split
is scored once, after refitting on train+validation. Progress bars go to stderr.
"""

from __future__ import annotations

import argparse
import json

HELP = "evaluate every model offline (leave-last-out, full ranking) and write docs/evaluation/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--dataset, --models, --quick, --seed, --k, --out, --no-progress."""
    from recommender.config import PROJECT_ROOT
    from recommender.eval.datasets import DATASETS

    parser.add_argument("--dataset", choices=(*DATASETS, "redial"), default="ml-100k",
                        help="which data set (default ml-100k); redial: the conversational benchmark (eval/redial/)")
    parser.add_argument("--models", default=None, metavar="A,B,C",
                        help="comma-separated model names (default: every registered model)")
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run: 150 random users, each model's quick settings and grid")
    parser.add_argument("--seed", type=int, default=42, help="random seed for subsampling and training (default 42)")
    parser.add_argument("--k", type=int, default=10, help="cut-off of the ranking metrics (default 10)")
    parser.add_argument("--out", type=str, default=str(PROJECT_ROOT / "docs" / "evaluation"),
                        help="folder for the Markdown, PNG and JSON report (default docs/evaluation)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")


def run(args: argparse.Namespace) -> int:
    """Load the data, evaluate, write the report; exit code 1 when a model failed."""
    from pathlib import Path

    from recommender.commands.common import settings_from
    from recommender.eval.datasets import load_dataset
    from recommender.eval.evaluate import EvalConfig, run_evaluation
    from recommender.eval.report import write_report
    from recommender.models.registry import get_spec

    if args.dataset == "redial":
        from recommender.eval.redial import run_command

        return run_command(args)
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    for name in models or ():
        get_spec(name)  # unknown names fail before any work, with the list of known ones
    settings = settings_from(args)
    data = load_dataset(args.dataset, settings)
    cfg = EvalConfig(dataset=args.dataset, models=models, k=args.k, seed=args.seed, quick=args.quick,
                     progress=not args.no_progress)
    report = run_evaluation(data, cfg)
    report["written"] = {kind: str(path) for kind, path in write_report(report, Path(args.out)).items()}
    print(json.dumps(report))
    return 1 if report["failed"] else 0
