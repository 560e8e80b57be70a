"""A hung database under the real stack: turns and 👍 presses over Rasa's REST channel while another
PostgreSQL session holds locks on every table a turn or a press writes.

    .venv/bin/python benchmarks/db_faults_stack.py [--turns 10]

A fresh PostgreSQL database (RECSYS_TEST_POSTGRES_URL's server) with MovieLens 100K, then the stack
`make run` starts (`python -m recommender.actionserver`, `rasa run`; benchmarks/_stack.py) with
default settings (statement timeout 5 s, retry after 10 s) and its var folder in a temporary
directory. Each conversation asks for a comedy and presses 👍 on the first item: first with the
database healthy, then while it is hung, then the locks are released. Reported: each phase's
turn times, whether every turn answered with items and every press with the acknowledgement, and
likes sent vs stored once the spool was replayed. Results: benchmarks/results/db_faults_stack.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # fault_injection

from fault_injection import locked, scratch_postgres_database
from sqlalchemy import create_engine, func, select

from benchmarks._provenance import commit_label, provenance
from benchmarks._stack import APP_PYTHON, REPO_ROOT, LiveStack, log
from recommender.store import Store
from recommender.store.models import FeedbackEventRow

RESULTS = Path(__file__).resolve().parent / "results"
ADMIN_URL = os.environ.get("RECSYS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FAILURE = "something went wrong"


def first_item(body: list[dict[str, Any]]) -> str | None:
    for message in body:
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("type") == "recommendations" and custom.get("items"):
            return str(custom["items"][0]["item_id"])
    return None


def conversations(stack: LiveStack, n: int, tag: str) -> dict[str, Any]:
    turns, presses, failures = [], [], []
    for k in range(n):
        sender = f"{tag}-{k}-{uuid.uuid4().hex[:6]}"
        started = time.perf_counter()
        reply = stack.say(sender, "recommend me a comedy")
        turns.append(time.perf_counter() - started)
        item = first_item(reply)
        if item is None:
            failures.append(f"turn {k}: {json.dumps(reply)[:200]}")
            continue
        started = time.perf_counter()
        ack = stack.say(sender, "/feedback" + json.dumps({"item_id": item, "kind": "like"}, separators=(",", ":")))
        presses.append(time.perf_counter() - started)
        if not ack or FAILURE in json.dumps(ack).lower():
            failures.append(f"press {k}: {json.dumps(ack)[:200]}")
    return {
        "turn_first_s": round(turns[0], 3), "turn_rest_p50_s": round(statistics.median(turns[1:]), 3),
        "turn_rest_max_s": round(max(turns[1:]), 3),
        "press_first_s": round(presses[0], 3) if presses else None,
        "press_rest_p50_s": round(statistics.median(presses[1:]), 3) if len(presses) > 1 else None,
        "likes_sent": len(presses), "failures": failures,
    }


def likes_stored(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(FeedbackEventRow)
                                   .where(FeedbackEventRow.source == "chat", FeedbackEventRow.kind == "like")) or 0)
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result: dict[str, Any] = {}
    with scratch_postgres_database(ADMIN_URL) as url, tempfile.TemporaryDirectory() as work:
        var = Path(work) / "var"
        env = {**os.environ, "RECSYS_VAR_DIR": str(var), "RECSYS_LLM_BACKEND": "none"}
        fetched = REPO_ROOT / "var" / "data" / "movielens100k"
        if fetched.is_dir():  # the project's copy: no download
            shutil.copytree(fetched, var / "data" / "movielens100k")
        log("ingesting MovieLens 100K into a fresh PostgreSQL database")
        subprocess.run([str(APP_PYTHON), "-m", "recommender", "ingest", "movielens100k", "--no-progress",
                        "--database-url", url], cwd=REPO_ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        Store(url).engine.dispose()
        with LiveStack(Path(work) / "stack", database_url=url, env={"RECSYS_VAR_DIR": str(var)}) as stack:
            log("healthy")
            result["healthy"] = conversations(stack, args.turns, "healthy")
            log("hung")
            with locked(url):
                result["hung"] = conversations(stack, args.turns, "hung")
                spool = var / "spool" / "feedback.jsonl"
                result["hung"]["spooled"] = len(spool.read_text().splitlines()) if spool.exists() else 0
            released = time.perf_counter()
            sent = result["healthy"]["likes_sent"] + result["hung"]["likes_sent"]
            deadline = released + 120
            while likes_stored(url) < sent and time.perf_counter() < deadline:
                time.sleep(0.2)
            result["after_release"] = {"likes_sent": sent, "likes_stored": likes_stored(url),
                                       "stored_within_s": round(time.perf_counter() - released, 1)}
            result["stack"] = stack.timings
    result["provenance"] = provenance()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "db_faults_stack.json").write_text(json.dumps(result, indent=1) + "\n")
    h, g, a = result["healthy"], result["hung"], result["after_release"]
    lines = [
        "# A hung PostgreSQL under the real stack (Rasa REST -> action server)", "",
        f"`benchmarks/db_faults_stack.py`, {result['provenance']['date_utc']}, commit "
        f"{commit_label(result['provenance'])}, MovieLens 100K on PostgreSQL, default settings (statement timeout "
        "5 s, retry after 10 s), LLM off; each conversation: a comedy request, then 👍 on the first item.", "",
        "| database | first turn | turns p50 | turns max | first 👍 | 👍 p50 | failures |", "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in (("healthy", h), ("hung (locks held)", g)):
        lines.append(f"| {label} | {r['turn_first_s']} s | {r['turn_rest_p50_s']} s | {r['turn_rest_max_s']} s | "
                     f"{r['press_first_s']} s | {r['press_rest_p50_s']} s | {len(r['failures'])} |")
    lines += ["", f"Likes sent {a['likes_sent']}, stored {a['likes_stored']} ({g.get('spooled', 0)} spooled while "
              f"hung, stored within {a['stored_within_s']} s of the release).", ""]
    (args.out / "db_faults_stack.md").write_text("\n".join(lines))
    print(json.dumps(result, indent=1))
    return 0 if a["likes_sent"] == a["likes_stored"] and not h["failures"] and not g["failures"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
