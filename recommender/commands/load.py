"""N concurrent multi-turn conversations against the running bot over REST, with real button presses.

Prints one JSON object (turns/s, p50/p95/p99 per turn kind, errors, the action server's share of
each turn, and every 👍 sent compared with the rows stored); `--out` also writes it as JSON and a
Markdown table. Loopback only; at most 1,000 conversations and one hour.

  python -m recommender load --conversations 100 --duration 600              # against `make run`
  python -m recommender load --conversations 100 --duration 60 --think 0     # saturation
"""

from __future__ import annotations

import argparse

HELP = "load test: N concurrent conversations over REST (recommend, refine, 👍, other options); latency, errors, stages"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--rasa-url, --action-url, --conversations, --duration, --think, --seed, --timeout, --out, --database-url."""
    from recommender.commands.common import add_database_argument

    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005", help="the running Rasa server (loopback only)")
    parser.add_argument("--action-url", default="http://127.0.0.1:5055",
                        help="the action server, for its /metrics (the action's share of each turn); several comma-separated "
                             "(replicas, each directly, not through a load balancer); '' to skip")
    parser.add_argument("--conversations", type=int, default=100, help="concurrent conversations (1-1000, default 100)")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds to keep them going (default 120, max 3600)")
    parser.add_argument("--think", type=float, default=10.0,
                        help="mean seconds a person takes before the next message (uniform 0.5-1.5 x; default 10; "
                             "0 = back to back, a saturation test)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the words each conversation uses (default 42)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before one turn counts as failed")
    parser.add_argument("--out", default="", help="write <out>.json and <out>.md as well")
    add_database_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Run the load, scrape the action server before and after, check the stored feedback, print the report."""
    import json
    import os
    from pathlib import Path

    from recommender.commands.common import settings_from
    from recommender.eval.load import LoadDriver, action_stages, markdown, scrape_action_histograms, summarize
    from recommender.eval.replay import verify_stored
    from recommender.store import get_store

    settings = settings_from(args)
    token = settings.action_token.get_secret_value() if settings.action_token else None
    rest_token = os.environ.get("RECSYS_REST_TOKEN") or None  # the REST channel's (Rasa side) bearer token
    driver = LoadDriver(args.rasa_url, conversations=args.conversations, duration_s=args.duration,
                        think_s=args.think, seed=args.seed, timeout_s=args.timeout, rest_token=rest_token)
    before = scrape_action_histograms(args.action_url, token) if args.action_url else None
    result = driver.run()
    stages = action_stages(before, scrape_action_histograms(args.action_url, token)) if before is not None else None
    stored = verify_stored(get_store(settings), settings.user_id_secret, result.sent)
    report = summarize(result, stages, stored)
    report["settings"] = {"think_s": args.think, "seed": args.seed, "rasa_url": args.rasa_url}
    print(json.dumps(report))
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    return 0 if report["errors"] == 0 and stored["ok"] else 1
