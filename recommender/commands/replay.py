"""Replay MovieLens interactions the models never saw as real chat feedback, then measure the gain.

Users of ml-latest-small (not in the MovieLens 100K models) are mapped onto the catalog by title
and year; each one's older ratings are sent through Rasa's REST webhook as a user would give
them (ask for recommendations, open the shown ones, like / dislike / rate with the bot's own
button payloads), the newest are held out. The run fails unless every sent feedback event is
stored. Held-out NDCG@10 of these users is measured with the served model before the feedback,
after it, and (with --then-retrain) after the retrain job published a new version, which must
then answer the live bot. Prints one JSON object; see recommender/replay.py.

The retrain takes the scheduler worker's "retrain" lease, as `python -m recommender retrain`
does; with the lease held elsewhere (a running worker) it does not retrain, reports
"retrain": {"status": "busy", ...} and exits 2. Otherwise exit 0, or 1 when a check failed.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

HELP = "send unseen MovieLens ratings as chat feedback through Rasa REST, retrain, measure NDCG@10"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--users, --rasa-url, --seed, --then-retrain and the replay's knobs."""
    from recommender.commands.common import add_database_argument

    parser.add_argument("--users", type=int, default=300, help="how many ml-latest-small users to replay (300)")
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005", help="the Rasa server (REST channel on)")
    parser.add_argument("--seed", type=int, default=42, help="which users are sampled (42)")
    parser.add_argument("--then-retrain", action="store_true",
                        help="run the retrain job after the replay and check the new version serves")
    parser.add_argument("--max-events", type=int, default=30, help="most ratings replayed per user (30)")
    parser.add_argument("--min-events", type=int, default=10, help="fewest catalog ratings a user needs (10)")
    parser.add_argument("--holdout", type=float, default=0.2, help="newest share of each user held out (0.2)")
    parser.add_argument("--concurrency", type=int, default=4, help="conversations at a time (4)")
    parser.add_argument("--no-measure", action="store_true", help="skip the NDCG measurements")
    parser.add_argument("--serve-timeout", type=float, default=180.0,
                        help="seconds to wait for the live bot to serve the new version (180)")
    parser.add_argument("--out", default=None, help="also write the JSON result to this file")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_database_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Replay, verify sent == stored, measure, optionally retrain; exit 1 when a check failed."""
    import sys
    import time
    from pathlib import Path

    from recommender.commands.common import settings_from
    from recommender.errors import CatalogEmptyError
    from recommender.replay import (
        Replayer,
        load_ml_latest_small_users,
        measure,
        new_run_id,
        paired_difference,
        verify_stored,
        wait_until_served,
        with_senders,
    )
    from recommender.store.repository import get_store

    settings = settings_from(args)
    store = get_store(settings)
    items = store.load_items()
    if not items:
        raise CatalogEmptyError("the catalog is empty; run `python -m recommender ingest movielens100k` first")
    run_id = new_run_id()
    users = with_senders(
        load_ml_latest_small_users(
            settings.shared_data_dir / "ml-latest-small", items, n_users=args.users, seed=args.seed,
            holdout=args.holdout, min_events=args.min_events, max_events=args.max_events,
            like_threshold=settings.like_threshold,
        ),
        run_id,
    )
    result: dict[str, object] = {
        "run_id": run_id, "rasa_url": args.rasa_url, "users": len(users), "seed": args.seed,
        "events_to_replay": sum(len(u.events) for u in users),
        "held_out_liked_items": sum(len(u.held_out) for u in users),
    }
    print(f"replaying {len(users)} users ({result['events_to_replay']} ratings) as run {run_id}", file=sys.stderr)
    if not args.no_measure:
        result["before_feedback"] = measure(settings, users)
        print(f"before feedback: {_short(result['before_feedback'])}", file=sys.stderr)
    stats = Replayer(args.rasa_url, concurrency=args.concurrency, like_threshold=settings.like_threshold).run(
        users, show_progress=not args.quiet
    )
    result["replay"] = stats.as_dict()
    check = verify_stored(store, settings.user_id_secret, stats.sent)
    result["sent_equals_stored"] = check
    ok = bool(check["ok"]) and stats.http_errors == 0
    if not args.no_measure:
        result["after_feedback"] = measure(settings, users)
        print(f"after feedback, before retrain: {_short(result['after_feedback'])}", file=sys.stderr)
    busy = False
    if args.then_retrain:
        from recommender.jobs.retrain import RetrainOutcome, retrain
        from recommender.worker.leases import LeaseBusy, holding

        outcome: RetrainOutcome | None
        try:
            # the worker's lease, taken as `python -m recommender retrain` takes it: against a
            # running stack the worker's retrain never runs at the same time as this one
            with holding(store, settings, "retrain"):
                outcome = retrain(store, settings, force=True)
        except LeaseBusy as exc:
            busy = True
            outcome = None
            result["retrain"] = {"status": "busy", "reason": str(exc)}
            print(f"retrain: busy, not run: {exc}; the replayed feedback is stored, run "
                  "`python -m recommender retrain --force` when the other job is done", file=sys.stderr)
        else:
            result["retrain"] = outcome.as_dict()
            print(f"retrain: {outcome.status} {outcome.version} ({outcome.reason})", file=sys.stderr)
        if outcome is not None and outcome.status == "published" and outcome.version:
            started = time.monotonic()
            served, seen, waited = wait_until_served(
                store, args.rasa_url, f"replay-{run_id}-check", outcome.version, timeout=args.serve_timeout
            )
            result["served_after_retrain"] = {"version": seen, "serves_new_version": served,
                                              "seconds_until_served": round(waited, 1)}
            ok = ok and served
            if not args.no_measure:
                result["after_retrain"] = measure(settings, users)
                print(f"after retrain: {_short(result['after_retrain'])} "
                      f"({time.monotonic() - started:.0f} s after publishing)", file=sys.stderr)
        else:
            ok = False
    measured: dict[str, Any] = {k: result[k] for k in ("before_feedback", "after_feedback", "after_retrain")
                                if k in result}
    pairs = (("after_feedback", "before_feedback"), ("after_retrain", "before_feedback"),
             ("after_retrain", "after_feedback"))
    result["paired_ndcg_differences"] = {
        f"{a} - {b}": paired_difference(measured[a], measured[b]) for a, b in pairs if a in measured and b in measured
    }
    result["ok"] = ok
    text = json.dumps(result, indent=1, default=str)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    print(text)
    return 2 if busy else 0 if ok else 1


def _short(measured: object) -> object:
    """A measurement without its per-user list, for the progress lines."""
    return {k: v for k, v in measured.items() if k != "per_user_ndcg"} if isinstance(measured, dict) else measured
