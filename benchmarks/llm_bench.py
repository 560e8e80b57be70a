"""Benchmark of the LLM stages of a recommendation turn (not a test): latency, rejections, NDCG.

  .venv/bin/python benchmarks/llm_bench.py            # the default model (Qwen 0.5B) and SmolLM2-135M
  .venv/bin/python benchmarks/llm_bench.py --models smollm2-135m:20 --turns 3 --base item_knn --out /tmp/x  # quick

Part 1, turns on MovieLens 100K in a scratch SQLite database, each through
`RecommenderService.recommend` exactly as an action calls it: the LLM off, then each local model
on REST (no follow-up: the turn must return within `--budget-ms`) and on a push channel (a
follow-up sink, as socket.io, Slack and Telegram get): turn latency p50/p95 (= time to the first
message), time until the LLM-written message arrives, re-rank latency and how often it applied,
and the share of LLM output rejected by parsing or grounding validation. Conversations run one
at a time, each waiting for its follow-up, as for a single user.

Part 2, offline: the full leave-last-out split of MovieLens 100K; the serving blend (`--base`),
fitted on train+validation, ranks a random sample of test users' top `--pool`; the LLM scores
that pool pointwise from the user's liked titles; NDCG@10 and HR@10 of the base alone, of the
LLM's order alone, and of base + w * LLM for the prior weight 0.3 and for 1.0 (reported side by
side; serving learns w from feedback, nothing here is chosen on the test users).

Writes benchmarks/results/llm.json and llm.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from benchmarks._provenance import commit_label, provenance
from recommender.config import Settings
from recommender.llm import FollowUp, LLMPipeline, QuerySummary
from recommender.llm.generate import Explanation
from recommender.llm.local import LocalBackend
from recommender.llm.metrics import LLMCounters
from recommender.llm.rerank import RerankResult, blend
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


class RecordingPipeline(LLMPipeline):
    """The service's own pipeline, remembering what its last re-rank and explanation returned."""

    last_rerank: RerankResult | None = None
    last_explanation: Explanation | None = None

    def rerank(self, *args: Any, **kwargs: Any) -> RerankResult:
        self.last_rerank = super().rerank(*args, **kwargs)
        return self.last_rerank

    def explain(self, *args: Any, **kwargs: Any) -> Explanation:
        self.last_explanation = super().explain(*args, **kwargs)
        return self.last_explanation


