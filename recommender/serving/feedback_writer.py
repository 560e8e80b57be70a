"""`FeedbackWriter`: a press is stored once, and never lost when the database is down or hung.

    key = feedback_key(user, Rasa message id of the press, item, kind)
    store.add_feedback(..., idempotency_key=key)        # a second insert with the key: a no-op
      on a database error -> spool.append(event)        # fsync'd; the user still gets the ack
    spooled events -> store.add_feedback(same key)      # when the database answers again

The replay runs in a background thread after the next successful write, when the database guard
sees the database come back, and on demand (`python -m recommender spool --replay`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from datetime import datetime

from recommender.errors import RecommenderError
from recommender.observability.metrics import FEEDBACK_SPOOL
from recommender.serving.db_guard import DatabaseGuard
from recommender.store.db import DATABASE_ERRORS, database_unavailable
from recommender.store.models import utcnow
from recommender.store.repository import Store
from recommender.store.spool import FeedbackSpool, ReplayOutcome, SpooledFeedback, SpoolFullError, StoreStillDown

logger = logging.getLogger(__name__)


class FeedbackNotStoredError(RecommenderError):
    """Neither the database nor the local spool took the feedback (the user is asked to try again)."""


def feedback_key(user_id: str, message_id: object, item_id: str, kind: str) -> str:
    """The idempotency key of one press: the same user, message, item and kind give the same key.

    Without a message id (a caller outside Rasa) the key is random: it still keeps a spooled event
    from being stored twice, but a repeated call is a new event.
    """
    if not message_id:
        return uuid.uuid4().hex + uuid.uuid4().hex
    parts = ("feedback-v1", user_id, str(message_id), item_id, kind)  # a channel may send a number
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class FeedbackWriter:
    """Writes feedback events to the store, or to the spool while the store cannot take them."""

    def __init__(self, store: Store, spool: FeedbackSpool, guard: DatabaseGuard) -> None:
        self.store = store
        self.spool = spool
        self.guard = guard
        self._replaying = threading.Lock()

    def write(
        self, *, user_id: str, item_id: str, kind: str, value: float | None, request_id: str | None,
        session_id: str | None, message_id: object, created_at: datetime | None = None,
    ) -> bool:
        """Store one press; True when it went to the database, False when it was spooled (or was a repeat).

        Raises `FeedbackNotStoredError` only when the spool cannot take it either (full, disk error).
        """
        event = SpooledFeedback(
            idempotency_key=feedback_key(user_id, message_id, item_id, kind), user_id=user_id, item_id=item_id,
            kind=kind, value=value, request_id=request_id, session_id=session_id,
            created_at=(created_at or utcnow()).isoformat(),
        )
        if self.guard.available:
            try:
                self.store.add_feedback(**event.store_arguments())
            except DATABASE_ERRORS as exc:
                if database_unavailable(exc):
                    self.guard.failed("feedback", exc)
                else:  # kept all the same; its replay sets it aside if it can never be stored
                    logger.warning("feedback refused by the database (%s); spooled", type(exc).__name__)
            else:
                if self.spool.size():
                    self.replay_in_background()
                return True
        self._spool(event)
        return False

    def _spool(self, event: SpooledFeedback) -> None:
        try:
            self.spool.append(event)
        except (SpoolFullError, OSError, TimeoutError) as exc:  # TimeoutError: the spool's lock file
            FEEDBACK_SPOOL.labels("refused").inc()
            logger.error("feedback of user=%s could not be stored or spooled: %s", event.user_id[:10], exc)
            raise FeedbackNotStoredError(f"feedback not stored: the database and the spool refused it ({exc})") from exc
        FEEDBACK_SPOOL.labels("spooled").inc()
        logger.warning("database unavailable: feedback of user=%s spooled (key %s)", event.user_id[:10],
                       event.idempotency_key[:12])

    def replay(self) -> ReplayOutcome:
        """Store every spooled event now (stops at the first database error; the rest stays spooled)."""

        def write(event: SpooledFeedback) -> bool:
            try:
                return self.store.add_feedback(**event.store_arguments())
            except DATABASE_ERRORS as exc:
                if database_unavailable(exc):
                    raise StoreStillDown(type(exc).__name__) from exc
                raise  # this event cannot be stored even with the database up: set aside

        with self._replaying:
            outcome = self.spool.replay(write)
        for name in ("stored", "duplicate", "rejected"):
            count = getattr(outcome, "duplicates" if name == "duplicate" else name)
            if count:
                FEEDBACK_SPOOL.labels(name).inc(count)
        if outcome.stored or outcome.duplicates or outcome.rejected or outcome.stopped:
            logger.info("feedback spool replayed: %s", outcome.as_dict())
        return outcome

    def replay_in_background(self) -> None:
        """Start a replay in a daemon thread unless one is running."""
        if self._replaying.locked():
            return
        threading.Thread(target=self._replay_logged, name="feedback-spool-replay", daemon=True).start()

    def _replay_logged(self) -> None:
        try:
            self.replay()
        except Exception:
            logger.exception("replaying the feedback spool failed; tried again after the next write")

    def forget_user(self, user_id: str) -> int:
        """Drop the user's spooled events (before the database forgets them, so no replay brings them back)."""
        return self.spool.forget_user(user_id)

