"""Run the retrain job once: train a candidate from the feedback log, evaluate it against the
published version, publish it only if it is not worse, and print the outcome as one JSON object.

Takes the same lease as the scheduler worker's retrain job, so it never runs beside one; with
the lease held elsewhere it prints {"status": "busy", ...} and exits 2. Exit code 0 for
published, rejected or skipped (nothing new; --force retrains anyway).
"""

from __future__ import annotations

import argparse

HELP = "retrain the preference model from the feedback log once (publishes only if not worse)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--force, --database-url."""
    from recommender.commands.common import add_database_argument

    parser.add_argument("--force", action="store_true", help="retrain even when no feedback is new")
    add_database_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Run the job under its lease; print the outcome."""
    import json

    from recommender.commands.common import settings_from
    from recommender.jobs.retrain import retrain
    from recommender.store import get_store
    from recommender.worker.leases import LeaseBusy, holding

    settings = settings_from(args)
    store = get_store(settings)
    try:
        with holding(store, settings, "retrain"):
            outcome = retrain(store, settings, force=args.force)
    except LeaseBusy as busy:
        print(json.dumps({"status": "busy", "reason": str(busy)}))
        return 2
    print(json.dumps(outcome.as_dict()))
    return 0
