"""Turn and feedback latency while the database is healthy, down, silent or hung, with the default timeouts.

    .venv/bin/python benchmarks/db_faults_bench.py [--turns 20]

The real `RecommenderService` over a fresh PostgreSQL database (RECSYS_TEST_POSTGRES_URL's server)
holding the 15-film test catalog of tests/recommender/conftest.py, default settings (connect
timeout 3 s, statement timeout 5 s, retry after 10 s), LLM off. Faults:

- down: the store points at a closed port (connection refused);
- silent: a port that accepts and never answers (the connect timeout);
- hung: another session holds ACCESS EXCLUSIVE locks on every table a turn or a press writes
  (the statement timeout).

For each: the first turn (which meets the fault), the median and the slowest of the rest; then
presses sent while hung vs rows stored after the locks are released (the spool's replay).
Results: benchmarks/results/db_faults.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # fault_injection
os.environ.setdefault("RECSYS_LLM_BACKEND", "none")

from fault_injection import locked, scratch_postgres_database, seed_store, silent_port, store_at

from benchmarks._provenance import commit_label, provenance
from recommender.config import Settings
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.store.db import DatabaseTimeouts
from recommender.types import ConversationContext, FeedbackRequest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ADMIN_URL = os.environ.get("RECSYS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def turns(service: RecommenderService, n: int, tag: str) -> dict[str, float]:
    times = []
    for k in range(n):
        started = time.perf_counter()
        result = service.recommend(ConversationContext(user=f"{tag}-{k}", text="recommend me something"))
        times.append(time.perf_counter() - started)
        assert result.items, f"{tag}: turn {k} answered without items"
    rest = times[1:]
    return {"first_s": round(times[0], 3), "rest_p50_s": round(statistics.median(rest), 4),
            "rest_max_s": round(max(rest), 4), "turns": n}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result: dict[str, Any] = {}
    with scratch_postgres_database(ADMIN_URL) as url, tempfile.TemporaryDirectory() as var:
        settings = Settings(var_dir=Path(var), database_url=url, default_k=3, user_id_secret="bench",
                            knn_shrinkage=0.0, llm_backend="none")
        timeouts = DatabaseTimeouts.from_settings(settings)
        store = Store(url, timeouts)
        store.migrate()
        seed_store(store)

        def fresh() -> RecommenderService:
            service = RecommenderService(store=store, settings=settings)
            service.recommend(ConversationContext(user="warm", text="recommend me something"))
            return service

        result["settings"] = {"connect_timeout_s": timeouts.connect_s, "statement_timeout_ms": timeouts.statement_ms,
                              "db_retry_seconds": settings.db_retry_seconds}
        result["healthy"] = turns(fresh(), args.turns, "healthy")
        service = fresh()
        with store_at(store, "postgresql+psycopg://x@127.0.0.1:1/x", timeouts):
            result["down"] = turns(service, args.turns, "down")
        service.guard.close()
        service = fresh()
        with silent_port() as port, store_at(store, f"postgresql+psycopg://x@127.0.0.1:{port}/x", timeouts):
            result["silent"] = turns(service, args.turns, "silent")
        service.guard.close()
        service = fresh()
        with locked(url):
            result["hung"] = turns(service, args.turns, "hung")
            presses = []
            for k in range(args.turns):
                started = time.perf_counter()
                service.record_feedback(ConversationContext(user="presser"),
                                        FeedbackRequest(kind="like", item_id=str(k % 15 + 1), message_id=f"m{k}"))
                presses.append(time.perf_counter() - started)
            spooled = service.feedback_writer.spool.pending()
        released = time.perf_counter()
        deadline = released + 60
        while service.feedback_writer.spool.pending() and time.perf_counter() < deadline:
            time.sleep(0.1)
        stored = store.count_feedback(user_id=service.user_id(ConversationContext(user="presser")))
        result["hung_feedback"] = {
            "sent": args.turns, "spooled": spooled, "stored_after_release": stored,
            "first_press_s": round(presses[0], 3), "rest_p50_s": round(statistics.median(presses[1:]), 4),
            "replayed_within_s": round(time.perf_counter() - released, 2),
        }
        service.guard.close()
        store.engine.dispose()
    result["provenance"] = provenance()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "db_faults.json").write_text(json.dumps(result, indent=1) + "\n")
    s = result
    lines = [
        "# Turns and presses with the database down, silent or hung", "",
        f"`benchmarks/db_faults_bench.py`, {s['provenance']['date_utc']}, commit {commit_label(s['provenance'])}, "
        f"PostgreSQL, the 15-film test catalog, default timeouts (connect {s['settings']['connect_timeout_s']} s, "
        f"statement {s['settings']['statement_timeout_ms']} ms, retry after {s['settings']['db_retry_seconds']} s), "
        "LLM off, service level (no Rasa).", "",
        "| database | first turn | later turns p50 | later turns max |", "|---|---:|---:|---:|",
    ]
    for key in ("healthy", "down", "silent", "hung"):
        r = s[key]
        lines.append(f"| {key} | {r['first_s']:.3f} s | {r['rest_p50_s'] * 1000:.1f} ms | {r['rest_max_s'] * 1000:.1f} ms |")
    f = s["hung_feedback"]
    lines += ["", f"Presses while hung: {f['sent']} sent, {f['spooled']} spooled, {f['stored_after_release']} stored "
              f"after the locks were released (replayed within {f['replayed_within_s']} s); the first press took "
              f"{f['first_press_s']} s, the others {f['rest_p50_s'] * 1000:.1f} ms (p50).", ""]
    (args.out / "db_faults.md").write_text("\n".join(lines))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
