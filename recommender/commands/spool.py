"""Show or replay the local feedback spool: feedback kept on this host while the database was down.

The action server appends a press to `<var_dir>/spool/feedback.jsonl` when the database cannot take
it, and replays the spool by itself once the database answers again (docs/faults.md). This command
prints how many events wait (`--replay`: stores them now, each once, and prints what happened).
Events that can never be stored are kept in `feedback.rejected.jsonl` beside it.
"""

from __future__ import annotations

import argparse

HELP = "show or replay the feedback spool kept while the database was down"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--replay; --database-url."""
    from recommender.commands.common import add_database_argument

    parser.add_argument("--replay", action="store_true", help="store the spooled events in the database now")
    add_database_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Print {"spool": path, "pending": n} (and, with --replay, the replay's outcome); 1 when events are left."""
    import json

    from recommender.commands.common import settings_from
    from recommender.serving.db_guard import DatabaseGuard
    from recommender.serving.feedback_writer import FeedbackWriter
    from recommender.store import get_store
    from recommender.store.spool import FeedbackSpool

    settings = settings_from(args)
    spool = FeedbackSpool(settings.var_dir / "spool", settings.feedback_spool_max_bytes)
    report: dict[str, object] = {"spool": str(spool.path), "pending": spool.pending()}
    if args.replay and report["pending"]:
        store = get_store(settings)
        outcome = FeedbackWriter(store, spool, DatabaseGuard(store, settings.db_retry_seconds)).replay()
        report.update(outcome.as_dict())
        report["pending"] = outcome.left
    print(json.dumps(report))
    return 1 if args.replay and report["pending"] else 0
