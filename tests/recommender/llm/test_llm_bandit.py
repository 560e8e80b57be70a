"""Prompt bandit: Thompson sampling learns the better variant; pulls and rewards are counted once;
the SQL store persists them (SQLite and PostgreSQL)."""

from __future__ import annotations

import random

import pytest

from recommender.llm.bandit import (
    InMemoryBanditStore,
    PromptBandit,
    VariantStats,
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


def test_prompts_report_command_prints_variant_stats_and_the_logged_view(
    sqlite_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse
    import json

    from recommender.commands import prompts_report
    from recommender.store.repository import ShownItem

    sqlite_store.upsert_items([{"item_id": "1", "title": "Toy Story (1995)", "year": 1995, "genres": ["Comedy"],
                                "people": [], "description": "", "url": "", "attributes": {}}])
    sqlite_store.ensure_user_session("u1", "u1")
    for request_id, version in (("r1", "explain_v1"), ("r2", "explain_v1"), ("r3", "rerank_pointwise_v1+explain_v2")):
        sqlite_store.log_recommendation(request_id=request_id, user_id="u1", session_id="u1", query={},
                                        model_version="m", shown=[ShownItem("1", 1, 1.0, "r")],
                                        prompt_version=version)
    sqlite_store.add_feedback(user_id="u1", item_id="1", kind="like", request_id="r1")
    sqlite_store.add_feedback(user_id="u1", item_id="1", kind="rating", value=2.0, request_id="r3")
    stats = PromptStatsStore(sqlite_store)
    stats.record_pull("r1", "explain", "explain_v1")
    stats.record_pull("r2", "explain", "explain_v1")
    stats.record_reward("r1")

    parser = argparse.ArgumentParser()
    prompts_report.add_arguments(parser)
    assert prompts_report.run(parser.parse_args(["--database-url", sqlite_store.database_url])) == 0
    report = json.loads(capsys.readouterr().out)
    v1, v2, v3 = report["tasks"]["explain"]  # the configured variants (RECSYS_LLM_PROMPT_VARIANTS)
    assert (v1["variant"], v1["pulls"], v1["successes"], v1["rate"]) == ("explain_v1", 2, 1, 0.5)
    assert (v2["variant"], v2["pulls"]) == ("explain_v2", 0)
    assert (v3["variant"], v3["pulls"]) == ("explain_v3", 0)
    assert v1["ci95"][0] < v1["posterior_mean"] < v1["ci95"][1]
    assert v1["p_best"] + v2["p_best"] + v3["p_best"] == pytest.approx(1.0, abs=1e-3)
    assert report["logged_prompt_versions"] == {
        "explain_v1": {"requests": 2, "with_positive_feedback": 1, "rate": 0.5},
        "rerank_pointwise_v1+explain_v2": {"requests": 1, "with_positive_feedback": 0, "rate": 0.0},
    }
    assert prompts_report.run(parser.parse_args(["--database-url", sqlite_store.database_url, "--table"])) == 0
    assert "explain_v1" in capsys.readouterr().out
