"""Follow-up messages: the LLM's text, delivered after the turn where the channel can push.

A turn answers at once with the ranked items and template reasons. When the LLM finishes later,
the pipeline hands a `FollowUp` to the turn's sink. Which channels can take one and how it
reaches them (Rasa's `trigger_intent` API) is channel knowledge and lives in the actions layer
(`recommender/actions/_followup.py`).
Follow-ups waiting for the LLM are bounded by `FollowUpBacklog` (its drop policy is in its docstring).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from recommender.llm.metrics import LLMCounters

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FollowUp:
    """The LLM-written message for a turn that already answered with template reasons."""

    request_id: str | None
    text: str
    reasons: Mapping[str, str] = field(default_factory=dict)
    prompt_version: str | None = None


class FollowUpWithdrawn(Exception):
    """Raised by a sink to say this follow-up must not be sent (its user asked to be forgotten since).

    The pipeline counts it (`followup`, `forgotten`) and sends nothing; it is not a delivery failure.
    """


class FollowUpSink(Protocol):
    """Where a follow-up goes (called from an LLM worker thread, after the action returned)."""

    def __call__(self, followup: FollowUp) -> None:
        """Deliver the follow-up; raise on failure (the caller logs and counts it)."""
        ...


class FollowUpBacklog:
    """The follow-ups waiting for (or running on) the LLM pool: at most `limit`, the oldest dropped.

    A follow-up enters when its turn's deadline passed without the LLM's text. The pool has two
    workers and a message takes seconds to minutes on a CPU, so without a bound the queue grows
    for as long as push turns come faster than that, and every message arrives later.

    Drop policy: **drop the oldest** that has not started. It is the stalest: its conversation has
    most likely moved on, while the newest belongs to the list the user is reading now, and a
    message that arrives minutes late is what the bound is for. A running call cannot be stopped,
    so when every other entry is already running the newest is refused instead. Either way the
    turn itself already answered with the template reasons; nothing but the nicer wording is lost,
    and every drop is counted (`followup` / `dropped_oldest`, `refused_backlog_full`, `forgotten`).
    """

    def __init__(self, limit: int, counters: Callable[[], LLMCounters]) -> None:
        self.limit = max(1, limit)
        self._counters = counters  # the pipeline's, read at each count (tests swap them)
        self._entries: list[tuple[Future[Any], str | None]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._prune()
            return len(self._entries)

    def add(self, future: Future[Any] | None, owner: str | None) -> bool:
        """Take a pending follow-up in, dropping the oldest queued ones past the limit; False when
        this one was refused (cancelled) instead."""
        if future is None:
            return True
        with self._lock:
            self._prune()
            self._entries.append((future, owner))
            n = 0
            while len(self._entries) > self.limit and n < len(self._entries) - 1:
                oldest, _ = self._entries[n]
                if oldest.cancel():  # only a call that has not started can be
                    del self._entries[n]
                    self._counters().inc("followup", "dropped_oldest")
                    logger.warning("LLM follow-up backlog full (%d): dropped the oldest", self.limit)
                else:
                    n += 1
            if len(self._entries) > self.limit:  # all others running: refuse the newest
                self._entries.pop()
                future.cancel()
                self._counters().inc("followup", "refused_backlog_full")
                logger.warning("LLM follow-up backlog full (%d, all running): refused the newest", self.limit)
                return False
            return True

    def withdraw(self, owner: str) -> int:
        """Cancel the queued follow-ups of `owner` (a user who was forgotten); returns how many."""
        with self._lock:
            cancelled = [f for f, o in self._entries if o == owner and f.cancel()]
            self._entries = [(f, o) for f, o in self._entries if f not in cancelled]
        if cancelled:
            self._counters().inc("followup", "forgotten", len(cancelled))
        return len(cancelled)

    def _prune(self) -> None:
        self._entries = [(f, o) for f, o in self._entries if not f.done()]
