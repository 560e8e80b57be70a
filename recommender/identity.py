"""Pseudonymous user ids: a keyed hash of the channel's sender id, never the raw id."""

from __future__ import annotations

import hashlib
import hmac
import logging
from functools import lru_cache

from recommender.config import DEV_USER_ID_SECRET

logger = logging.getLogger(__name__)


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
