"""Forget a user: delete every row stored about them (feedback, impressions, requests, sessions,
the user row), by the channel's user id (hashed with RECSYS_USER_ID_SECRET into the stored
pseudonymous id, as the bot does). Prints one JSON object with the rows deleted per table.

Models: the next retrain trains without the user and, because rows were deleted, replaces the
published version even without new feedback (see docs/feedback-loop.md). Until then the published
version's files still hold the user's trained vector, but no action server uses it: the one that
handled "forget me" drops it at once, every other one (and any restarted one) at its next model
check (`RECSYS_MODEL_CHECK_SECONDS`), since the user has no user row any more.
"""

from __future__ import annotations

import argparse

HELP = "delete everything stored about one user (by channel user id)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--user (channel id) or --pseudonymous-id, --database-url."""
    from recommender.commands.common import add_database_argument

    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="SENDER_ID", help="the channel's user (sender) id, as Rasa sees it")
    who.add_argument("--pseudonymous-id", metavar="ID", help="the stored id (u_...), e.g. from a log line")
    add_database_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Delete the rows; print {"user": pseudonymous id, "deleted": {table: n}, "total": n}."""
    import json
    import logging

    from recommender.commands.common import settings_from
    from recommender.identity import pseudonymous_id
    from recommender.store import get_store

    settings = settings_from(args)
    user_id = args.pseudonymous_id or pseudonymous_id(args.user, settings.user_id_secret)
    counts = get_store(settings).forget_user(user_id)
    logging.getLogger(__name__).info("forgot user=%s rows=%s", user_id[:10], counts)
    print(json.dumps({"user": user_id, "deleted": counts, "total": sum(counts.values())}))
    return 0
