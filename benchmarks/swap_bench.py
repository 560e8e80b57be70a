"""Hot swap under load: concurrent conversations over REST while a new model version is published.

    .venv/bin/python benchmarks/swap_bench.py [--conversations 4] [--before 30] [--after 30]

Starts a fresh stack (MovieLens 100K in a new SQLite file, `python -m recommender.actionserver`,
`rasa run`), trains a quick learned blend (registry `blend`, quick=True) on the store's log and
writes its version folder, then runs N conversation loops continuously (ask -> like the first
item -> "other options" -> dislike the second -> repeat, new sender every few turns). After
`--before` seconds the version row is published (`model_versions`, status published): the
action server notices it within `model_check_seconds` and swaps in the background. The run
continues until `--after` seconds past the first turn the new version answered.

A request fails on a transport error, HTTP != 200, an empty reply, the bot's "something went
wrong" fallback, or a recommendation turn without items. Phases: `before` (until the row was
published), `during` (publish -> first turn answered by the new version), `after`. The version
of every answered recommendation comes from its logged request row (by request_id), so "served
before/after" is what the database says, not a guess. Results: benchmarks/results/swap.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._provenance import commit_label, provenance
from benchmarks._stack import ACTION_TOKEN, LiveStack, log

RESULTS = Path(__file__).resolve().parent / "results"
FAILURE_TEXTS = ("something went wrong",)


@dataclass
class Turn:
    started: float  # monotonic
    seconds: float
    ok: bool
    kind: str  # recommend | refine | feedback
    request_id: str | None
    error: str | None


def publish_quick_blend(database_url: str, models_dir: Path, seed: int = 42) -> tuple[Any, dict[str, Any]]:
    """Train the quick blend on the store's log and write its version folder; returns a function that
    publishes it (inserts the version row) and the training numbers."""
    from recommender.models.registry import get_spec
    from recommender.store import Store
    from recommender.training.artifacts import new_version_name, write_version
    from recommender.training.data import store_interaction_data

    store = Store(database_url)
    started = time.perf_counter()
    data = store_interaction_data(store)
    model = get_spec("blend").build(seed=seed, quick=True)
    model.fit(data)
    fit_seconds = time.perf_counter() - started
    version = new_version_name()
    path = write_version(models_dir, version, model, None, [i.item_id for i in data.items], list(data.user_ids))
    last_event_id = store.last_feedback_id()

    def publish() -> str:
        store.add_model_version(version=version, status="published", path=str(path), trained_on_events=len(data),
                                last_event_id=last_event_id, train_seconds=fit_seconds, metrics={},
                                reason="swap benchmark (quick blend)")
        return version

    return publish, {"version": version, "train_seconds": round(fit_seconds, 1), "events": len(data)}


class Load:
    """N conversation loops over the REST webhook until `stop` is set."""

    def __init__(self, rasa_url: str, conversations: int, turns_per_sender: int = 8) -> None:
        self.rasa_url = rasa_url
        self.conversations = conversations
        self.turns_per_sender = turns_per_sender
        self.turns: list[Turn] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def _say(self, client: httpx.Client, sender: str, text: str, kind: str) -> list[dict[str, Any]]:
        started = time.monotonic()
        error: str | None = None
        body: list[dict[str, Any]] = []
        request_id = None
        try:
            response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
            if response.status_code != 200:
                error = f"HTTP {response.status_code}"
            else:
                parsed = response.json()
                body = parsed if isinstance(parsed, list) else [parsed]
                texts = " ".join(str(m.get("text", "")) for m in body).lower()
                customs = [m["custom"] for m in body if m.get("custom")]
                if not body:
                    error = "empty reply"
                elif any(f in texts for f in FAILURE_TEXTS):
                    error = "fallback reply: " + texts[:120]
                elif kind in ("recommend", "refine"):
                    recs = [c for c in customs if c.get("type") == "recommendations"]
                    if not recs or not recs[0].get("items"):
                        error = "no recommendations"
                    else:
                        request_id = recs[0].get("request_id")
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        turn = Turn(started, time.monotonic() - started, error is None, kind, request_id, error)
        with self._lock:
            self.turns.append(turn)
        return body

    def _loop(self, n: int) -> None:
        with httpx.Client(base_url=self.rasa_url, timeout=120.0) as client:
            while not self.stop.is_set():
                sender = f"swap-{n}-{uuid.uuid4().hex[:8]}"
                turns = 0
                while turns < self.turns_per_sender and not self.stop.is_set():
                    reply = self._say(client, sender, "recommend me a movie, surprise me" if turns == 0 else
                                      '/refine{"refinement":"other options"}', "recommend" if turns == 0 else "refine")
                    ids = [i["item_id"] for m in reply if (m.get("custom") or {}).get("type") == "recommendations"
                           for i in m["custom"]["items"]]
                    if len(ids) >= 2 and not self.stop.is_set():
                        self._say(client, sender, f'/feedback{{"item_id":"{ids[0]}","kind":"like"}}', "feedback")
                        self._say(client, sender, f'/feedback{{"item_id":"{ids[1]}","kind":"dislike"}}', "feedback")
                    turns += 3

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._loop, args=(n,), daemon=True) for n in range(self.conversations)]
        for thread in threads:
            thread.start()
        return threads


def served_metric(action_url: str) -> str | None:
    """The version label of `recsys_served_model_info` on the action server (what answered last)."""
    try:
        text = httpx.get(f"{action_url}/metrics", timeout=5, headers={"Authorization": f"Bearer {ACTION_TOKEN}"}).text
    except httpx.HTTPError:
        return None
    for line in text.splitlines():
        if line.startswith("recsys_served_model_info{") and line.rstrip().endswith(" 1.0"):
            return line.split('version="', 1)[1].split('"', 1)[0]
    return None


def summarize(turns: list[Turn], start: float, end: float) -> dict[str, Any]:
    chosen = [t for t in turns if start <= t.started < end]
    latencies = np.array([t.seconds for t in chosen if t.ok]) * 1000
    failed = [t for t in chosen if not t.ok]
    span = max(end - start, 1e-9)
    return {
        "seconds": round(span, 1),
        "requests": len(chosen),
        "failed": len(failed),
        "requests_per_second": round(len(chosen) / span, 2),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1) if len(latencies) else None,
        "p95_ms": round(float(np.percentile(latencies, 95)), 1) if len(latencies) else None,
        "max_ms": round(float(latencies.max()), 1) if len(latencies) else None,
        "errors": sorted({t.error for t in failed if t.error})[:10],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=4, help="concurrent conversation loops (4)")
    parser.add_argument("--before", type=float, default=30.0, help="seconds of load before publishing (30)")
    parser.add_argument("--after", type=float, default=30.0, help="seconds of load after the new version served (30)")
    parser.add_argument("--swap-timeout", type=float, default=180.0, help="give up waiting for the swap after (180)")
    parser.add_argument("--model-check-seconds", type=float, default=5.0,
                        help="RECSYS_MODEL_CHECK_SECONDS of the action server (5)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for swap.json and swap.md")
    args = parser.parse_args(argv)

    from recommender.store import Store

    workdir = Path(tempfile.mkdtemp(prefix="swap-bench-"))
    env = {"RECSYS_MODEL_CHECK_SECONDS": str(args.model_check_seconds)}
    log(f"work folder {workdir}; starting the stack")
    with LiveStack(workdir, env=env) as stack:
        log(f"stack up {stack.timings}; training the quick blend")
        publish, trained = publish_quick_blend(stack.database_url, workdir / "models")
        log(f"trained {trained}")
        store = Store(stack.database_url)
        version_before = served_metric(stack.action_url)
        load = Load(stack.rasa_url, args.conversations)
        t0 = time.monotonic()
        threads = load.start()
        time.sleep(args.before)
        t_publish = time.monotonic()
        version = publish()
        log(f"published {version}; waiting for the action server to serve it")
        t_served = None
        while time.monotonic() - t_publish < args.swap_timeout:
            if served_metric(stack.action_url) == version:
                t_served = time.monotonic()
                break
            time.sleep(0.25)
        if t_served is None:
            log("the new version was not served in time")
        else:
            log(f"served after {t_served - t_publish:.1f} s; {args.after:.0f} s more load")
            time.sleep(args.after)
        load.stop.set()
        for thread in threads:
            thread.join(timeout=150)
        t_end = time.monotonic()
        version_after = served_metric(stack.action_url)
        turns = sorted(load.turns, key=lambda t: t.started)
        versions: dict[str, dict[str, int]] = {"before": {}, "during": {}, "after": {}}
        for turn in turns:
            if turn.request_id is None:
                continue
            served = store.request_model_version(turn.request_id) or "?"
            phase = ("before" if turn.started < t_publish else
                     "during" if t_served is None or turn.started < t_served else "after")
            versions[phase][served] = versions[phase].get(served, 0) + 1
        action_log_errors = sum(1 for line in (workdir / "actions.log").read_text(errors="replace").splitlines()
                                if "Traceback" in line or " ERROR " in line)

    phases = {
        "before": summarize(turns, t0, t_publish),
        "during": summarize(turns, t_publish, t_served if t_served is not None else t_end),
        "after": summarize(turns, t_served, t_end) if t_served is not None else None,
        "all": summarize(turns, t0, t_end),
    }
    result = {
        "benchmark": "swap",
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "provenance": provenance(), "llm_backend": stack.env["RECSYS_LLM_BACKEND"],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg_1m": os.getloadavg()[0],
                    "note": "2 cores shared with other work; latencies include that contention"},
        "conversations": args.conversations,
        "model_check_seconds": args.model_check_seconds,
        "stack": stack.timings,
        "trained": trained,
        "version_before": version_before,
        "version_after": version_after,
        "published_version": version,
        "seconds_publish_to_served": round(t_served - t_publish, 2) if t_served is not None else None,
        "phases": phases,
        "served_versions_by_phase": versions,
        "action_server_error_lines": action_log_errors,
        "failed_requests": phases["all"]["failed"],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "swap.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / "swap.md").write_text(markdown(result))
    print(json.dumps(result, indent=1))
    return 0 if result["failed_requests"] == 0 and t_served is not None else 1


def markdown(r: dict[str, Any]) -> str:
    rows = []
    for name in ("before", "during", "after", "all"):
        p = r["phases"][name]
        if p is None:
            continue
        rows.append(f"| {name} | {p['seconds']} | {p['requests']} | {p['failed']} | {p['requests_per_second']} | "
                    f"{p['p50_ms']} | {p['p95_ms']} | {p['max_ms']} |")
    served = "; ".join(f"{phase}: " + ", ".join(f"{v} x{n}" for v, n in counts.items())
                       for phase, counts in r["served_versions_by_phase"].items() if counts)
    return "\n".join([
        "# Hot swap under load",
        "",
        (f"{r['date_utc']}; `benchmarks/swap_bench.py`; {r['conversations']} concurrent REST conversations "
        f"(ask, like, dislike, other options) against `rasa run` + `python -m recommender.actionserver` on "
        f"MovieLens 100K (SQLite); {r['machine']['cpus']} CPUs shared with other work "
        f"(1-min load {r['machine']['load_avg_1m']:.1f}); commit {commit_label(r['provenance'])}, "
        f"LLM backend `{r['llm_backend']}`."),
        "",
        (f"- **Failed requests: {r['failed_requests']}** (transport error, HTTP != 200, empty reply, the bot's "
        "fallback apology, or a recommendation turn without items)."),
        (f"- Version served before: `{r['version_before']}`; after: `{r['version_after']}` "
        f"(published `{r['published_version']}`, a quick blend trained in {r['trained']['train_seconds']} s on "
        f"{r['trained']['events']} events)."),
        (f"- Publish -> first turn answered by the new version: {r['seconds_publish_to_served']} s "
        f"(the action server checks every {r['model_check_seconds']} s, then builds the new bundle in a "
        "background thread while the old one keeps answering)."),
        f"- Versions of the logged recommendation requests by phase: {served}.",
        f"- Error/traceback lines in the action server log: {r['action_server_error_lines']}.",
        "",
        "| phase | seconds | requests | failed | req/s | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        ("Phases: `before` = until the version row was published; `during` = publish until the first turn "
        "the new version answered; `after` = the rest. Latency is the REST round trip (Rasa NLU + "
        "policies + the action server), successful requests only."),
        "",
    ])


if __name__ == "__main__":
    raise SystemExit(main())
