"""Running the ReDial benchmark: Recall@k of one ranker (`evaluate_ranker`), every ranker on the
test slice after tuning on the validation slice (`run_benchmark`), with the published numbers
beside them, and the `evaluate --dataset redial` command that builds, runs and writes it all.
"""

from __future__ import annotations

import json
import sys
import time
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from recommender.eval.redial.dialogue import dialogue_ranker
from recommender.eval.redial.models import RedialModels, build_models
from recommender.eval.redial.rankers import (
    combined_ranker,
    item_knn_ranker,
    popularity_ranker,
    service_rank_ranker,
    text_ranker,
    tune_weights,
)
from recommender.eval.redial.report import write_report
from recommender.eval.redial.samples import KS, VALIDATION_MODULUS, Ranker, RedialSample, load_samples

# Published ReDial test Recall@1/10/50 (their catalog: ReDial's movies; all mentions counted).
PUBLISHED: dict[str, dict[str, float | None]] = {
    "KBRD (Chen et al., 2019)": {"recall@1": 0.028, "recall@10": 0.169, "recall@50": 0.366},
    "UniCRS (Wang et al., 2022)": {"recall@1": 0.050, "recall@10": 0.215, "recall@50": 0.413},
    "GPT-4 zero-shot (He et al., 2023)": {"recall@1": 0.050, "recall@10": 0.201, "recall@50": None},
}


def recall_at_k(rankings: Sequence[Sequence[str]], targets: Sequence[str], k: int) -> float:
    """Share of samples whose target is among the first k ids of its ranking."""
    if not targets:
        return 0.0
    return sum(1 for ranked, target in zip(rankings, targets, strict=True) if target in ranked[:k]) / len(targets)


def evaluate_ranker(
    ranker: Ranker, samples: Sequence[RedialSample], *, desc: str = "", progress: bool = True
) -> dict[str, Any]:
    """Recall@1/10/50 of one ranker; mentioned items are removed from its list before cutting."""
    rankings: list[list[str]] = []
    started = time.perf_counter()
    for sample in tqdm(samples, desc=desc, disable=not progress, file=sys.stderr, leave=False, unit="turn"):
        seen = set(sample.context.mentioned)
        rankings.append([i for i in ranker(sample.context) if i not in seen][: max(KS)])
    seconds = time.perf_counter() - started
    targets = [s.target for s in samples]
    return {
        **{f"recall@{k}": round(recall_at_k(rankings, targets, k), 4) for k in KS},
        "samples": len(samples),
        "ms_per_turn": round(1000 * seconds / max(len(samples), 1), 2),
    }


def run_benchmark(
    models: RedialModels, samples: Sequence[RedialSample], *, progress: bool = True,
    extra: Mapping[str, Ranker] | None = None,
) -> dict[str, Any]:
    """Tune the combination on the validation slice, then score every ranker on the test slice."""
    started = time.perf_counter()
    validation = [s for s in samples if s.validation]
    test = [s for s in samples if not s.validation]
    weights, grid = tune_weights(models, validation, progress=progress)
    rankers: dict[str, Ranker] = {
        "popularity": popularity_ranker(models),
        "item-knn (liked) + popularity": item_knn_ranker(models),
        "service rank() (kNN + content + popularity, disliked as negatives)": service_rank_ranker(models),
    }
    if models.bundle.text is not None:
        rankers["text query (seeker's words)"] = text_ranker(models)
        rankers["combined: item-knn + text + popularity"] = combined_ranker(models, weights)
    rankers.update(extra or {})
    results = {name: evaluate_ranker(r, test, desc=name[:24], progress=progress) for name, r in rankers.items()}
    return {
        "benchmark": "ReDial test split -> ml-latest-small",
        "protocol": "one sample per new movie a recommender message mentions that maps to ml-latest-small; "
        "input = seeker words + earlier mentions with the seeker's liked/disliked answers; ranking over all "
        "ml-latest-small movies minus earlier mentions",
        "slices": {
            "validation": f"dialogues with crc32(conversationId) % {VALIDATION_MODULUS} == 0",
            "validation_samples": len(validation),
            "validation_dialogues": len({s.conversation_id for s in validation}),
            "test_samples": len(test),
            "test_dialogues": len({s.conversation_id for s in test}),
        },
        "catalog_items": len(models.item_ids),
        "text_scorer": models.bundle.text is not None,
        "enriched_items": int(models.bundle.text.enriched.sum()) if models.bundle.text is not None else 0,
        "chosen_weights": weights.__dict__.copy(),
        "weight_grid_validation": grid,
        "rankers": results,
        "published": PUBLISHED,
        "dialogue_ranker": "not wired: recommender.dialogue is absent" if "dialogue service" not in results
        else "wired: seeker words -> recommender.dialogue understand/reduce -> plan_query -> ranking.rank",
        "seconds": round(time.perf_counter() - started, 1),
    }


def run_command(args: Any) -> int:
    """`python -m recommender evaluate --dataset redial`: build, benchmark, write docs/evaluation/redial.*.

    --quick scores every 10th dialogue of each slice (a smoke run; its report goes to --out too).
    """
    import os
    import platform
    from datetime import UTC, datetime

    from recommender.commands.common import settings_from

    settings = settings_from(args)
    progress = not args.no_progress
    started = time.perf_counter()
    samples = load_samples(settings.shared_data_dir / "redial")
    if args.quick:
        samples = [s for s in samples if zlib.crc32(s.conversation_id.encode()) % 50 < 5]
    models = build_models(settings)
    extra = {}
    hooked = dialogue_ranker(models)
    if hooked is not None:
        extra["dialogue service"] = hooked
    report = run_benchmark(models, samples, progress=progress, extra=extra)
    report["quick"] = bool(args.quick)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["environment"] = {
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
    }
    command = "python -m recommender evaluate --dataset redial" + (" --quick" if args.quick else "")
    stem = "redial-quick" if args.quick else "redial"  # a smoke run never overwrites the real report
    report["written"] = {k: str(p) for k, p in write_report(report, Path(args.out), command, stem).items()}
    print(json.dumps({k: report[k] for k in ("rankers", "chosen_weights", "slices", "seconds", "written")}))
    return 0
