"""Per-variant statistics of the prompt bandit, for people deciding which prompts to keep.

For each variant: pulls, successes, the observed rate, the Beta posterior's mean and 95% credible
interval, and the probability that it is the best variant of its task (Monte Carlo over the
posteriors), plus what the turn log says per logged prompt version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from recommender.types import VariantStats


def variant_report(
    stats: Sequence[VariantStats], logged: dict[str, tuple[int, int]] | None = None, *, draws: int = 20_000, seed: int = 0
) -> dict[str, Any]:
    """One JSON-ready object: tasks -> variants -> numbers; `logged` adds the turn-log view."""
    rng = np.random.default_rng(seed)
    tasks: dict[str, list[dict[str, Any]]] = {}
    for task in sorted({s.task for s in stats}):
        rows = [s for s in stats if s.task == task]
        samples = np.stack([rng.beta(s.alpha, s.beta, size=draws) for s in rows])
        best = np.bincount(samples.argmax(axis=0), minlength=len(rows)) / draws
        tasks[task] = [
            {
                "variant": s.variant,
                "pulls": s.pulls,
                "successes": s.successes,
                "rate": round(s.successes / s.pulls, 4) if s.pulls else None,
                "posterior_mean": round(s.mean, 4),
                "ci95": [round(float(q), 4) for q in np.quantile(samples[i], [0.025, 0.975])],
                "p_best": round(float(best[i]), 4),
            }
            for i, s in enumerate(rows)
        ]
    report: dict[str, Any] = {"tasks": tasks}
    if logged is not None:
        report["logged_prompt_versions"] = {
            version: {"requests": n, "with_positive_feedback": r, "rate": round(r / n, 4) if n else None}
            for version, (n, r) in sorted(logged.items())
        }
    return report


def format_table(report: dict[str, Any]) -> str:
    """The report as aligned text for a terminal."""
    lines = [f"{'task':<10} {'variant':<22} {'pulls':>6} {'wins':>6} {'rate':>6} {'mean':>6} {'95% CI':>15} {'P(best)':>8}"]
    for task, rows in report["tasks"].items():
        for r in rows:
            rate = "-" if r["rate"] is None else f"{r['rate']:.3f}"
            ci = f"{r['ci95'][0]:.3f}-{r['ci95'][1]:.3f}"
            lines.append(
                f"{task:<10} {r['variant']:<22} {r['pulls']:>6} {r['successes']:>6} {rate:>6} "
                f"{r['posterior_mean']:>6.3f} {ci:>15} {r['p_best']:>8.3f}"
            )
    logged = report.get("logged_prompt_versions") or {}
    if logged:
        lines += ["", f"{'logged prompt_version':<40} {'requests':>9} {'positive':>9}"]
        lines += [f"{v:<40} {d['requests']:>9} {d['with_positive_feedback']:>9}" for v, d in logged.items()]
    return "\n".join(lines)
