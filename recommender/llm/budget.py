"""Turn budgets: the LLM may use what is left of a turn's time, and the fallback is ready when it ends.

A recommendation turn must answer within `turn_budget_ms` on every channel. The LLM work runs in a
small worker pool; the caller waits at most until the deadline and otherwise returns the fallback at
once. On channels that can push a later message, the worker is allowed to finish (bounded by
`llm_timeout_s`) and its result is handed to a follow-up callback instead of being thrown away.
`LatencyEstimate` remembers how long a stage took, so a turn does not wait for what cannot arrive in time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def llm_executor() -> ThreadPoolExecutor:
    """The process-wide pool for LLM calls (2 workers: one turn's call plus one follow-up)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="llm")
        return _executor


@dataclass(frozen=True)
class Deadline:
    """A point in `time.monotonic()` time; the budget left is what every later stage may use."""

    at: float

    @classmethod
    def after_ms(cls, ms: float) -> Deadline:
        """The deadline `ms` milliseconds from now."""
        return cls(time.monotonic() + ms / 1000.0)

    @classmethod
    def after_s(cls, seconds: float) -> Deadline:
        """The deadline `seconds` from now."""
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left (0 when past)."""
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        """Whether no time is left."""
        return time.monotonic() >= self.at

    def share(self, fraction: float) -> Deadline:
        """An earlier deadline that leaves `1 - fraction` of the remaining time to later stages."""
        return Deadline(time.monotonic() + self.remaining() * fraction)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What `run_with_deadline` returns: the value, whether it is the fallback, and why."""

    value: T
    from_fallback: bool
    reason: str  # ok | timeout | error:<ExceptionType>
    seconds: float
    future: Future[T] | None = None


def run_with_deadline(
    fn: Callable[[], T],
    deadline: Deadline,
    fallback: Callable[[], T],
    *,
    on_late: Callable[[T], None] | None = None,
    executor: ThreadPoolExecutor | None = None,
) -> Outcome[T]:
    """Run `fn` in the pool; return its value if it finishes by `deadline`, else `fallback()` at once.

    `fn` should bound its own run time (backends take a timeout): the pool has two workers, and a
    call that never ends would hold one. When the deadline passes and `on_late` is given, it receives
    the value `fn` eventually returns (exceptions are logged, not raised: nobody waits for them);
    with `on_late`, an already expired deadline still starts `fn` and returns the fallback at once.
    """
    started = time.monotonic()
    if deadline.expired and on_late is None:  # nobody would ever see the result: do not start it
        return Outcome(fallback(), True, "timeout", 0.0)
    future = (executor or llm_executor()).submit(fn)
    try:
        value = future.result(timeout=deadline.remaining())
    except FutureTimeout:
        if on_late is not None:
            future.add_done_callback(lambda f: _deliver_late(f, on_late))
        else:
            future.cancel()  # nobody will read it: if it has not started, it never holds a worker
        return Outcome(fallback(), True, "timeout", time.monotonic() - started, future)
    except Exception as exc:
        logger.warning("LLM call failed, using the fallback: %s", exc)
        return Outcome(fallback(), True, f"error:{type(exc).__name__}", time.monotonic() - started, future)
    return Outcome(value, False, "ok", time.monotonic() - started, future)


def _deliver_late(future: Future[T], on_late: Callable[[T], None]) -> None:
    try:
        value = future.result()
    except Exception as exc:
        logger.info("late LLM call ended without a result: %s", exc)
        return
    try:
        on_late(value)
    except Exception:
        logger.exception("follow-up delivery failed")


_PROBE_EVERY = 20
_CUT_OFF_MARGIN = 1.25


class LatencyEstimate:
    """How long an LLM stage takes, to stop waiting for what cannot arrive in time.

    Completed calls feed a moving average. A call cut off by its time limit finished nothing, so
    the time it ran is only a lower bound: it is kept apart (`record_timeout`) and any later budget
    no larger than that is known to be too small. (Recording it as a duration made a local model
    that always runs out of time look exactly as fast as its budget, so every turn waited the whole
    budget again.) Waiting out the budget for output that is late every time only delays the first
    message and keeps the CPU busy; every `_PROBE_EVERY`-th such turn still tries, so a faster
    backend (or a quieter machine) is noticed.
    """

    def __init__(self) -> None:
        self.seconds: float | None = None
        self.timed_out_after: float | None = None  # the longest run that was cut off since the last completion
        self._skipped = 0
        self._lock = threading.Lock()

    def record(self, seconds: float) -> None:
        """Fold one completed call's duration into the average."""
        with self._lock:
            self.seconds = seconds if self.seconds is None else 0.7 * self.seconds + 0.3 * seconds
            self.timed_out_after = None

    def record_timeout(self, seconds: float) -> None:
        """A call ran `seconds` and was cut off: it needs more than that."""
        with self._lock:
            self.timed_out_after = max(seconds, self.timed_out_after or 0.0)

    def over_budget(self, remaining: float) -> bool:
        """Whether to skip waiting: recent calls needed longer than `remaining` seconds."""
        with self._lock:
            too_slow = self.seconds is not None and self.seconds > remaining
            # a call cut off after X seconds needs more than X: a budget less than a quarter above X
            # (the same budget again, give or take scheduling) will not do either
            cut_off = self.timed_out_after is not None and remaining <= _CUT_OFF_MARGIN * self.timed_out_after
            if not (too_slow or cut_off):
                self._skipped = 0
                return False
            self._skipped += 1
            if self._skipped >= _PROBE_EVERY:
                self._skipped = 0
                return False
            return True
