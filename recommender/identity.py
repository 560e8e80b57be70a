"""Pseudonymous user ids: a keyed hash of the channel and the channel's sender id, never the raw id.

A user is who a channel says they are: Slack user U123 and a REST caller who posts
`"sender": "U123"` are two people. The key is `<channel>:<sender id>` (`user_key`), and the
REST channel adds its own namespace to every sender id besides (`REST_SENDER_PREFIX`, set by
rasa_addons/rest_channel.py), so a REST caller also never reaches another channel's tracker.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from functools import lru_cache

from recommender.config import DEV_USER_ID_SECRET

logger = logging.getLogger(__name__)

# The REST channel's sender namespace; rasa_addons.security.REST_SENDER_PREFIX is the same
# (the Rasa server cannot import this package; tests/recommender/test_identity.py keeps them equal).
REST_SENDER_PREFIX = "rest:"
UNKNOWN_CHANNEL = "unknown"


def user_key(channel: str | None, sender_id: str) -> str:
    """`<channel>:<sender id>`: who the user is, before hashing (a tracker with no input channel: unknown)."""
    return f"{channel or UNKNOWN_CHANNEL}:{sender_id}"


def channel_user_key(channel: str, sender_id: str) -> str:
    """`user_key` for a sender id as a person would name it: on REST the sender they posted
    (`me`), or the tracker's id (`rest:me`); on every other channel the channel's own id."""
    if channel == "rest" and not sender_id.startswith(REST_SENDER_PREFIX):
        return rest_user_key(sender_id)
    return user_key(channel, sender_id)


def rest_user_key(sender: str) -> str:
    """The key of the user who posts `{"sender": sender}` to the REST channel (tools, tests, replays)."""
    return user_key("rest", REST_SENDER_PREFIX + sender)


@lru_cache(maxsize=4)
def warn_if_development_secret(secret: str) -> bool:
    """Log one WARNING per process when `secret` is the built-in development key; True if it is.

    `Settings.user_id_secret` falls back to that key so that `make run` and local development
    work without configuration; the service calls this when it is created (and `pseudonymous_id`
    on every call, for the commands), so a deployment without the setting says so at start.
    """
    if secret != DEV_USER_ID_SECRET:
        return False
    logger.warning(
        "RECSYS_USER_ID_SECRET is not set: user ids are hashed with the built-in development key, "
        "which is in the source code, so anyone can recompute a user's stored id from their channel id. "
        "Fine for local development; before real users chat, set RECSYS_USER_ID_SECRET (environment or "
        ".env) to a long random value, and keep it: another key turns every returning user into a new one."
    )
    return True


def pseudonymous_id(sender_id: str, secret: str) -> str:
    """HMAC-SHA256 of the sender id; stable for one secret, not reversible without it."""
    warn_if_development_secret(secret)
    digest = hmac.new(secret.encode(), sender_id.encode(), hashlib.sha256).hexdigest()
    return f"u_{digest[:32]}"


def log_id(sender_id: str, secret: str) -> str:
    """How log lines name a user: the first 10 characters of the pseudonymous id ("u_" + 8 hex).

    Never the raw sender id (a channel's user id is personal data); short, but enough to find
    the stored rows, e.g. for `python -m recommender forget --pseudonymous-id`.
    """
    return pseudonymous_id(sender_id, secret)[:10]
