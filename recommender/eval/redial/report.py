"""The ReDial report: docs/evaluation/redial.md (`markdown`), the Recall@k chart (`plot`) and
the three files written together (`write_report`) from the dict `run_benchmark` returns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from recommender.eval.redial.samples import KS


def markdown(report: Mapping[str, Any], command: str) -> str:
    """docs/evaluation/redial.md."""
    s = report["slices"]
    lines = [
        "# ReDial benchmark (ml-latest-small catalog)",
        "",
        (f"Command: `{command}` ({report['seconds']:.0f} s on this machine, "
        f"{report.get('environment', {}).get('cpus', '?')} CPUs)."),
        "",
        (f"Test slice: {s['test_samples']:,} suggestions in {s['test_dialogues']:,} dialogues; validation slice "
        f"({s['validation']}): {s['validation_samples']:,} suggestions in {s['validation_dialogues']:,} dialogues, "
        "used only to choose the combination's weights."),
        "",
        "| ranker | Recall@1 | Recall@10 | Recall@50 | ms / turn |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in report["rankers"].items():
        lines.append(f"| {name} | {r['recall@1']:.3f} | {r['recall@10']:.3f} | {r['recall@50']:.3f} | "
                     f"{r['ms_per_turn']:.1f} |")
    for name, r in report["published"].items():
        cells = [f"{r[k]:.3f}" if r.get(k) is not None else "n/a" for k in ("recall@1", "recall@10", "recall@50")]
        lines.append(f"| *published:* {name} | {' | '.join(cells)} | |")
    w = report["chosen_weights"]
    lines += [
        "",
        (f"Combination weights (validation Recall@10, then @50): item-kNN {w['knn']}, text {w['text']}, "
        f"popularity {w['popularity']}. Text scorer: {report['enriched_items']:,} of {report['catalog_items']:,} "
        "items enriched from TMDB 5000, the rest embedded from title + genres (+ tags)."),
        "",
        "## Protocol",
        "",
        report["protocol"] + ".",
        "",
        ("Caveats against the published rows: they rank ReDial's own 6,924 movies and count every recommender "
        "mention (repeats included); here the catalog is ml-latest-small's 9,742 movies, only suggestions that "
        "map to it by title and year are scored (earlier mentions excluded), and liked/disliked come from the "
        "questionnaire filled in after the dialogue (the published models read sentiment from the text)."),
        "",
        f"Dialogue-service ranker: {report['dialogue_ranker']}.",
        "",
    ]
    return "\n".join(lines)


def plot(report: Mapping[str, Any], path: Path) -> None:
    """Grouped bars of Recall@1/10/50 per ranker, published rows included."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from recommender.eval.report import save_figure

    rows = {**report["rankers"], **{f"published: {n}": r for n, r in report["published"].items()}}
    names = list(rows)
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for offset, k in zip((-0.27, 0.0, 0.27), KS, strict=True):
        ax.bar(x + offset, [rows[n].get(f"recall@{k}") or 0.0 for n in names], width=0.27, label=f"Recall@{k}")
    ax.set_xticks(x, [n if len(n) < 28 else n[:26] + "..." for n in names], rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("recall")
    ax.set_title("ReDial test suggestions ranked over ml-latest-small")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def write_report(report: dict[str, Any], out: Path, command: str, stem: str = "redial") -> dict[str, Path]:
    """<stem>.json, .md and .png under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {kind: out / f"{stem}.{kind}" for kind in ("json", "md", "png")}
    paths["json"].write_text(json.dumps({**report, "command": command}, indent=2) + "\n", encoding="utf-8")
    paths["md"].write_text(markdown(report, command), encoding="utf-8")
    plot(report, paths["png"])
    return paths
