"""Forget a user: delete every row stored about them (feedback, impressions, requests, sessions,
the user row) and remove them from every kept model version, by the channel's user id (hashed
with RECSYS_USER_ID_SECRET into the stored pseudonymous id, as the bot does). Prints one JSON
object with the rows deleted per table and the number of model versions rewritten.

Models: every version folder under the models directory (published, rejected, kept for
rollback) that lists the user is rewritten without their id and their trained per-user state
(`recommender.training.forget`); action servers that load a version from now on get it without
them. One that has the published version in memory stops using the user's vector at its next
model check (`RECSYS_MODEL_CHECK_SECONDS`), since the user has no user row any more, and drops
the old copy when it loads the next version. Aggregate state (item counts and similarities,
network weights) goes at the next retrain, which retrains from scratch and replaces the
published version because a user was forgotten (see docs/feedback-loop.md, Privacy).
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
    """Delete the rows, then rewrite the model versions; print {"user": pseudonymous id,
    "deleted": {table: n}, "total": n, "model_versions": versions rewritten}."""
    import json
    import logging

    from recommender.commands.common import settings_from
    from recommender.identity import pseudonymous_id
    from recommender.store import get_store
    from recommender.training.forget import forget_users_in_versions

    settings = settings_from(args)
    user_id = args.pseudonymous_id or pseudonymous_id(args.user, settings.user_id_secret)
    counts = get_store(settings).forget_user(user_id)  # first: see training.forget on a retrain running now
    versions = forget_users_in_versions(settings.models_dir, [user_id])
    logging.getLogger(__name__).info("forgot user=%s rows=%s model_versions=%d", user_id[:10], counts, versions)
    print(json.dumps({"user": user_id, "deleted": counts, "total": sum(counts.values()), "model_versions": versions}))
    return 0
