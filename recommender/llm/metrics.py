"""Counters of what the LLM stages did: applied, fell back, why. Cheap, thread-safe, exportable.

The numbers answer "is the LLM helping or just burning CPU?" (share of rejected outputs, timeouts)
without parsing logs. They live in-process; `PrometheusCollector` exposes them to a
`prometheus_client` registry when the action server gets a /metrics endpoint.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any


class LLMCounters:
    """(event, reason) -> count. Events: rerank, reason, reply, followup; reasons say what happened."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def inc(self, event: str, reason: str = "ok", n: int = 1) -> None:
        """Count `n` occurrences of `event` ending as `reason` (ok, timeout, rejected:<code>, ...)."""
        if n:
            with self._lock:
                self._counts[(event, reason)] += n

    def merge(self, other: LLMCounters) -> None:
        """Add another set of counts (a worker's, once its result is actually used)."""
        for (event, reason), n in other.snapshot().items():
            self.inc(event, reason, n)

    def snapshot(self) -> dict[tuple[str, str], int]:
        """A copy of every count."""
        with self._lock:
            return dict(self._counts)

    def get(self, event: str, reason: str | None = None) -> int:
        """One count, or the total over all reasons of `event`."""
        with self._lock:
            if reason is not None:
                return self._counts[(event, reason)]
            return sum(v for (e, _), v in self._counts.items() if e == event)

    def reset(self) -> None:
        """Forget every count (tests, benchmarks)."""
        with self._lock:
            self._counts.clear()


COUNTERS = LLMCounters()


class PrometheusCollector:
    """A custom collector: `prometheus_client.REGISTRY.register(PrometheusCollector())`.

    Exposes `recsys_llm_events_total{event, reason}`; reading happens at scrape time, so nothing is
    duplicated and the counters stay importable without prometheus_client.
    """

    def __init__(self, counters: LLMCounters = COUNTERS) -> None:
        self.counters = counters

    def collect(self) -> Iterator[Any]:
        """Yield one counter family with a sample per (event, reason)."""
        from prometheus_client.core import CounterMetricFamily

        family = CounterMetricFamily(
            "recsys_llm_events", "LLM stage outcomes (ok, fallback reasons)", labels=["event", "reason"]
        )
        for (event, reason), value in sorted(self.counters.snapshot().items()):
            family.add_metric([event, reason], value)
        yield family
