"""Prompt bandit: Thompson sampling learns the better variant; pulls and rewards are counted once;
the SQL store persists them (SQLite and PostgreSQL)."""

from __future__ import annotations

import random

import pytest

from recommender.llm.bandit import (
    InMemoryBanditStore,
    PromptBandit,
    VariantStats,
    is_positive,
)
from recommender.store import Store
from recommender.store.prompt_stats import PromptStatsStore


def simulate(bandit: PromptBandit, rates: dict[str, float], rounds: int, seed: int = 7) -> dict[str, int]:
    """Run `rounds` requests whose items get positive feedback with the chosen variant's rate."""
    rng = random.Random(seed)
    chosen = dict.fromkeys(rates, 0)
    for n in range(rounds):
        variant = bandit.choose("explain")
        chosen[variant] += 1
        bandit.record_shown(f"r{n}", "explain", variant)
        bandit.record_feedback(f"r{n}", rng.random() < rates[variant])
    return chosen


def test_thompson_sampling_moves_traffic_to_the_variant_users_like() -> None:
    bandit = PromptBandit(InMemoryBanditStore(), {"explain": ["explain_v1", "explain_v2"]}, random.Random(1))
    chosen = simulate(bandit, {"explain_v1": 0.15, "explain_v2": 0.45}, rounds=400)
    assert chosen["explain_v2"] > 3 * chosen["explain_v1"]
    stats = {s.variant: s for s in bandit.report()}
    assert stats["explain_v2"].mean > stats["explain_v1"].mean
    assert stats["explain_v1"].pulls > 0  # the weaker one still gets explored


def test_an_unseen_variant_starts_at_the_uniform_prior_and_is_tried() -> None:
    store = InMemoryBanditStore()
    for n in range(50):
        store.record_pull(f"r{n}", "explain", "explain_v1")
    bandit = PromptBandit(store, {"explain": ["explain_v1", "explain_v2"]}, random.Random(3))
    picks = [bandit.choose("explain") for _ in range(50)]
    assert picks.count("explain_v2") > 40  # v1 has 0/50 successes, v2 the prior mean 0.5
    assert VariantStats("explain", "x").mean == 0.5


def test_a_request_is_pulled_and_rewarded_at_most_once() -> None:
    store = InMemoryBanditStore()
    bandit = PromptBandit(store, {"explain": ["explain_v1"]})
    bandit.record_shown("r1", "explain", "explain_v1")
    bandit.record_shown("r1", "explain", "explain_v1")
    assert bandit.record_feedback("r1", positive=True) == [("explain", "explain_v1")]
    assert bandit.record_feedback("r1", positive=True) == []
    assert bandit.record_feedback("r1", positive=False) == []
    assert bandit.record_feedback("unknown", positive=True) == []
    assert store.variant_stats("explain")["explain_v1"] == VariantStats("explain", "explain_v1", 1, 1)


@pytest.mark.parametrize(
    ("kind", "value", "positive"),
    [("like", None, True), ("bookmark", None, True), ("rating", 4.0, True), ("rating", 3.5, False),
     ("dislike", None, False), ("click", None, False), ("unbookmark", None, False)],
)
def test_what_counts_as_positive_feedback(kind: str, value: float | None, positive: bool) -> None:
    assert is_positive(kind, value, like_threshold=4.0) is positive


def _check_sql_store(store: Store) -> None:
    stats = PromptStatsStore(store)
    assert stats.record_pull("r1", "explain", "explain_v1") is True
    assert stats.record_pull("r1", "explain", "explain_v1") is False
    assert stats.record_pull("r2", "explain", "explain_v1") is True
    assert stats.record_pull("r3", "explain", "explain_v2") is True
    assert stats.record_reward("r1") == [("explain", "explain_v1")]
    assert stats.record_reward("r1") == []
    assert stats.record_reward("nope") == []
    again = PromptStatsStore(Store(store.database_url))  # a second process sees the same state
    assert again.variant_stats("explain") == {
        "explain_v1": VariantStats("explain", "explain_v1", 2, 1),
        "explain_v2": VariantStats("explain", "explain_v2", 1, 0),
    }
    assert [s.variant for s in again.all_stats()] == ["explain_v1", "explain_v2"]
    bandit = PromptBandit(again, {"explain": ["explain_v1", "explain_v2", "explain_v3"]})
    assert {s.variant: s.pulls for s in bandit.report()} == {"explain_v1": 2, "explain_v2": 1, "explain_v3": 0}


def test_sql_store_on_sqlite(sqlite_store: Store) -> None:
    _check_sql_store(sqlite_store)


@pytest.mark.postgres
def test_sql_store_on_postgresql(postgres_url: str) -> None:
    store = Store(postgres_url)
    store.migrate()
    try:
        _check_sql_store(store)
    finally:
        store.engine.dispose()
