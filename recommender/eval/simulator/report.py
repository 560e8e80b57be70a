"""The numbers of a simulation run (pure functions over dialogues) and the files they go to.

`summarize` gives one bot's SR@5/10/15, average turns, out-of-catalog items, constraint violations
and turn latency; `compare` the bot/yardstick ratios. `write_report` merges this run's pools into
<out>/simulator.json (so the popular and whole-catalog runs can be written by separate commands)
and renders simulator.md and simulator.png from everything it holds.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from recommender.atomic import atomic_write_text
from recommender.eval.report import save_figure
from recommender.eval.simulator.dialogue import Dialogue

CUTOFFS: tuple[int, ...] = (5, 10, 15)
STEM = "simulator"


def success_rate(success_turns: Sequence[int | None], k: int) -> float:
    """Share of dialogues whose target was shown within the first k turns."""
    if not success_turns:
        return 0.0
    return sum(1 for t in success_turns if t is not None and t <= k) / len(success_turns)


def average_turns(success_turns: Sequence[int | None], max_turns: int) -> tuple[float | None, float | None]:
    """(mean turns of the successes, mean turns of all with a failure counted as `max_turns`)."""
    if not success_turns:
        return None, None
    wins = [t for t in success_turns if t is not None]
    overall = sum(t if t is not None else max_turns for t in success_turns) / len(success_turns)
    return (sum(wins) / len(wins) if wins else None), overall


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation, numpy's default; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a success rate (sensible at 0 and 1, unlike the normal one)."""
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def summarize(dialogues: Sequence[Dialogue], max_turns: int) -> dict[str, Any]:
    """One bot's numbers over its dialogues."""
    turns_of = [d.success_turn for d in dialogues]
    turns = [t for d in dialogues for t in d.turns]
    avg_success, avg_all = average_turns(turns_of, max_turns)
    latencies = [t.latency_ms for t in turns if t.error is None]
    shown = sum(len(t.item_ids) for t in turns)
    violations = sum(t.violations for t in turns)
    wins = sum(1 for t in turns_of if t is not None and t <= max_turns)
    low, high = wilson_interval(wins, len(dialogues))
    out: dict[str, Any] = {"users": len(dialogues)}
    out |= {f"sr@{k}": _round(success_rate(turns_of, k)) for k in CUTOFFS}
    out |= {
        f"sr@{max_turns}_ci95": [_round(low), _round(high)],
        "avg_turns_success": _round(avg_success, 2), "avg_turns_all": _round(avg_all, 2),
        "turns": len(turns), "shown_items": shown,
        "out_of_catalog": sum(len(t.out_of_catalog) for t in turns),
        "violations": violations, "violation_rate": _round(violations / shown if shown else 0.0),
        "violations_by_kind": dict(sorted(Counter(k for t in turns for k in t.violated).items())),
        "relaxed_turns": sum(1 for t in turns if t.relaxed),
        "questions": sum(1 for t in turns if t.question is not None and not t.item_ids),
        "empty_turns": sum(1 for t in turns if not t.item_ids and t.question is None),
        "errors": sum(1 for t in turns if t.error), "title_leaks": sum(1 for t in turns if t.leaked),
        "latency_ms_p50": _round(percentile(latencies, 50), 1), "latency_ms_p95": _round(percentile(latencies, 95), 1),
        "success_curve": [_round(success_rate(turns_of, k)) for k in range(1, max_turns + 1)],
    }
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else round(a / b, 3)


def compare(bot: dict[str, Any], yardstick: dict[str, Any]) -> dict[str, float | None]:
    """Bot / yardstick for the success rates and average turns (1.0: the bot understands as well)."""
    keys = [f"sr@{k}" for k in CUTOFFS] + ["avg_turns_success", "avg_turns_all"]
    return {key: _ratio(bot.get(key), yardstick.get(key)) for key in keys}


# -- files -------------------------------------------------------------------------------------
_ROWS: tuple[tuple[str, str], ...] = (
    ("sr@5", "SR@5"), ("sr@10", "SR@10"), ("sr@15", "SR@15"), ("avg_turns_success", "avg turns (successes)"),
    ("avg_turns_all", "avg turns (failures = limit)"), ("out_of_catalog", "out-of-catalog items"),
    ("violations", "constraint violations (items)"), ("violation_rate", "violations / shown items"),
    ("violations_by_kind", "violations by kind"),
    ("questions", "bot questions"), ("empty_turns", "turns with no items, no question"), ("errors", "HTTP errors"),
    ("title_leaks", "title leaks in user turns"), ("latency_ms_p50", "turn latency p50 (ms)"),
    ("latency_ms_p95", "turn latency p95 (ms)"),
)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "0"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def markdown(report: dict[str, Any]) -> str:
    """One table per pool: bot, yardstick, ratio; then how it was run."""
    lines = ["# Simulated users: multi-turn understanding", "",
             ("Written by `python -m recommender simulate` (see `recommender/eval/simulator/`). Each simulated "
             "user has a hidden MovieLens 100K target, knows only its genres and year, and states one attribute "
             "or one critique per turn in its own words; success is the target among the shown items. The "
             "yardstick is the same user talking to a bot that understands every act perfectly and shows the "
             "k most-rated movies meeting every stated constraint."), ""]
    for pool, run in report["runs"].items():
        cfg = run["config"]
        lines += [(f"## Pool `{pool}` ({run['bot']['users']} users, seed {cfg['seed']}, {cfg['max_turns']} turns, "
                  f"k={cfg['k']})"), "", "| metric | bot | yardstick | bot / yardstick |", "|---|---|---|---|"]
        for key, label in _ROWS:
            ratio = run["ratio"].get(key)
            lines.append(f"| {label} | {_cell(run['bot'].get(key))} | {_cell(run['yardstick'].get(key))} "
                         f"| {_cell(ratio)} |")
        ci = run["bot"].get(f"sr@{cfg['max_turns']}_ci95")
        lines += ["", (f"Bot SR@{cfg['max_turns']} 95% interval (Wilson): {ci}. Run: `{cfg['command']}` at commit "
                  f"{cfg.get('commit', '?')}, {cfg.get('date', '?')}; {cfg.get('vague_share')} of dialogues open "
                  f"vaguely; failure transcripts: `{cfg.get('transcripts', '')}`"
                  + (f", dialogues with violations: `{cfg['violation_transcripts']}`"
                     if cfg.get("violation_transcripts") else "")
                  + (f"; Rasa model `{cfg['rasa_model']}`." if cfg.get("rasa_model") else ".")), ""]
    return "\n".join(lines + list(_METHOD)).rstrip() + "\n"