def run_turns(
    store: Any, settings: Settings, backend: LocalBackend | None, turns: int, *, push: bool = True
) -> dict[str, Any]:
    """The scenarios through `RecommenderService.recommend`, timed like a user sees them.

    `backend` None: the LLM off (`llm_backend="none"`). Otherwise the service's pipeline runs on the
    already loaded backend; `push` gives the turn a follow-up sink (socket.io, Slack, Telegram),
    without it the turn is a REST turn, which must return within the budget and gets no follow-up.
    The first message is what the turn returns (items with template reasons, or the LLM's validated
    text when it made the budget); the LLM message is the follow-up, timed from the turn's start.
    """
    from recommender.service import RecommenderService

    counters = LLMCounters()
    signalling: SignallingBackend | None = None
    if backend is None:
        service = RecommenderService(store=store, settings=settings.model_copy(update={"llm_backend": "none"}))
    else:
        service = RecommenderService(store=store, settings=settings)
        signalling = SignallingBackend(backend)
        service.llm = RecordingPipeline(settings, signalling, counters=counters)
    pipeline = service.llm if isinstance(service.llm, RecordingPipeline) else None
    if signalling is not None:
        signalling.done.clear()
    # Build the model bundle and let the pipeline see the LLM once before timing, as a running
    # server has; a generation cut off at the deadline keeps the model busy, so wait for it.
    service.recommend(replace(SCENARIOS[0], user="bench-warm-up"))
    if pipeline is not None and signalling is not None:
        explanation = pipeline.last_explanation
        if explanation is not None and not explanation.applied and explanation.error == "timeout":
            signalling.done.wait(settings.llm_timeout_s + 5)
        counters.reset()
    turn_ms: list[float] = []
    llm_message_ms: list[float] = []
    rerank_ms: list[float] = []
    rerank_applied = 0
    in_budget = 0
    samples: list[dict[str, Any]] = []
    for n in range(turns):
        ctx = replace(SCENARIOS[n % len(SCENARIOS)], user=f"bench-{'push' if push else 'rest'}-{n}")
        arrived = threading.Event()
        followups: list[tuple[float, FollowUp]] = []
        started = time.perf_counter()

        def sink(followup: FollowUp, started: float = started, followups: list = followups, arrived: threading.Event = arrived) -> None:  # type: ignore[type-arg]
            followups.append(((time.perf_counter() - started) * 1000, followup))
            arrived.set()

        if signalling is not None:
            signalling.done.clear()
        result = service.recommend(ctx, on_followup=sink if (push and pipeline is not None) else None)
        turn_ms.append((time.perf_counter() - started) * 1000)
        if pipeline is None:
            continue
        reranked, explanation = pipeline.last_rerank, pipeline.last_explanation
        if reranked is not None:
            rerank_ms.append(reranked.latency_ms)
            rerank_applied += reranked.applied
        if explanation is not None and explanation.applied:
            in_budget += 1
            llm_message_ms.append(turn_ms[-1])
        elif explanation is not None and explanation.pending and signalling is not None:
            signalling.done.wait(settings.llm_timeout_s + 5)  # the model finished (valid text or not)
            if arrived.wait(1.0):  # validation and delivery take milliseconds
                llm_message_ms.append(followups[0][0])
        time.sleep(0.05)  # let a late worker finish its bookkeeping before the next turn
        if len(samples) < 3:
            samples.append({
                "request": ctx.text, "items": [ri.item.title for ri in result.items],
                "rerank": (reranked.mode if reranked.applied else reranked.error) if reranked else None,
                "first_message_source": explanation.source if explanation else None,
                "llm_message": followups[0][1].text if followups else None,
            })
    out: dict[str, Any] = {"channel": "push" if push else "rest", "turn_ms": summary(turn_ms),
                           "first_message_ms": summary(turn_ms),
                           "within_turn_budget": f"{sum(t <= settings.turn_budget_ms for t in turn_ms)}/{turns}"}
    if pipeline is not None:
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


WEIGHTS = (0.3, 1.0)  # the prior weight (RECSYS_LLM_RERANK_WEIGHT) and a strong one; 0 is the base itself


def fit_base(settings: Settings, base: str, seed: int) -> tuple[Any, Any, Any]:
    """(data, split, model): `base` fitted on MovieLens 100K train+validation with its defaults."""
    from recommender.eval.datasets import load_dataset
    from recommender.eval.split import leave_last_out
    from recommender.models.registry import get_spec

    data = load_dataset("ml-100k", settings)
    split = leave_last_out(data)
    started = time.perf_counter()
    model = get_spec(base).build(seed=seed)
    model.fit(split.train_validation)
    logger.info("offline base %s fitted in %.1fs", base, time.perf_counter() - started)
    return data, split, model


