"""Benchmark of the LLM stages of a recommendation turn (not a test): latency, rejections, NDCG.

  .venv/bin/python benchmarks/llm_bench.py --models smollm2-135m,qwen2.5-coder-0.5b
  .venv/bin/python benchmarks/llm_bench.py --models smollm2-135m --turns 4 --eval-users 40   # quick

Part 1, turns on MovieLens 100K in a scratch SQLite database: the same conversations with the
LLM off and on (local backend, `--budget-ms` turn budget, push-channel follow-ups enabled):
turn latency p50/p95, time to the first message, time until the LLM-written message arrives,
re-rank latency, and the share of LLM output rejected by parsing or grounding validation.
The turn is the one the service runs once wired (rank a pool of `llm_rerank_top_n`, LLM
re-rank within its budget share, blend, keep k, explain within the rest); conversations run one
at a time, each waiting for its follow-up, as for a single user.

Part 2, offline: leave-last-out on `--eval-users` MovieLens users; item-kNN ranks each test
user's top `--pool`; the LLM scores that pool pointwise from the user's liked titles; NDCG@10
and HR@10 of item-kNN alone, of the LLM's order alone, and of the blend (`--weight`).

Writes benchmarks/results/llm.json and llm.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from recommender.config import Settings
from recommender.llm import Deadline, ExplainItem, FollowUp, LLMPipeline, QuerySummary
from recommender.llm.local import LocalBackend
from recommender.llm.metrics import LLMCounters
from recommender.llm.rerank import blend
from recommender.types import ConversationContext

logger = logging.getLogger("llm_bench")

SCENARIOS = [
    ConversationContext(user="b1", text="a funny movie from the 90s", moods=("funny",), decade="90s"),
    ConversationContext(user="b2", text="something scary for tonight", moods=("scary",)),
    ConversationContext(user="b3", text="sci-fi like Star Wars", genres=("sci-fi",), liked_titles=("Star Wars",)),
    ConversationContext(user="b4", text="a romantic comedy", genres=("romance", "comedy")),
    ConversationContext(user="b5", text="an action film from the 80s", genres=("action",), decade="80s"),
    ConversationContext(user="b6", text="a film for my kids", genres=("children's",)),
    ConversationContext(user="b7", text="a crime drama like The Godfather", genres=("crime",), liked_titles=("The Godfather",)),
    ConversationContext(user="b8", text="a good war movie", genres=("war",)),
    ConversationContext(user="b9", text="something like Toy Story", liked_titles=("Toy Story",)),
    ConversationContext(user="b10", text="a thriller from 1995", genres=("thriller",), year="1995"),
    ConversationContext(user="b11", text="a musical", genres=("musical",)),
    ConversationContext(user="b12", text="a western, no horror please", genres=("western",), exclude_genres=("horror",)),
]


def pct(values: list[float], q: float) -> float | None:
    """Percentile in ms, rounded; None for no data."""
    return round(float(np.percentile(values, q)), 1) if values else None


def summary(values: list[float]) -> dict[str, Any]:
    """p50/p95/n of a list of milliseconds."""
    return {"p50": pct(values, 50), "p95": pct(values, 95), "n": len(values)}


def build_store(workdir: Path, settings: Settings) -> Any:
    """A scratch SQLite store with MovieLens 100K (fetched once into var/data, as `make data` does)."""
    from recommender.catalog.movielens import import_movielens100k
    from recommender.store import Store

    store = Store(f"sqlite:///{workdir / 'bench.db'}")
    store.migrate()
    import_movielens100k(store, settings.data_dir)
    return store


def load_backend(model: str, settings: Settings) -> tuple[LocalBackend, float]:
    """The local backend, loaded (converted once) before timing starts."""
    backend = LocalBackend.from_settings(settings.model_copy(update={"llm_model": model, "llm_device": "cpu"}))
    started = time.perf_counter()
    backend.load()
    return backend, time.perf_counter() - started


class SignallingBackend:
    """Wraps a backend and sets `done` whenever a chat call ends, however it ends.

    A follow-up only arrives when some of the model's text passes validation; the benchmark must
    know when the model finished even when nothing passed, so it waits on this instead.
    """

    def __init__(self, inner: LocalBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.supports_scoring = inner.supports_scoring
        self.done = threading.Event()

    def chat(self, messages: Any, **kwargs: Any) -> str:
        try:
            return self.inner.chat(messages, **kwargs)
        finally:
            self.done.set()

    def score_options(self, messages: Any, options: Any, *, timeout: float) -> list[float]:
        return self.inner.score_options(messages, options, timeout=timeout)

    def close(self) -> None:
        self.inner.close()


def run_turns(store: Any, settings: Settings, backend: LocalBackend | None, turns: int) -> dict[str, Any]:
    """The scenarios once with this backend (None: LLM off), timed like a user sees them."""
    from recommender.service import RecommenderService

    k = settings.default_k
    pool_settings = settings.model_copy(update={"default_k": max(k, settings.llm_rerank_top_n)})
    counters = LLMCounters()
    signalling = SignallingBackend(backend) if backend is not None else None
    llm = LLMPipeline(settings, signalling, counters=counters) if signalling is not None else None
    base = RecommenderService(store=store, settings=settings)
    pool = RecommenderService(store=store, settings=pool_settings)
    base.recommend(SCENARIOS[0])  # build the model bundle before timing
    pool.recommend(SCENARIOS[0])
    turn_ms: list[float] = []
    llm_message_ms: list[float] = []
    rerank_ms: list[float] = []
    rerank_applied = 0
    in_budget = 0
    samples: list[dict[str, Any]] = []
    for n in range(turns):
        ctx = replace(SCENARIOS[n % len(SCENARIOS)], user=f"bench-{n}")
        started = time.perf_counter()
        if llm is None:
            base.recommend(ctx)
            turn_ms.append((time.perf_counter() - started) * 1000)
            continue
        deadline = Deadline.after_ms(settings.turn_budget_ms)
        result = pool.recommend(ctx)
        head = [(ri.item, ri.score) for ri in result.items]
        query = QuerySummary.from_context(ctx, understood=ctx.text)
        reranked = llm.rerank(query, head, deadline=deadline.share(settings.llm_rerank_budget_share))
        rerank_ms.append(reranked.latency_ms)
        rerank_applied += reranked.applied
        reasons = {ri.item.item_id: ri.reason for ri in result.items}
        items = [ExplainItem(item, reasons[item.item_id]) for item, _ in blend(head, reranked, settings.llm_rerank_weight)[:k]]
        arrived = threading.Event()
        followups: list[tuple[float, FollowUp]] = []

        def sink(followup: FollowUp, started: float = started, followups: list = followups, arrived: threading.Event = arrived) -> None:  # type: ignore[type-arg]
            followups.append(((time.perf_counter() - started) * 1000, followup))
            arrived.set()

        bundle = pool.bundle
        assert signalling is not None
        signalling.done.clear()
        explanation = llm.explain(query, items, catalog=bundle.index.items, catalog_version=bundle.version,
                                  deadline=deadline, request_id=f"bench-{n}", on_followup=sink,
                                  fallback_reply="Here are some picks:")
        turn_ms.append((time.perf_counter() - started) * 1000)
        if explanation.applied:
            in_budget += 1
            llm_message_ms.append(turn_ms[-1])
        elif explanation.pending:
            signalling.done.wait(settings.llm_timeout_s + 5)  # the model finished (valid text or not)
            if arrived.wait(1.0):  # validation and delivery take milliseconds
                llm_message_ms.append(followups[0][0])
        time.sleep(0.05)  # let a late worker finish its bookkeeping before the next turn
        if len(samples) < 3:
            samples.append({"request": ctx.text, "rerank": reranked.mode if reranked.applied else reranked.error,
                            "first_message_source": explanation.source,
                            "llm_message": followups[0][1].text if followups else None})
    out: dict[str, Any] = {"turn_ms": summary(turn_ms), "first_message_ms": summary(turn_ms)}
    if llm is not None:
        out.update(llm_stats(counters, turns, rerank_applied, in_budget, rerank_ms, llm_message_ms))
        out["samples"] = samples
    return out


def llm_stats(
    counters: LLMCounters, turns: int, rerank_applied: int, in_budget: int, rerank_ms: list[float],
    llm_message_ms: list[float],
) -> dict[str, Any]:
    """Counters turned into shares: what was used, what was rejected and why."""
    snap = counters.snapshot()
    reasons_ok = counters.get("reason", "ok")
    reasons_rejected = sum(v for (e, r), v in snap.items() if e == "reason" and r.startswith("rejected:"))
    reasons_missing = counters.get("reason", "missing")
    outputs = sum(v for (e, r), v in snap.items() if e == "explain" and (r == "ok" or r.startswith("rejected:")))
    unparseable = sum(v for (e, r), v in snap.items() if e == "explain" and r.startswith("rejected:") and r != "rejected:all")
    replies = counters.get("reply")
    sentences = reasons_ok + reasons_rejected + reasons_missing
    return {
        "llm_message_ms": summary(llm_message_ms),
        "llm_message_delivered": f"{len(llm_message_ms)}/{turns}",
        "llm_message_within_budget": f"{in_budget}/{turns}",
        "rerank_ms": summary(rerank_ms),
        "rerank_applied": f"{rerank_applied}/{turns}",
        "explain_outputs": outputs,
        "explain_unparseable_share": round(unparseable / outputs, 3) if outputs else None,
        "reasons_requested": sentences,
        "reasons_accepted_share": round(reasons_ok / sentences, 3) if sentences else None,
        "reasons_rejected_share": round(reasons_rejected / sentences, 3) if sentences else None,
        "reasons_missing_share": round(reasons_missing / sentences, 3) if sentences else None,
        "reply_rejected_share": round(
            sum(v for (e, r), v in snap.items() if e == "reply" and r.startswith("rejected:")) / replies, 3
        ) if replies else None,
        "rejection_causes": {f"{e}/{r}": v for (e, r), v in sorted(snap.items()) if "rejected" in r},
        "timeouts": {e: v for (e, r), v in snap.items() if r == "timeout"},
    }


def offline_ndcg(settings: Settings, backend: LocalBackend, users: int, pool_size: int, weight: float, seed: int) -> dict[str, Any]:
    """NDCG@10/HR@10 of item-kNN, of the LLM's pointwise order of item-kNN's pool, and of their blend."""
    from recommender.eval.datasets import load_dataset, subsample_users
    from recommender.eval.metrics import hit_rate_at_k, ndcg_at_k
    from recommender.eval.split import leave_last_out
    from recommender.llm.rerank import rerank
    from recommender.models.base import Query
    from recommender.models.common import user_histories
    from recommender.models.registry import get_spec

    data = subsample_users(load_dataset("ml-100k", settings), users, seed)
    split = leave_last_out(data)
    spec = get_spec("item_knn")
    model = spec.build(seed=seed)
    model.fit(split.train_validation)
    histories = user_histories(split.train_validation)
    position = {it.item_id: i for i, it in enumerate(data.items)}
    base_lists, llm_lists, blend_lists = [], [], []
    seconds: list[float] = []
    failures = 0
    for user in split.test.users.tolist():
        items, weights = histories[user]
        top = model.recommend(Query(history=items, weights=weights, user=int(user)), pool_size, exclude=items)
        liked = [data.items[i].title for i, w in zip(items[::-1], weights[::-1], strict=True) if w >= 4][:8]
        query = QuerySummary(request="recommend me a movie", understood="movies this user will enjoy next",
                             liked_titles=tuple(liked))
        candidates = [(data.items[i], float(pool_size - r)) for r, i in enumerate(top.tolist())]
        started = time.perf_counter()
        result = rerank(backend, query, candidates, timeout=120, mode="pointwise", top_n=pool_size, counters=LLMCounters())
        seconds.append((time.perf_counter() - started) * 1000)
        failures += not result.applied
        base_lists.append(top[:10])
        llm_lists.append(np.array([position[i] for i in result.order[:10]]))
        blended = blend(candidates, result, weight)
        blend_lists.append(np.array([position[it.item_id] for it, _ in blended[:10]]))
    targets = split.test.items

    def metrics(lists: list[np.ndarray]) -> dict[str, float]:
        return {"ndcg@10": round(ndcg_at_k(lists, targets, 10), 4), "hr@10": round(hit_rate_at_k(lists, targets, 10), 4)}

    return {
        "users": len(base_lists), "pool": pool_size, "blend_weight": weight, "base_model": "item_knn (defaults)",
        "item_knn": metrics(base_lists), "llm_order": metrics(llm_lists), "blend": metrics(blend_lists),
        "rerank_ms": summary(seconds), "rerank_failures": failures,
    }


def markdown(report: dict[str, Any]) -> str:
    """The report as a readable page."""
    lines = [
        "# LLM benchmark", "",
        (
            f"{report['environment']['date_utc']} UTC, {report['environment']['cpus']} CPUs, Python "
            f"{report['environment']['python']}; turn budget {report['config']['budget_ms']} ms, "
            f"re-rank top {report['config']['rerank_top_n']}, k={report['config']['k']}, "
            f"{report['config']['turns']} conversations per model (MovieLens 100K). "
            "Produced by `benchmarks/llm_bench.py`."
        ),
        "",
        "## Turn latency and time to first message (ms)", "",
        "| LLM | turn p50 | turn p95 | LLM message p50 | LLM message p95 | LLM message delivered | within budget | re-rank p50 | re-rank applied | load s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in report["turns"].items():
        t = r["turn_ms"]
        m = r.get("llm_message_ms", {})
        rr = r.get("rerank_ms", {})
        lines.append(
            f"| {name} | {t['p50']} | {t['p95']} | {m.get('p50', '-')} | {m.get('p95', '-')} | "
            f"{r.get('llm_message_delivered', '-')} | {r.get('llm_message_within_budget', '-')} | {rr.get('p50', '-')} | "
            f"{r.get('rerank_applied', '-')} | {r.get('load_seconds', '-')} |"
        )
    lines += ["", ("The first message (items with template reasons, or the LLM's text when it made the budget) "
                   "is the turn itself; on push channels the LLM-written message follows at the 'LLM message' time."),
              "",
              "## Validation of LLM output", "",
              "| LLM | explain outputs | unparseable | reasons accepted | rejected | missing | reply rejected | main rejection causes |",
              "|---|---|---|---|---|---|---|---|"]
    for name, r in report["turns"].items():
        if "explain_outputs" not in r:
            continue
        causes = ", ".join(f"{k.split('/rejected:')[-1]} {v}" for k, v in
                           sorted(r["rejection_causes"].items(), key=lambda kv: -kv[1])[:4])
        lines.append(
            f"| {name} | {r['explain_outputs']} | {r['explain_unparseable_share']} | {r['reasons_accepted_share']} | "
            f"{r['reasons_rejected_share']} | {r['reasons_missing_share']} | {r['reply_rejected_share']} | {causes} |"
        )
    if report.get("offline"):
        lines += ["", "## Offline effect of LLM re-ranking (leave-last-out, MovieLens 100K)", "",
                  "| LLM | users | pool | item-kNN NDCG@10 | LLM order NDCG@10 | blend NDCG@10 | item-kNN HR@10 | LLM HR@10 | blend HR@10 | re-rank p50 ms |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for name, o in report["offline"].items():
            lines.append(
                f"| {name} | {o['users']} | {o['pool']} | {o['item_knn']['ndcg@10']} | {o['llm_order']['ndcg@10']} | "
                f"{o['blend']['ndcg@10']} | {o['item_knn']['hr@10']} | {o['llm_order']['hr@10']} | "
                f"{o['blend']['hr@10']} | {o['rerank_ms']['p50']} |"
            )
    if report.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run both parts for each model and write the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="smollm2-135m,qwen2.5-coder-0.5b",
                        help="packaged local models, comma-separated; NAME:USERS sets that model's offline users")
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--budget-ms", type=int, default=1500)
    parser.add_argument("--eval-users", type=int, default=150, help="0 skips the offline part")
    parser.add_argument("--pool", type=int, default=20, help="item-kNN candidates the LLM scores offline")
    parser.add_argument("--weight", type=float, default=0.3, help="blend weight of the LLM score")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--note", action="append", default=[], help="a line for the report's notes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    base_settings = Settings()
    settings = Settings(
        var_dir=base_settings.var_dir, turn_budget_ms=args.budget_ms, llm_timeout_s=180, llm_backend="local",
        llm_rerank_weight=args.weight, user_id_secret="bench",
    )
    report: dict[str, Any] = {
        "config": {"budget_ms": args.budget_ms, "turns": args.turns, "k": settings.default_k,
                   "rerank_top_n": settings.llm_rerank_top_n, "models": args.models.split(","), "threads": settings.llm_threads,
                   "max_tokens": settings.llm_max_tokens, "weight": args.weight},
        "environment": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M")},
        "turns": {}, "offline": {}, "notes": args.note,
    }
    with tempfile.TemporaryDirectory() as tmp:
        store = build_store(Path(tmp), settings)
        logger.info("LLM off")
        report["turns"]["off"] = run_turns(store, settings, None, args.turns)
        for entry in args.models.split(","):
            model, _, users_text = entry.partition(":")
            eval_users = int(users_text) if users_text else args.eval_users
            backend, load_seconds = load_backend(model, settings)
            logger.info("%s loaded in %.1fs", model, load_seconds)
            report["turns"][model] = {"load_seconds": round(load_seconds, 1),
                                      **run_turns(store, settings, backend, args.turns)}
            if eval_users:
                report["offline"][model] = offline_ndcg(settings, backend, eval_users, args.pool, args.weight, args.seed)
            backend.close()
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "llm.json").write_text(json.dumps(report, indent=2) + "\n")
            (args.out / "llm.md").write_text(markdown(report))
        store.engine.dispose()
    print(json.dumps({k: report[k] for k in ("turns", "offline")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