_METHOD: tuple[str, ...] = (
    "## How it works", "",
    ("- **Targets**: MovieLens 100K movies (the catalog the bot serves), sampled with the seed; pool `popular` "
    "= at least 50 ratings, `all` = the whole catalog. Movies whose only genre is `unknown` are never targets."),
    ("- **User** (`users.py`): knows the target's genres and year, never its title. Turn 1 states one genre "
    "(a seeded 20% open vaguely: \"what should I watch tonight?\"); then the other genres and one era, one per "
    "turn, in a random order; then critiques of the last list: exclude a genre the shown items have and the "
    "target lacks, \"something older\"/\"a bit newer\" only when true of every shown item, or \"other "
    "options\". Every era (decade, early/mid/late, before, after, between, around) is true of the target. A bot "
    "question (payload `{\"type\": \"question\", \"attribute\": ...}` or text ending in \"?\" with no items) is "
    "answered truthfully for that attribute."),
    ("- **Wording** (`phrasings.py`): 8-12 templates per act, 3-6 words per genre as nouns, predicates and plurals "
    "(\"comedies\", \"a laugh\", \"a heist\", \"something set in space\", \"a doc\"), written without "
    "looking at the bot's training data. No utterance contains the target's normalised title (`title leaks`)."),
    ("- **Success**: the target's id among the items of a recommendations payload within t turns (SR@t). "
    "Average turns: of the successes, and of all with a failure counted as the turn limit."),
    ("- **Violations**: shown items that break a constraint the user stated (every stated genre, no excluded "
    "genre, the stated year window and older/newer bounds), unless the payload's `relaxed` names it."),
    ("- **Yardstick** (`yardstick.py`): the same users, talking to a bot that understands every act perfectly "
    "and shows the k most-rated unseen movies meeting every constraint. bot / yardstick near 1 means the bot "
    "loses little to misunderstanding; the yardstick ranks by popularity only, so a bot can beat it."),
    "",
)


def chart(report: dict[str, Any], path: Path) -> None:
    """Success rate by turn, bot and yardstick, one panel per pool (Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = report["runs"]
    fig, axes = plt.subplots(1, len(runs), figsize=(5.0 * len(runs), 3.8), squeeze=False)
    for ax, (pool, run) in zip(axes[0], runs.items(), strict=True):
        for who, style in (("bot", "-o"), ("yardstick", "--s")):
            curve = run[who]["success_curve"]
            ax.plot(range(1, len(curve) + 1), curve, style, markersize=3, label=who)
        ax.set_title(f"pool {pool}: {run['bot']['users']} users")
        ax.set_xlabel("turn")
        ax.set_ylabel("success rate (target shown by turn t)")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def merged(runs: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """The report in <out>/simulator.json with this run's pools replacing their earlier results."""
    path = out_dir / f"{STEM}.json"
    previous: dict[str, Any] = {}
    if path.is_file():
        try:
            previous = json.loads(path.read_text()).get("runs", {})
        except (ValueError, AttributeError):
            previous = {}
    return {"kind": "simulator", "runs": {**previous, **runs}}


def write_report(runs: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """<out>/simulator.{json,md,png}; returns the paths written."""
    report = merged(runs, out_dir)
    paths = {kind: out_dir / f"{STEM}.{ext}" for kind, ext in (("json", "json"), ("markdown", "md"), ("chart", "png"))}
    atomic_write_text(paths["json"], json.dumps(report, indent=2) + "\n")
    atomic_write_text(paths["markdown"], markdown(report))
    chart(report, paths["chart"])
    return paths


def write_transcripts(dialogues: Iterable[Dialogue], path: Path, only_failures: bool = True,
                      only_violations: bool = False) -> int:
    """JSON lines of the (failed, or constraint-breaking) dialogues, for debugging; returns how many
    were written."""
    rows = [json.dumps(d.as_dict(), ensure_ascii=False) for d in dialogues
            if not (only_failures and d.success) and not (only_violations and not any(t.violations for t in d.turns))]
    atomic_write_text(path, "\n".join(rows) + ("\n" if rows else ""))
    return len(rows)
