"""Train every registered preference model on a whole data set and save it for serving.

Unlike `evaluate`, nothing is held out: these are the models the service loads. Hyper-parameters
are the registry defaults: the points the validation split chose within the training-time budget
(every model in <= 60 s on two cores). `--params-from docs/evaluation/<dataset>.json` takes what
the last full `evaluate` run chose instead, which may include longer schedules (SASRec's grid
reaches 50 epochs so that the evaluation's baseline is tuned in full). Each model goes to
<out>/<name>/ (config.json + arrays.npz, no pickle), swapped in whole so a reader never sees a
half-written model; <out>/manifest.json lists the item ids the indices refer to.

The blend (fitted last) refits the same base models on the same data when `refit` is on; every
standalone model fitted here with exactly the parameters and seed the blend would use is handed
to it instead, so those models are trained once, not twice (the summary lists them per blend
under "reused_bases").
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from recommender.atomic import atomic_write_text

if TYPE_CHECKING:
    from recommender.models.base import PreferenceModel

HELP = "train every model on a whole data set and save it under var/models/<dataset>/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--dataset, --models, --out, --params-from, --seed."""
    from recommender.eval.datasets import DATASETS

    parser.add_argument("--dataset", choices=DATASETS, default="ml-100k", help="which data set (default ml-100k)")
    parser.add_argument("--models", default=None, metavar="A,B,C", help="comma-separated names (default: all)")
    parser.add_argument("--out", default=None, help="folder for the models (default <var>/models/<dataset>)")
    parser.add_argument("--params-from", default=None, metavar="JSON",
                        help="an evaluation report whose chosen parameters to use, e.g. "
                        "docs/evaluation/ml-100k.json (default: the registry defaults, which fit the "
                        "training-time budget)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")


def chosen_params(path_text: str | None, dataset: str) -> dict[str, dict[str, object]]:
    """{model: parameters} from a full (not --quick) evaluation report; {} for none or 'none'.

    A report given by path that does not exist or is a quick run is an error, not a silent
    fall-back to the defaults.
    """
    from pathlib import Path

    from recommender.errors import RecommenderError

    if path_text in (None, "none"):
        return {}
    path = Path(path_text)
    if not path.is_file():
        raise RecommenderError(f"--params-from: no evaluation report at {path}; run `python -m recommender "
                               f"evaluate --dataset {dataset}` first or leave the option out")
    report = json.loads(path.read_text())
    if report.get("quick"):
        raise RecommenderError(f"--params-from: {path} is a --quick evaluation (150 users, quick settings); "
                               "use a full report")
    return {name: dict(result["params"]) for name, result in report.get("models", {}).items()}


def run(args: argparse.Namespace) -> int:
    """Fit and save each model; print a JSON summary; exit code 1 when a model failed."""
    import os
    import shutil
    import sys
    import time
    from pathlib import Path

    from recommender.commands.common import settings_from
    from recommender.eval.datasets import load_dataset
    from recommender.eval.ranking import seed_everything
    from recommender.models.blend import LinearBlend
    from recommender.models.registry import available_specs, get_spec

    names = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    for name in names or ():
        get_spec(name)
    settings = settings_from(args)
    data = load_dataset(args.dataset, settings)
    out = Path(args.out) if args.out else settings.var_dir / "models" / args.dataset
    out.mkdir(parents=True, exist_ok=True)
    tuned = chosen_params(args.params_from, args.dataset)
    specs, unavailable = available_specs(names)
    trained: dict[str, dict[str, object]] = {}
    failed: dict[str, str] = {}
    fitted: dict[str, tuple[PreferenceModel, dict[str, Any]]] = {}
    total_seconds = 0.0
    for spec in specs:
        params = tuned.get(spec.name, spec.params())
        seed_everything(args.seed)
        try:
            model = spec.build(params, seed=args.seed)
            start = time.perf_counter()
            reusable = _reusable_bases(model, fitted)
            if isinstance(model, LinearBlend):
                model.fit(data, refitted=reusable)
            else:
                model.fit(data)
            seconds = time.perf_counter() - start
            staging = out / f".{spec.name}.new"
            shutil.rmtree(staging, ignore_errors=True)
            model.save(staging)
        except Exception as exc:
            failed[spec.name] = f"{type(exc).__name__}: {exc}"
            print(f"{spec.name}: failed: {exc}", file=sys.stderr)
            continue
        final, old = out / spec.name, out / f".{spec.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(staging, final)
        shutil.rmtree(old, ignore_errors=True)
        fitted[spec.name] = (model, {**params, "seed": args.seed})
        total_seconds += seconds
        trained[spec.name] = {
            "params": params, "fit_seconds": round(seconds, 3), "path": str(final),
            "tuned_on_validation": spec.name in tuned,
        }
        if reusable:
            trained[spec.name]["reused_bases"] = sorted(reusable)
        print(f"{spec.name}: {seconds:.2f} s -> {final}", file=sys.stderr)
    manifest = {
        "dataset": args.dataset,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "interactions": len(data),
        "item_ids": [item.item_id for item in data.items],
        "user_ids": data.user_ids,
        "models": trained,
    }
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1))
    summary = {"dataset": args.dataset, "out": str(out), "models": trained, "unavailable": unavailable,
               "failed": failed,
               "total_fit_seconds": round(total_seconds, 3)}
    print(json.dumps(summary))
    return 1 if failed else 0


def _reusable_bases(
    model: PreferenceModel, fitted: dict[str, tuple[PreferenceModel, dict[str, Any]]]
) -> dict[str, PreferenceModel]:
    """Standalone models fitted in this run that `model` (a refitting blend) would fit again identically."""
    from recommender.models.blend import LinearBlend

    if not isinstance(model, LinearBlend) or not model.refit:
        return {}
    return {name: fitted[name][0] for name in model.base_models
            if name in fitted and fitted[name][1] == model.base_build_params(name)}
