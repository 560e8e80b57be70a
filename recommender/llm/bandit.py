"""Feedback-driven prompt choice: Thompson sampling over prompt variants (paper 2.3.2).

Each variant of a task has a Beta(1 + successes, 1 + pulls - successes) posterior over "this
request's items got positive feedback". Per request the bandit draws once from every posterior and
uses the variant with the highest draw, so better variants win more often while weaker ones still
get the occasional try, and a new variant starts at the uniform prior.

A pull is counted when the LLM's text was actually shown (a rejected or timed-out output teaches
nothing about the prompt's effect on users); a success when the first positive feedback on that
request arrives. State lives behind `BanditStore`: the SQL store persists it across replicas and
restarts, the in-memory one serves tests and the benchmark.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from typing import Protocol

from recommender.types import VariantStats


class BanditStore(Protocol):
    """Where pulls and rewards are kept."""

    def variant_stats(self, task: str) -> dict[str, VariantStats]:
        """Stats of every variant of `task` seen so far."""
        ...

    def record_pull(self, request_id: str, task: str, variant: str) -> bool:
        """Remember that `variant` served `request_id`; False if that was already recorded."""
        ...

    def record_reward(self, request_id: str) -> list[tuple[str, str]]:
        """Credit each variant that served `request_id` once; returns the (task, variant) credited now."""
        ...


class InMemoryBanditStore:
    """A `BanditStore` in a dict (tests, benchmarks, a process without a database)."""

    def __init__(self) -> None:
        self._stats: dict[tuple[str, str], VariantStats] = {}
        self._assignments: dict[tuple[str, str], tuple[str, bool]] = {}
        self._lock = threading.Lock()

    def variant_stats(self, task: str) -> dict[str, VariantStats]:
        """Stats of every variant of `task`."""
        with self._lock:
            return {v: s for (t, v), s in self._stats.items() if t == task}

    def record_pull(self, request_id: str, task: str, variant: str) -> bool:
        """Count one pull per (request, task)."""
        with self._lock:
            if (request_id, task) in self._assignments:
                return False
            self._assignments[(request_id, task)] = (variant, False)
            old = self._stats.get((task, variant), VariantStats(task, variant))
            self._stats[(task, variant)] = VariantStats(task, variant, old.pulls + 1, old.successes)
            return True

    def record_reward(self, request_id: str) -> list[tuple[str, str]]:
        """Credit the request's variants once."""
        credited = []
        with self._lock:
            for (rid, task), (variant, rewarded) in list(self._assignments.items()):
                if rid != request_id or rewarded:
                    continue
                self._assignments[(rid, task)] = (variant, True)
                old = self._stats[(task, variant)]
                self._stats[(task, variant)] = VariantStats(task, variant, old.pulls, old.successes + 1)
                credited.append((task, variant))
        return credited


class PromptBandit:
    """Thompson sampling over the configured variants of each task."""

    def __init__(
        self, store: BanditStore, variants: Mapping[str, Sequence[str]], rng: random.Random | None = None
    ) -> None:
        self.store = store
        self.variants = {task: list(vs) for task, vs in variants.items()}
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()

    def choose(self, task: str) -> str:
        """One posterior draw per variant; the highest wins (the only variant, if there is one)."""
        variants = self.variants.get(task) or []
        if not variants:
            raise KeyError(f"no prompt variants for task {task!r}")
        if len(variants) == 1:
            return variants[0]
        stats = self.store.variant_stats(task)
        with self._rng_lock:
            draws = {
                v: self._rng.betavariate(s.alpha, s.beta)
                for v in variants
                for s in (stats.get(v, VariantStats(task, v)),)
            }
        return max(variants, key=lambda v: draws[v])

    def record_shown(self, request_id: str, task: str, variant: str) -> None:
        """The variant's text reached the user for this request."""
        self.store.record_pull(request_id, task, variant)

    def record_feedback(self, request_id: str | None, positive: bool) -> list[tuple[str, str]]:
        """Reward the variants that served `request_id` when the feedback is positive."""
        if not request_id or not positive:
            return []
        return self.store.record_reward(request_id)

    def report(self) -> list[VariantStats]:
        """Stats of every configured variant (zeros for ones never shown), task by task."""
        rows: list[VariantStats] = []
        for task, variants in self.variants.items():
            stats = self.store.variant_stats(task)
            names = list(variants) + sorted(set(stats) - set(variants))
            rows.extend(stats.get(v, VariantStats(task, v)) for v in names)
        return rows
