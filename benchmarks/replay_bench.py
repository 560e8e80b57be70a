"""The feedback loop at full size: replay a few hundred unseen users through REST, retrain, measure.

    .venv/bin/python benchmarks/replay_bench.py [--users 300] [--max-events 30]

Starts a fresh stack of its own (MovieLens 100K in a new SQLite file, its own var dir so the
retrain's model folders stay apart, `python -m recommender.actionserver`, `rasa run`), then runs
`python -m recommender replay --then-retrain` against it: ml-latest-small users mapped onto the
catalog, their older ratings sent as chat feedback, sent == stored checked, the retrain job run,
the new version required to answer the live bot, held-out NDCG@10 measured before the feedback,
after it (old model) and after the retrain. Results: benchmarks/results/replay.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._provenance import commit_label, provenance
from benchmarks._stack import APP_PYTHON, REPO_ROOT, LiveStack, log

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--max-events", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--retrain-first", action="store_true",
                        help="publish a blend trained on MovieLens 100K before the replay (as `make train` leaves a "
                        "stack); results go to replay-published.{json,md}")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for replay.json and replay.md")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="replay-bench-"))
    var = workdir / "var"
    var.mkdir()
    if (REPO_ROOT / "var" / "data").is_dir():
        (var / "data").symlink_to(REPO_ROOT / "var" / "data")
    env = {"RECSYS_VAR_DIR": str(var), "RECSYS_MODEL_CHECK_SECONDS": "5"}
    log(f"work folder {workdir}; starting the stack")
    with LiveStack(workdir, env=env) as stack:
        first: dict[str, Any] | None = None
        if args.retrain_first:
            log(f"stack up {stack.timings}; publishing a first blend (retrain --force)")
            started = time.perf_counter()
            first_run = subprocess.run([str(APP_PYTHON), "-m", "recommender", "retrain", "--force"], cwd=REPO_ROOT,
                                       env=stack.env, check=False, capture_output=True, text=True)
            first = json.loads(first_run.stdout)
            first["wall_seconds"] = round(time.perf_counter() - started, 1)
            log(f"first version: {first.get('status')} {first.get('version')}; waiting for it to serve")
            time.sleep(15)  # > RECSYS_MODEL_CHECK_SECONDS + the background build
        log(f"stack up {stack.timings}; replaying")
        out = workdir / "replay.json"
        command = [str(APP_PYTHON), "-m", "recommender", "replay", "--users", str(args.users), "--max-events",
                   str(args.max_events), "--concurrency", str(args.concurrency), "--seed", str(args.seed),
                   "--rasa-url", stack.rasa_url, "--then-retrain", "--out", str(out)]
        started = time.perf_counter()
        run = subprocess.run(command, cwd=REPO_ROOT, env=stack.env, check=False, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        if not out.exists():
            log(f"replay wrote no result (exit {run.returncode})")
            return 1
        result: dict[str, Any] = json.loads(out.read_text())
    result.update({
        "benchmark": "replay",
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": f"python -m recommender replay --users {args.users} --max-events {args.max_events} --then-retrain",
        "exit_code": run.returncode,
        "wall_seconds": round(wall, 1),
        "stack": stack.timings,
        "first_version": first,
        "provenance": provenance(), "llm_backend": stack.env["RECSYS_LLM_BACKEND"],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_1m": os.getloadavg()[0], "note": "2 cores shared with other work"},
    })
    args.out.mkdir(parents=True, exist_ok=True)
    name = "replay-published" if args.retrain_first else "replay"
    (args.out / f"{name}.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    (args.out / f"{name}.md").write_text(markdown(result))
    print(json.dumps(result, indent=1, default=str))
    return run.returncode


def markdown(r: dict[str, Any]) -> str:
    replay, check, retrain = r["replay"], r["sent_equals_stored"], r.get("retrain", {})
    served = r.get("served_after_retrain", {})
    rows = []
    for key, label in (("before_feedback", "before the feedback (cold users)"),
                       ("after_feedback", "after the feedback, before the retrain"),
                       ("after_retrain", "after the retrain")):
        m = r.get(key)
        if m:
            se = f" ± {m['ndcg@10_se']:.4f}" if m.get("ndcg@10_se") is not None else ""
            rows.append(f"| {label} | `{m['model_version']}` | {m['ndcg@10']:.4f}{se} | {m['hit_rate@10']:.4f} |")
    pairs = [f"- {name.replace('_', ' ')}: {d['mean']:+.4f} ± {d['se']:.4f} (users better {d['better']}, "
             f"worse {d['worse']}, of {d['users']})" for name, d in r.get("paired_ndcg_differences", {}).items()]
    metrics = retrain.get("metrics", {})
    return "\n".join([
        "# Replay: unseen users' ratings as chat feedback, then a retrain",
        "",
        (f"{r['date_utc']}; `{r['command']}` against a fresh stack (`rasa run` + "
        f"`python -m recommender.actionserver`, MovieLens 100K on SQLite); {r['machine']['cpus']} CPUs shared "
        f"with other work (1-min load {r['machine']['load_avg_1m']:.1f}); commit {commit_label(r['provenance'])}, "
        f"LLM backend `{r['llm_backend']}`."),
        "",
        *([(f"- Started from a published blend trained on MovieLens 100K only (`retrain --force` before the "
           f"replay: `{r['first_version'].get('version')}`, {r['first_version'].get('wall_seconds')} s), as "
           "`make train` leaves a stack.")] if r.get("first_version") else
          [("- Started from a fresh install: no published version, so the service ranks with item-kNN, content "
           "and popularity until the first retrain.")]),
        (f"- Users: {r['users']} ml-latest-small users (never in the MovieLens 100K data) mapped onto the catalog "
        f"by title and year; {r['events_to_replay']} older ratings replayed, {r['held_out_liked_items']} newer "
        "liked items (rating >= 4) held out."),
        (f"- Sent through `POST /webhooks/rest/webhook`: {replay['messages']} messages "
        f"({replay['recommendation_turns']} recommendation turns, {replay['feedback_sent']} feedback events, "
        f"{replay['shown_and_rated']} rated items that the bot had just shown, clicked first) in "
        f"{replay['seconds']} s ({replay['messages_per_second']} messages/s); HTTP errors: {replay['http_errors']}."),
        (f"- **Sent == stored: {check['sent']} sent, {check['stored']} stored, "
        f"{check['mismatched_users']} users whose rows differ** (item, kind and value, in order)."),
        (f"- Retrain job: **{retrain.get('status')}** `{retrain.get('version')}` ({retrain.get('reason')}); "
        f"trained on {retrain.get('events')} events; timings {retrain.get('seconds')}."),
        (f"- The live bot answered with the new version {served.get('seconds_until_served')} s after the publish "
        f"(`{served.get('version')}`, read from the logged request of a REST recommendation)."),
        "",
        ("Held-out NDCG@10 of the replayed users, with what the service serves them (its own ranking, "
        "their stored feedback as profile, 10 items, shown/rated items excluded):"),
        "",
        "| when | model version | NDCG@10 (± standard error) | hit rate@10 |",
        "|---|---|---|---|",
        *rows,
        "",
        *(["Paired per-user NDCG@10 differences (mean ± standard error):", "", *pairs, ""] if pairs else []),
        ("The retrain job's own decision numbers (its held-out slices, not the ones above): "
        f"`{json.dumps(metrics, default=str)[:1500]}`"),
        "",
    ])


if __name__ == "__main__":
    raise SystemExit(main())
