"""Turn an evaluation report into a Markdown page and a bar chart, for docs/evaluation/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from recommender.atomic import atomic_file, atomic_write_text
from recommender.eval.served import markdown_section as served_section


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _params(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "-"


def markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown page: protocol, results table, comparisons, tuning, model details."""
    k = report["k"]
    data, split = report["data"], report["split"]
    lines = [
        f"# Offline evaluation: {report['dataset']}",
        "",
        f"Reproduce: `python -m recommender evaluate --dataset {report['dataset']}"
        + (" --quick" if report["quick"] else "") + "` "
        f"(seed {report['seed']}; {report['environment']['cpus']} CPUs, load average at the end "
        f"{report['environment'].get('load_average_at_end')}; {report['seconds']} s in all; "
        f"run {report['environment']['date_utc']} UTC).",
        "",
        f"Protocol: {report['protocol']}.",
        (
            f"Data: {data['users']} users, {data['items']} items, {data['interactions']} interactions "
            f"(density {data['density']}). Split: {split['train_interactions']} training interactions, "
            f"{split['validation_users']} validation users, {split['test_users']} test users."
        ),
        "",
        f"| model | HR@{k} | NDCG@{k} | MRR@{k} | coverage@{k} | validation NDCG@{k} | fit s | p50 ms | p95 ms | chosen on validation |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    models = report["models"]
    for name in sorted(models, key=lambda n: -models[n]["test"][f"ndcg@{k}"]):
        r = models[name]
        t = r["test"]
        lines.append(
            f"| {name} | {_cell(t[f'hr@{k}'])} | {_cell(t[f'ndcg@{k}'])} | {_cell(t[f'mrr@{k}'])} | "
            f"{_cell(t[f'coverage@{k}'])} | {_cell(r['validation'][f'ndcg@{k}'])} | {_cell(r['fit_seconds'])} | "
            f"{_cell(r['latency_ms']['p50'])} | {_cell(r['latency_ms']['p95'])} | {_params(r['chosen_grid_point'])} |"
        )
    lines.append("")
    lines.append(f"Fit s: refit on train+validation with the chosen parameters. Latency: one request "
                 f"(score the full catalog, exclude the history, take the top {k}) per test user.")
    comparisons = report.get("comparisons") or {}
    if comparisons:
        lines += ["", "## The blend against the baselines", ""]
        strong = comparisons.get("blend_vs_best_strong_baseline")
        if strong:
            verdict = "meets" if strong["meets_1_15x"] else "does NOT meet"
            lines.append(
                f"- Blend NDCG@{k} {strong[f'blend_ndcg@{k}']:.4f} vs the best of BPR/SASRec "
                f"({strong['baseline']}, {strong[f'baseline_ndcg@{k}']:.4f}): ratio {strong['ratio']}; "
                f"this {verdict} the 1.15x target."
                + (f" Paired bootstrap 95% interval of the ratio over the test users: "
                   f"{strong['ratio_95ci'][0]}-{strong['ratio_95ci'][1]}." if strong.get("ratio_95ci") else "")
            )
        single = comparisons.get("blend_vs_best_single_model")
        if single:
            lines.append(
                f"- Against the best single model of any kind ({single['model']}, "
                f"{single[f'model_ndcg@{k}']:.4f}): ratio {single['ratio']}."
            )
    lines += served_section(report)
    if report.get("unavailable") or report.get("failed"):
        lines += ["", "## Not evaluated", ""]
        for name, why in {**report.get("unavailable", {}), **report.get("failed", {})}.items():
            lines.append(f"- {name}: {why}")
    lines += ["", "## Tuning (validation split only; the test split was not used to choose)", ""]
    for name, r in models.items():
        if len(r["grid"]) <= 1:
            continue
        lines += [f"**{name}**", "", f"| parameters | validation NDCG@{k} | validation HR@{k} | fit s |", "|---|---|---|---|"]
        for g in r["grid"]:
            mark = " (chosen)" if g["params"] == r["chosen_grid_point"] else ""
            lines.append(f"| {_params(g['params'])}{mark} | {g[f'ndcg@{k}']:.4f} | {g[f'hr@{k}']:.4f} | "
                         f"{g['fit_seconds']} |")
        lines.append("")
    details = {name: r["details"] for name, r in models.items() if r.get("details")}
    if details:
        lines += ["## Model details", ""]
        for name, d in details.items():
            lines += [f"**{name}**", "", "```json", json.dumps(d, indent=2), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def save_figure(fig: Any, path: Path, dpi: int = 110) -> None:
    """Write a matplotlib figure to `path` atomically (a reader never sees half a PNG) and close it."""
    import matplotlib.pyplot as plt

    try:
        with atomic_file(path) as out:
            fig.savefig(out, format="png", dpi=dpi)
    finally:
        plt.close(fig)


def chart(report: dict[str, Any], path: Path) -> None:
    """Grouped bars of NDCG@k and HR@k per model (Agg backend: no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = report["k"]
    models = report["models"]
    names = sorted(models, key=lambda n: -models[n]["test"][f"ndcg@{k}"])
    ndcg = [models[n]["test"][f"ndcg@{k}"] for n in names]
    hr = [models[n]["test"][f"hr@{k}"] for n in names]
    positions = range(len(names))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.2 * len(names) + 2), 4))
    width = 0.38
    bars_n = ax.bar([p - width / 2 for p in positions], ndcg, width, label=f"NDCG@{k}")
    bars_h = ax.bar([p + width / 2 for p in positions], hr, width, label=f"HR@{k}")
    ax.bar_label(bars_n, fmt="%.3f", fontsize=7)
    ax.bar_label(bars_h, fmt="%.3f", fontsize=7)
    ax.set_xticks(list(positions), names, rotation=20)
    ax.set_ylabel("test score (full ranking)")
    ax.set_title(f"{report['dataset']}: leave-last-out test, {report['split']['test_users']} users")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=120)


def write_report(report: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """docs/evaluation/<dataset>.{md,png,json}; returns the paths written."""
    stem = report["dataset"]
    paths = {"markdown": out_dir / f"{stem}.md", "chart": out_dir / f"{stem}.png", "json": out_dir / f"{stem}.json"}
    atomic_write_text(paths["markdown"], markdown(report))
    atomic_write_text(paths["json"], json.dumps(report, indent=2) + "\n")
    if report["models"]:
        chart(report, paths["chart"])
    else:
        paths.pop("chart")
    return paths
