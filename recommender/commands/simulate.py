"""Simulated users against the running bot, beside a yardstick bot with perfect understanding.

Each simulated user has a hidden MovieLens 100K target, knows only its genres and year, and states
one attribute or critique per turn over Rasa's REST webhook (loopback only). The same users talk to
an in-process yardstick bot that understands every act. Prints one JSON object to stdout, writes
<out>/simulator.{md,json,png} (default docs/evaluation/; pools of earlier runs are kept) and the
failed dialogues as JSON lines under --transcripts. Progress bars go to stderr.

  python -m recommender simulate --rasa-url http://127.0.0.1:5005 --users 200 --pool popular
  python -m recommender simulate --start-stack --pool popular,all
"""

from __future__ import annotations

import argparse
import json
from typing import Any

HELP = "simulated users talk to the running bot over REST; SR@k vs a perfect-understanding yardstick"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--rasa-url, --start-stack, --users, --pool, --seed, --max-turns, --k, --concurrency, --phrasings, --out, ..."""
    from recommender.config import PROJECT_ROOT
    from recommender.eval.simulator.dialogue import DEFAULT_MAX_TURNS, MAX_CONCURRENCY
    from recommender.eval.simulator.users import DEFAULT_VAGUE_SHARE

    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005",
                        help="the running Rasa server, loopback only (default http://127.0.0.1:5005)")
    parser.add_argument("--start-stack", action="store_true",
                        help="start a fresh stack (MovieLens 100K database, action server, Rasa) on free loopback "
                             "ports for this run and stop it afterwards; --rasa-url is then ignored")
    parser.add_argument("--users", type=int, default=200, help="simulated users per pool (default 200)")
    parser.add_argument("--pool", default="popular", metavar="popular|all[,...]",
                        help="targets with >= 50 ratings (popular, default) or the whole catalog (all); "
                             "comma-separated to run several on the same stack")
    parser.add_argument("--seed", type=int, default=42, help="seed of the targets and the users (default 42)")
    parser.add_argument("--max-turns", type=int, default=DEFAULT_MAX_TURNS, help="turn limit (default 15)")
    parser.add_argument("--k", type=int, default=5, help="items the yardstick shows per turn (default 5, the bot's)")
    parser.add_argument("--concurrency", type=int, default=1,
                        help=f"simultaneous dialogues with the bot (default 1, at most {MAX_CONCURRENCY})")
    parser.add_argument("--vague-share", type=float, default=DEFAULT_VAGUE_SHARE,
                        help="share of users who open vaguely instead of with a genre (default 0.2)")
    parser.add_argument("--phrasings", choices=("default", "heldout", "zh", "casual"), default="default",
                        help="the simulated users' wording: default (phrasings.py), heldout (phrasings_heldout.py, "
                             "never read by the bot's developers; measures generalisation), zh (phrasings_zh.py, "
                             "colloquial Chinese written apart from the bot's Chinese data) or casual "
                             "(phrasings_casual.py, casual chat English written apart from the bot's vocabulary) "
                             "(default: default)")
    parser.add_argument("--out", default=str(PROJECT_ROOT / "docs" / "evaluation"),
                        help="folder for simulator.md/.json/.png (default docs/evaluation)")
    parser.add_argument("--transcripts", default=str(PROJECT_ROOT / "var" / "simulator"),
                        help="folder for the failed dialogues, failures-<pool>.jsonl (default var/simulator)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per REST turn (default 120)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")


def _pools(value: str) -> list[str]:
    from recommender.eval.simulator.catalog import POOLS, SimulatorError

    pools = [p.strip() for p in value.split(",") if p.strip()]
    bad = [p for p in pools if p not in POOLS]
    if bad or not pools:
        raise SimulatorError(f"--pool {value!r}: choose from {', '.join(POOLS)} (comma-separated)")
    return pools


def _validate(args: argparse.Namespace) -> None:
    from recommender.eval.simulator.catalog import SimulatorError
    from recommender.eval.simulator.dialogue import MAX_CONCURRENCY

    if args.users < 1 or args.max_turns < 1 or args.k < 1:
        raise SimulatorError("--users, --max-turns and --k must be at least 1")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise SimulatorError(f"--concurrency {args.concurrency}: use 1 to {MAX_CONCURRENCY}")
    if not 0.0 <= args.vague_share <= 1.0:
        raise SimulatorError(f"--vague-share {args.vague_share}: use a share between 0 and 1")


def run(args: argparse.Namespace) -> int:
    """Run every pool against the bot and the yardstick; exit 1 when a user turn leaked a title."""
    import contextlib
    import datetime
    from pathlib import Path

    from recommender.commands.common import settings_from
    from recommender.eval.simulator.catalog import load_movielens100k_catalog
    from recommender.eval.simulator.client import RestBot, check_loopback
    from recommender.eval.simulator.report import write_report, write_transcripts
    from recommender.eval.simulator.run import SimConfig, simulate_pool
    from recommender.eval.simulator.stack import commit, rasa_model, relative, started_stack

    pools = _pools(args.pool)
    _validate(args)
    rasa_url = None if args.start_stack else check_loopback(args.rasa_url)
    catalog = load_movielens100k_catalog(settings_from(args))
    transcripts = Path(args.transcripts)
    runs: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as cleanup:
        if args.start_stack:
            rasa_url = cleanup.enter_context(started_stack(transcripts / "stack"))
        assert rasa_url is not None
        bot = RestBot(rasa_url, timeout=args.timeout)
        cleanup.callback(bot.close)
        bot.probe()
        for pool in pools:
            cfg = SimConfig(pool=pool, users=args.users, seed=args.seed, max_turns=args.max_turns, k=args.k,
                            concurrency=args.concurrency, vague_share=args.vague_share, phrasings=args.phrasings,
                            progress=not args.no_progress)
            result = simulate_pool(bot, catalog, cfg)
            failures = transcripts / f"failures-{pool}.jsonl"
            write_transcripts(result.bot, failures)
            violated = transcripts / f"violations-{pool}.jsonl"
            write_transcripts(result.bot, violated, only_failures=False, only_violations=True)
            result.section["config"] |= {
                "command": _command(args, pool), "commit": commit(), "transcripts": relative(failures),
                "violation_transcripts": relative(violated),
                "date": datetime.date.today().isoformat(), "stack": "started" if args.start_stack else rasa_url,
            }
            if args.start_stack:
                result.section["config"]["rasa_model"] = rasa_model()
            runs[pool] = result.section
    written = write_report(runs, Path(args.out))
    print(json.dumps({"runs": runs, "written": {k: str(v) for k, v in written.items()}}))
    leaks = sum(int(run[who]["title_leaks"]) for run in runs.values() for who in ("bot", "yardstick"))
    return 1 if leaks else 0


def _command(args: argparse.Namespace, pool: str) -> str:
    where = "--start-stack" if args.start_stack else f"--rasa-url {args.rasa_url}"
    return (f"python -m recommender simulate {where} --users {args.users} --pool {pool} --seed {args.seed} "
            f"--max-turns {args.max_turns} --k {args.k} --concurrency {args.concurrency} --phrasings {args.phrasings}")
