"""Forget a user: delete every row stored about them (feedback, impressions, requests, sessions,
the user row) and remove them from every kept model version, by the channel's user id (hashed
with RECSYS_USER_ID_SECRET into the stored pseudonymous id, as the bot does). Prints one JSON
object with the rows deleted per table and the number of model versions rewritten.

A user is a channel and that channel's sender id (`recommender.identity.user_key`): `--channel slack
--user U123`; on the REST channel the sender as posted (`--channel rest --user me`). When nothing was
stored about the user, stderr says which database was searched (settings come from the project's
`.env` and `var/secrets.env` wherever the command runs; a different key or database finds nobody).

Feedback kept in this host's spool while the database was down (`recommender.store.spool`) goes
too, before the rows (counted as "feedback_spool").

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
    """--channel and --user, or --pseudonymous-id; --database-url."""
    from recommender.commands.common import add_database_argument

    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="SENDER_ID", help="the user's sender id on --channel, as Rasa sees it")
    who.add_argument("--pseudonymous-id", metavar="ID", help="the stored id (u_...), e.g. from a log line")
    parser.add_argument("--channel", metavar="NAME",
                        help="the channel of --user: rest, socketio, slack, telegram, ... (Rasa's input channel name)")
    add_database_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Delete the rows, then rewrite the model versions; print {"user": pseudonymous id,
    "deleted": {table: n}, "total": n, "model_versions": versions rewritten}."""
    import json
    import logging
    import sys

    from recommender.commands.common import settings_from
    from recommender.identity import channel_user_key, pseudonymous_id
    from recommender.store import get_store
    from recommender.store.db import safe_url
    from recommender.store.spool import FeedbackSpool
    from recommender.training.forget import forget_users_in_versions

    if args.user is not None and not args.channel:
        print("forget --user needs --channel (a user is a channel and its sender id), e.g. --channel rest",
              file=sys.stderr)
        return 2
    settings = settings_from(args)
    user_id = args.pseudonymous_id or pseudonymous_id(channel_user_key(args.channel, args.user),
                                                      settings.user_id_secret)
    # the local feedback spool first, so no replay brings the user's events back
    spooled = FeedbackSpool(settings.var_dir / "spool", settings.feedback_spool_max_bytes).forget_user(user_id)
    counts = get_store(settings).forget_user(user_id)  # first: see training.forget on a retrain running now
    if spooled:
        counts["feedback_spool"] = spooled
    versions = forget_users_in_versions(settings.models_dir, [user_id])
    logging.getLogger(__name__).info("forgot user=%s rows=%s model_versions=%d", user_id[:10], counts, versions)
    print(json.dumps({"user": user_id, "deleted": counts, "total": sum(counts.values()), "model_versions": versions}))
    if not sum(counts.values()) and not versions:
        print(f"nothing was stored about this user in {safe_url(settings.resolved_database_url)} "
              f"or {settings.models_dir} (check --channel, --user and the settings)", file=sys.stderr)
    return 0
