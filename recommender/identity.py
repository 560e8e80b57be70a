"""Pseudonymous user ids: a keyed hash of the channel's sender id, never the raw id."""

from __future__ import annotations

import hashlib
import hmac
import logging
from functools import lru_cache

from recommender.config import DEV_USER_ID_SECRET

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _warn_dev_secret(secret: str) -> None:
    if secret == DEV_USER_ID_SECRET:
        logger.warning("RECSYS_USER_ID_SECRET is not set: user ids are hashed with the development key")


def pseudonymous_id(sender_id: str, secret: str) -> str:
    """HMAC-SHA256 of the sender id; stable for one secret, not reversible without it."""
    _warn_dev_secret(secret)
    digest = hmac.new(secret.encode(), sender_id.encode(), hashlib.sha256).hexdigest()
    return f"u_{digest[:32]}"


def log_id(sender_id: str, secret: str) -> str:
    """How log lines name a user: the first 10 characters of the pseudonymous id ("u_" + 8 hex).

    Never the raw sender id (a channel's user id is personal data); short, but enough to find
    the stored rows, e.g. for `python -m recommender forget --pseudonymous-id`.
    """
    return pseudonymous_id(sender_id, secret)[:10]
