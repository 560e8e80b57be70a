"""`DatabaseGuard`: the turn path's database calls fail soft, and stop being tried while it is down.

A turn reads and writes the database for things it can do without: the user's stored profile,
the user and session rows, the behaviour policy's last action, the impressions log, the periodic
model check. When one of them fails with a database error (down, hung past its timeouts, out of
connections) the guard logs a warning, counts it (`recsys_db_unavailable_total`), returns the
caller's default and *opens*: for `db_retry_seconds` every guarded call returns its default at
once, so only the first turn of an outage waits for a timeout and the others answer from the
loaded model in their usual time. A background probe (`SELECT 1`) closes it again when the
database answers, and then calls `on_recovered` (the feedback spool's replay). An error that
says nothing about the database's health (a constraint or a value it refuses) fails only that
call (`outcome="refused"`) and does not open the guard.

A database that answers the probe but still hangs on one table (a lock held elsewhere) opens the
guard again at the next turn that touches that table: one turn per `db_retry_seconds` then waits
for the statement timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from recommender.llm.bandit import BanditStore
from recommender.observability.metrics import DB_UNAVAILABLE
from recommender.store.db import DATABASE_ERRORS, database_unavailable
from recommender.store.repository import Store
from recommender.types import VariantStats

logger = logging.getLogger(__name__)

T = TypeVar("T")


class DatabaseGuard:
    """Runs optional database calls: the default on a database error, nothing tried while it is down."""

    def __init__(
        self, store: Store, retry_seconds: float, on_recovered: Callable[[], None] | None = None
    ) -> None:
        self.store = store
        self.retry_seconds = retry_seconds
        self.on_recovered = on_recovered
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._probe: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def available(self) -> bool:
        """False while the database is known to be down (guarded calls are skipped)."""
        return time.monotonic() >= self._down_until

    def call(self, operation: str, fn: Callable[[], T], default: T) -> T:
        """`fn()`, or `default` when the database is down or `fn` fails with a database error."""
        if not self.available:
            DB_UNAVAILABLE.labels(operation, "skipped").inc()
            return default
        try:
            return fn()
        except DATABASE_ERRORS as exc:
            if database_unavailable(exc):
                self.failed(operation, exc)
            else:  # this call's data was refused (a constraint, a value): the database itself is fine
                DB_UNAVAILABLE.labels(operation, "refused").inc()
                logger.warning("database refused %s (%s); the turn goes on without it", operation,
                               type(exc).__name__)
            return default

    def failed(self, operation: str, exc: BaseException) -> None:
        """Record a database failure seen by `operation`: warn, count, skip the database for a while."""
        DB_UNAVAILABLE.labels(operation, "failed").inc()
        logger.warning(
            "database unavailable during %s (%s); turns answer without it for %.0f s",
            operation, type(exc).__name__, self.retry_seconds,
        )
        with self._lock:
            self._down_until = time.monotonic() + self.retry_seconds
            if self._probe is None or not self._probe.is_alive():
                self._probe = threading.Thread(target=self._wait_for_database, name="db-probe", daemon=True)
                self._probe.start()

    def close(self) -> None:
        """Stop the background probe (tests; the process's end stops it anyway)."""
        self._stopped.set()

    def _wait_for_database(self) -> None:
        """Probe the database every `retry_seconds` until it answers; then reopen and call `on_recovered`."""
        while not self._stopped.wait(max(0.0, self._down_until - time.monotonic())):
            try:
                self.store.ping()
            except DATABASE_ERRORS as exc:
                logger.info("database still unavailable (%s)", type(exc).__name__)
                with self._lock:
                    self._down_until = time.monotonic() + self.retry_seconds
                continue
            except Exception:  # a probe must never die silently and leave the guard shut
                logger.exception("database probe failed")
                with self._lock:
                    self._down_until = time.monotonic() + self.retry_seconds
                continue
            with self._lock:
                self._down_until = 0.0
            logger.info("database available again")
            if self.on_recovered is not None:
                try:
                    self.on_recovered()
                except Exception:
                    logger.exception("after the database came back")
            return


class GuardedBanditStore:
    """A prompt bandit's store whose reads and writes go through the guard: without the database
    the bandit draws from its prior and a pull or reward is not counted, and the turn goes on."""

    def __init__(self, inner: BanditStore, guard: DatabaseGuard) -> None:
        self.inner = inner
        self.guard = guard

    def variant_stats(self, task: str) -> dict[str, VariantStats]:
        """The inner store's stats; none (the uniform prior) while the database is unavailable."""
        return self.guard.call("prompt_stats", lambda: self.inner.variant_stats(task), {})

    def record_pull(self, request_id: str, task: str, variant: str) -> bool:
        """Count the pull; False (not counted) while the database is unavailable."""
        return self.guard.call("prompt_stats", lambda: self.inner.record_pull(request_id, task, variant), False)

    def record_reward(self, request_id: str) -> list[tuple[str, str]]:
        """Credit the variants; nothing while the database is unavailable."""
        return self.guard.call("prompt_stats", lambda: self.inner.record_reward(request_id), [])
