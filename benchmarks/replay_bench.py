"""The feedback loop at full size: replay unseen users through REST, retrain per seed, measure what was learned.

    .venv/bin/python benchmarks/replay_bench.py [--users 300] [--control-users 181] [--max-events 30]
                                                [--seeds 42,43,44] [--no-ablation]

Starts a fresh stack of its own (MovieLens 100K in a new SQLite file, its own var dir so the
retrain's model folders stay apart, `python -m recommender.actionserver`, `rasa run`), then runs
`python -m recommender replay --retrain-first --then-retrain --ablation` against it: a first
blend trained on MovieLens 100K alone is published (the model before the feedback);
ml-latest-small users mapped onto the catalog send their older ratings as chat feedback (the web
widget's button payloads, through `POST /webhooks/rest/webhook`), sent == stored is checked, the
retrain job runs once per seed, each version is measured against the first one on the replayed
users and on a control cohort never sent (as served, and with the blend's popularity features
switched off in both), and the primary version must answer the live bot. This is the feedback loop's
chat-path benchmark (benchmarks/retrain_bench.py times the job on bulk-inserted events).
Results: benchmarks/results/replay.{json,md}.
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
    parser.add_argument("--control-users", type=int, default=181, help="the eligible users not replayed (481 - 300)")
    parser.add_argument("--max-events", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42, help="which users are sampled")
    parser.add_argument("--seeds", default="42,43,44", help="model seeds, one retrain each")
    parser.add_argument("--no-ablation", action="store_true", help="skip the measurements without the popularity features")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for replay.json and replay.md")
    parser.add_argument("--markdown-only", action="store_true", help="rewrite replay.md from replay.json, run nothing")
    args = parser.parse_args(argv)
    if args.markdown_only:
        (args.out / "replay.md").write_text(markdown(json.loads((args.out / "replay.json").read_text())))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="replay-bench-"))
    var = workdir / "var"
    var.mkdir()
    if (REPO_ROOT / "var" / "data").is_dir():
        (var / "data").symlink_to(REPO_ROOT / "var" / "data")
    env = {"RECSYS_VAR_DIR": str(var), "RECSYS_MODEL_CHECK_SECONDS": "5"}
    log(f"work folder {workdir}; starting the stack")
    with LiveStack(workdir, env=env) as stack:
        log(f"stack up {stack.timings}; replaying")
        out = workdir / "replay.json"
        command = [str(APP_PYTHON), "-m", "recommender", "replay", "--users", str(args.users), "--control-users",
                   str(args.control_users), "--max-events", str(args.max_events), "--concurrency",
                   str(args.concurrency), "--seed", str(args.seed), "--seeds", args.seeds, "--retrain-first",
                   "--then-retrain", "--rasa-url", stack.rasa_url, "--out", str(out),
                   *([] if args.no_ablation else ["--ablation"])]
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
        "command": " ".join(["python -m recommender replay", *command[4:]]).replace(f" --rasa-url {stack.rasa_url}", "")
        .replace(f" --out {out}", ""),
        "exit_code": run.returncode,
        "wall_seconds": round(wall, 1),
        "stack": stack.timings,
        "provenance": provenance(), "llm_backend": stack.env["RECSYS_LLM_BACKEND"],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_1m": os.getloadavg()[0], "note": "2 cores shared with other work"},
    })
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "replay.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    (args.out / "replay.md").write_text(markdown(result))
    print(markdown(result))
    return run.returncode


VARIANTS = {
    "full": "as served",
    "no_recent_popularity": "without `item_recent_popularity` (weight 0, both versions)",
    "no_popularity": "without any popularity feature (weights 0, both versions)",
}


def _gain(g: dict[str, Any] | None) -> str:
    if not g:
        return "-"
    seeds = f"; per seed {', '.join(f'{x:+.4f}' for x in g['per_seed'])}" if g.get("per_seed") else ""
    counts = f", {g['better']} users better, {g['worse']} worse" if "better" in g else ""
    return f"{g['mean']:+.4f} ± {g['se']:.4f} (z {g['z']:.1f}{counts}{seeds})"


def markdown(r: dict[str, Any]) -> str:
    """The report: what was sent and stored, the versions, the gains per cohort and the ablation."""
    replay, check, retrain = r["replay"], r["sent_equals_stored"], r.get("retrain", {})
    served, first, proof = r.get("served_after_retrain", {}), r.get("first_version") or {}, r.get("proof", {})
    rows = []
    for key, label in (("before_feedback", "replayed users, before their feedback (no history)"),
                       ("after_feedback", "replayed users, their feedback stored, version before the retrain"),
                       ("after_retrain", "replayed users, primary retrained version"),
                       ("control_before", "control users (never sent), version before the retrain")):
        m = r.get(key)
        if m:
            rows.append(f"| {label} | `{m['model_version']}` | {m['ndcg@10']:.4f} ± {m['ndcg@10_se']:.4f} | "
                        f"{m['hit_rate@10']:.4f} |")
    runs = [f"| {x['label']} | {x['seed']} | {x['status']} | `{x['version']}` | "
            f"{x['measured']['replayed']['ndcg@10']:.4f} | {x['measured']['control']['ndcg@10']:.4f} | "
            f"{x.get('seconds', {}).get('total', '-')} |" for x in r.get("runs", []) if x.get("measured")]
    gains = [f"| {VARIANTS.get(label, label)} | {_gain(g.get('replayed'))} | {_gain(g.get('control'))} | "
             f"{_gain(g.get('replayed_beyond_control'))} |" for label, g in proof.items() if " - " not in label]
    ablations = [f"- {label}: replayed users {_gain(g.get('replayed'))}; control users {_gain(g.get('control'))}"
                 for label, g in proof.items() if " - " in label]
    return "\n".join([
        "# Replay: unseen users' ratings as chat feedback, then a retrain per seed",
        "",
        (f"{r['date_utc']}; `{r['command']}` against a fresh stack (`rasa run` + "
         f"`python -m recommender.actionserver`, MovieLens 100K on SQLite); {r['machine']['cpus']} CPUs shared "
         f"with other work (1-min load {r['machine']['load_avg_1m']:.1f}); commit {commit_label(r['provenance'])}, "
         f"LLM backend `{r['llm_backend']}`; {r['wall_seconds']} s."),
        "",
        (f"- Before the replay: `{r.get('version_before')}` published, a blend trained on MovieLens 100K alone "
         f"({first.get('status', 'already published')}, {first.get('seconds', {}).get('total', '-')} s)."),
        (f"- Users: {r['users']} ml-latest-small users replayed (never in the MovieLens 100K data, mapped onto "
         f"the catalog by title and year; {r['events_to_replay']} older ratings, {r['held_out_liked_items']} newer "
         f"liked items held out) and {r['control_users']} control users from the same source, never sent."),
        (f"- Sent through `POST /webhooks/rest/webhook`: {replay['messages']} messages "
         f"({replay['recommendation_turns']} recommendation turns, {replay['feedback_sent']} feedback button "
         f"payloads, {replay['shown_and_rated']} rated items that the bot had just shown, clicked first) in "
         f"{replay['seconds']} s ({replay['messages_per_second']} messages/s); HTTP errors: {replay['http_errors']}."),
        (f"- **Sent == stored: {check['sent']} sent, {check['stored']} stored, "
         f"{check['mismatched_users']} users whose rows differ** (item, kind and value, in order)."),
        (f"- Primary retrain: **{retrain.get('status')}** `{retrain.get('version')}` ({retrain.get('reason')}); "
         f"served by the live bot {served.get('seconds_until_served')} s after the publish."),
        "",
        "Held-out NDCG@10 (each version's model ranks the catalog minus the user's history; ± standard error):",
        "",
        "| who, with what | model version | NDCG@10 | hit rate@10 |",
        "|---|---|---|---|",
        *rows,
        "",
        "Every retrain (each trained on the same log, judged against the same first version):",
        "",
        "| run | seed | job decision | version | NDCG@10 replayed | NDCG@10 control | job s |",
        "|---|---|---|---|---|---|---|",
        *runs,
        "",
        ("Gain of the retrained versions over the version before the retrain, paired per user, each user's "
         "difference averaged over the seeds (mean ± standard error over users, z = mean / SE):"),
        "",
        "| runs | replayed users | control users | replayed beyond control |",
        "|---|---|---|---|",
        *gains,
        "",
        ("What the (recent) popularity features add to the retrained versions (the same versions measured with "
         "and without them, paired, seed-averaged):"),
        "",
        *ablations,
        "",
    ])


if __name__ == "__main__":
    raise SystemExit(main())