def offline_ndcg(
    fitted: tuple[Any, Any, Any], base: str, backend: LocalBackend, users: int, pool_size: int, seed: int
) -> dict[str, Any]:
    """NDCG@10/HR@10 on `users` random test users of the full leave-last-out split: the base model
    (the serving blend by default) alone, the LLM's pointwise order of the base's top `pool_size`,
    and base + w * LLM for the weights in WEIGHTS (reported side by side, none chosen on test)."""
    from recommender.eval.metrics import hit_rate_at_k, ndcg_at_k
    from recommender.llm.rerank import rerank
    from recommender.models.base import Query
    from recommender.models.common import user_histories

    data, split, model = fitted
    histories = user_histories(split.train_validation)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(split.test.users), size=min(users, len(split.test.users)), replace=False))
    position = {it.item_id: i for i, it in enumerate(data.items)}
    lists: dict[str, list[np.ndarray]] = {"base": [], "llm_order": [], **{f"w={w}": [] for w in WEIGHTS}}
    seconds: list[float] = []
    failures = 0
    pool_hits = 0
    for row in rows.tolist():
        user = int(split.test.users[row])
        items, weights = histories[user]
        top = model.recommend(Query(history=items, weights=weights, user=user), pool_size, exclude=items)
        liked = [data.items[i].title for i, w in zip(items[::-1], weights[::-1], strict=True) if w >= 4][:8]
        query = QuerySummary(request="recommend me a movie", understood="movies this user will enjoy next",
                             liked_titles=tuple(liked))
        candidates = [(data.items[i], float(pool_size - r)) for r, i in enumerate(top.tolist())]
        pool_hits += int(split.test.items[row]) in top.tolist()
        started = time.perf_counter()
        result = rerank(backend, query, candidates, timeout=120, mode="pointwise", top_n=pool_size, counters=LLMCounters())
        seconds.append((time.perf_counter() - started) * 1000)
        failures += not result.applied
        lists["base"].append(top[:10])
        lists["llm_order"].append(np.array([position[i] for i in result.order[:10]]))
        for w in WEIGHTS:
            lists[f"w={w}"].append(np.array([position[it.item_id] for it, _ in blend(candidates, result, w)[:10]]))
    targets = split.test.items[rows]

    def metrics(ranked: list[np.ndarray]) -> dict[str, float]:
        return {"ndcg@10": round(ndcg_at_k(ranked, targets, 10), 4), "hr@10": round(hit_rate_at_k(ranked, targets, 10), 4)}

    return {
        "users": len(rows), "pool": pool_size, "base_model": f"{base} (defaults, fitted on train+validation)",
        "weights": list(WEIGHTS), "pool_hit_rate": round(pool_hits / max(len(rows), 1), 4),
        **{name: metrics(ranked) for name, ranked in lists.items()},
        "rerank_ms": summary(seconds), "rerank_failures": failures,
    }


