"""A busy evening on this machine: `python -m recommender load` against fresh stacks, one per scenario.

    .venv/bin/python benchmarks/load_bench.py                       # every scenario (about 30 min)
    .venv/bin/python benchmarks/load_bench.py --scenarios llm_off --duration 120

Scenarios (each on its own fresh stack: MovieLens 100K in a new SQLite file, the action server and
Rasa as `make run` starts them, default settings otherwise):

- `llm_off`: 100 conversations with a person's think time (default 10 s) and no LLM;
- `llm_default`: the same with the default local LLM (the packaged Qwen2.5 0.5B re-ranking within the
  turn's budget on REST; `RECSYS_LLM_BACKEND=local`);
- `saturation`: 20 conversations back to back (no think time), no LLM: how many turns per second
  the machine holds at all.

Each reports turns/s, p50/p95/p99 per turn kind, errors, the action server's share of each turn
(its /metrics) and every 👍 sent checked against the rows stored, plus the machine's load average
before and after (these 2 cores are shared with whatever else runs). Results:
benchmarks/results/load.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._provenance import commit_label, provenance
from benchmarks._stack import ACTION_TOKEN, USER_ID_SECRET, LiveStack

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS: dict[str, dict[str, Any]] = {
    "llm_off": {"env": {"RECSYS_LLM_BACKEND": "none"}, "conversations": None, "think": None},
    "llm_default": {"env": {"RECSYS_LLM_BACKEND": "local"}, "conversations": None, "think": None},
    "saturation": {"env": {"RECSYS_LLM_BACKEND": "none"}, "conversations": 20, "think": 0.0},
}


def run_scenario(name: str, conversations: int, duration: float, think: float, workdir: Path) -> dict[str, Any]:
    """One fresh stack, one load run; the report of `recommender.eval.load.summarize` plus timings."""
    from recommender.eval.load import LoadDriver, action_stages, scrape_action_histograms, summarize
    from recommender.eval.replay import verify_stored
    from recommender.store import Store

    with LiveStack(workdir / name, env=SCENARIOS[name]["env"]) as stack:
        load_before = os.getloadavg()
        driver = LoadDriver(stack.rasa_url, conversations=conversations, duration_s=duration, think_s=think)
        before = scrape_action_histograms(stack.action_url, ACTION_TOKEN)
        result = driver.run()
        stages = action_stages(before, scrape_action_histograms(stack.action_url, ACTION_TOKEN))
        store = Store(stack.database_url)
        try:
            stored = verify_stored(store, USER_ID_SECRET, result.sent)
        finally:
            store.engine.dispose()
        report = summarize(result, stages, stored)
        report.update(scenario=name, think_s=think, llm_backend=SCENARIOS[name]["env"]["RECSYS_LLM_BACKEND"],
                      stack_timings=stack.timings, load_average_before=[round(x, 2) for x in load_before],
                      load_average_after=[round(x, 2) for x in os.getloadavg()])
    return report


def table(reports: list[dict[str, Any]], info: dict[str, Any]) -> str:
    from recommender.eval.load import markdown

    lines = [f"## Load (`make bench-load`, {info['date_utc']} UTC, commit {commit_label(info)}, "
             f"{info['cpus']} CPUs)", "",
             "| scenario | conversations | think s | seconds | turns/s | p50 s | p95 s | p99 s | errors | 👍 sent | stored |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in reports:
        lat, stored = r["latency"], r["feedback_stored"]
        lines.append(f"| {r['scenario']} | {r['conversations']} | {r['think_s']:g} | {r['seconds']} | "
                     f"{r['turns_per_second']} | {lat['p50']} | {lat['p95']} | {lat['p99']} | {r['errors']} | "
                     f"{stored['sent']} | {stored['stored']} |")
    lines.append("")
    for r in reports:
        lines.append(markdown(r, title=f"{r['scenario']} (LLM {r['llm_backend']}; load average "
                                       f"{r['load_average_before'][0]} before, {r['load_average_after'][0]} after)"))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default="llm_off,llm_default,saturation",
                        help=f"comma-separated, of {', '.join(SCENARIOS)}")
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--duration", type=float, default=600.0, help="seconds per scenario (default 600)")
    parser.add_argument("--saturation-duration", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=10.0, help="a person's mean think time, seconds (default 10)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {list(SCENARIOS)}")
    info = provenance("recommender", "benchmarks", "rasa_addons")
    reports = []
    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp:
        for name in names:
            spec = SCENARIOS[name]
            conversations = spec["conversations"] or args.conversations
            think = args.think if spec["think"] is None else spec["think"]
            duration = args.saturation_duration if name == "saturation" else args.duration
            started = time.perf_counter()
            report = run_scenario(name, conversations, duration, think, Path(tmp))
            report["wall_seconds"] = round(time.perf_counter() - started, 1)
            print(json.dumps({k: report[k] for k in ("scenario", "turns_per_second", "latency", "errors",
                                                    "feedback_stored")}), flush=True)
            reports.append(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load.json").write_text(json.dumps({"provenance": info, "reports": reports}, indent=2) + "\n")
    (args.out / "load.md").write_text(table(reports, info))
    return 0 if all(r["errors"] == 0 and r["feedback_stored"]["ok"] for r in reports) else 1


if __name__ == "__main__":
    raise SystemExit(main())