def markdown(report: dict[str, Any]) -> str:
    """The report as a readable page."""
    cfg, env = report["config"], report["environment"]
    lines = [
        "# LLM benchmark", "",
        (
            f"{env['date_utc']} UTC, commit {commit_label(env)}, {env['cpus']} CPUs (1-min load {env['load_start']} at the "
            f"start, {env['load_end']} at the end), Python {env['python']}; turn budget {cfg['budget_ms']} ms, "
            f"re-rank top {cfg['rerank_top_n']}, k={cfg['k']}, {cfg['turns']} conversations per model and channel "
            "(MovieLens 100K), each turn through `RecommenderService.recommend`. Produced by `benchmarks/llm_bench.py`."
        ),
        "",
        "## Turn latency and time to first message (ms)", "",
        "| LLM | channel | turn = first message p50 | p95 | within budget | LLM text in the turn | LLM message p50 | LLM message p95 | LLM message delivered | re-rank p50 | re-rank applied | load s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in report["turns"].items():
        t = r["turn_ms"]
        m = r.get("llm_message_ms", {})
        rr = r.get("rerank_ms", {})
        push = r["channel"] == "push"
        lines.append(
            f"| {name.split('/')[0]} | {'push (socket.io)' if push else 'REST'} | {t['p50']} | {t['p95']} | "
            f"{r['within_turn_budget']} | {r.get('llm_message_within_budget', '-')} | "
            f"{m.get('p50', '-') if push else '-'} | {m.get('p95', '-') if push else '-'} | "
            f"{r.get('llm_message_delivered', '-') if push else '-'} | {rr.get('p50', '-')} | "
            f"{r.get('rerank_applied', '-')} | {r.get('load_seconds', '-')} |"
        )
    lines += ["", ("First message: what the turn returns (the items with template reasons, or the LLM's validated "
                   "text when it made the budget). On push channels the LLM-written message follows at the "
                   "'LLM message' time (from the start of the turn); REST gets no follow-up."),
              "",
              "## Validation of LLM output", "",
              "| LLM | channel | explain outputs | unparseable | reasons accepted | rejected | missing | reply rejected | main rejection causes |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name, r in report["turns"].items():
        if "explain_outputs" not in r:
            continue
        causes = ", ".join(f"{k.split('/rejected:')[-1]} {v}" for k, v in
                           sorted(r["rejection_causes"].items(), key=lambda kv: -kv[1])[:4])
        lines.append(
            f"| {name.split('/')[0]} | {r['channel']} | {r['explain_outputs']} | {r['explain_unparseable_share']} | "
            f"{r['reasons_accepted_share']} | {r['reasons_rejected_share']} | {r['reasons_missing_share']} | "
            f"{r['reply_rejected_share']} | {causes} |"
        )
    if report.get("offline"):
        weights = cfg["offline_weights"]
        lines += ["", "## Offline effect of LLM re-ranking (leave-last-out, MovieLens 100K, full split)", "",
                  "| LLM | base | users | pool | pool hit rate | base NDCG@10 | LLM order NDCG@10 | "
                  + " | ".join(f"base + {w}·LLM NDCG@10" for w in weights)
                  + " | base HR@10 | LLM order HR@10 | re-rank p50 ms |",
                  "|---|---|---|---|---|---|---|" + "---|" * len(weights) + "---|---|---|"]
        for name, o in report["offline"].items():
            lines.append(
                f"| {name} | {o['base_model'].split(' ')[0]} | {o['users']} | {o['pool']} | {o['pool_hit_rate']} | "
                f"{o['base']['ndcg@10']} | {o['llm_order']['ndcg@10']} | "
                + " | ".join(str(o[f"w={w}"]["ndcg@10"]) for w in weights)
                + f" | {o['base']['hr@10']} | {o['llm_order']['hr@10']} | {o['rerank_ms']['p50']} |"
            )
    if report.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run both parts for each model and write the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="qwen2.5-coder-0.5b:100,smollm2-135m:200",
                        help="packaged local models, comma-separated; NAME:USERS sets that model's offline users")
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--budget-ms", type=int, default=1500)
    parser.add_argument("--eval-users", type=int, default=150, help="0 skips the offline part")
    parser.add_argument("--pool", type=int, default=20, help="base candidates the LLM scores offline")
    parser.add_argument("--base", default="blend", help="the base model of the offline part (default: the serving blend)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--note", action="append", default=[], help="a line for the report's notes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    base_settings = Settings()
    settings = Settings(
        var_dir=base_settings.var_dir, turn_budget_ms=args.budget_ms, llm_timeout_s=180, llm_backend="local",
        user_id_secret="bench",
    )
    report: dict[str, Any] = {
        "config": {"budget_ms": args.budget_ms, "turns": args.turns, "k": settings.default_k,
                   "rerank_top_n": settings.llm_rerank_top_n, "models": args.models.split(","), "threads": settings.llm_threads,
                   "max_tokens": settings.llm_max_tokens, "rerank_weight": settings.llm_rerank_weight,
                   "offline_weights": list(WEIGHTS), "offline_base": args.base},
        "environment": {**provenance(), "load_start": round(os.getloadavg()[0], 2)},
        "turns": {}, "offline": {}, "notes": args.note,
    }

    def write() -> None:
        report["environment"]["load_end"] = round(os.getloadavg()[0], 2)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "llm.json").write_text(json.dumps(report, indent=2) + "\n")
        (args.out / "llm.md").write_text(markdown(report))

    with tempfile.TemporaryDirectory() as tmp:
        store = build_store(Path(tmp), settings)
        logger.info("LLM off")
        report["turns"]["off"] = run_turns(store, settings, None, args.turns, push=False)
        fitted = fit_base(settings, args.base, args.seed) if args.eval_users else None
        for entry in args.models.split(","):
            model, _, users_text = entry.partition(":")
            eval_users = int(users_text) if users_text else args.eval_users
            backend, load_seconds = load_backend(model, settings)
            logger.info("%s loaded in %.1fs", model, load_seconds)
            for push in (False, True):
                key = f"{model}/{'push' if push else 'rest'}"
                report["turns"][key] = {"load_seconds": round(load_seconds, 1),
                                        **run_turns(store, settings, backend, args.turns, push=push)}
                write()
            if eval_users and fitted is not None:
                report["offline"][model] = offline_ndcg(fitted, args.base, backend, eval_users, args.pool, args.seed)
            backend.close()
            write()
        store.engine.dispose()
    print(json.dumps({k: report[k] for k in ("turns", "offline")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
