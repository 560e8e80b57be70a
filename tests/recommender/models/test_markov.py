"""The Markov model of user actions: hand-counted estimates, the decisions, the store's action log."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from recommender.models.action_log import action_sequences
from recommender.models.markov import (
    ACTIONS,
    ActionPolicy,
    ActionSequence,
    MarkovActionModel,
    last_action,
    sequences_from_store,
)
from recommender.store import Store
from recommender.store.repository import ShownItem

AT = {a: n for n, a in enumerate(ACTIONS)}

SEQUENCES = [
    ActionSequence("s1", ("ignore", "ignore", "click", "like")),
    ActionSequence("s2", ("ignore", "rate")),
    ActionSequence("s3", ("bookmark",)),
    ActionSequence("s4", ()),
]


def test_counts_match_hand_counts() -> None:
    model = MarkovActionModel(alpha=1.0).fit(SEQUENCES)
    expected = np.zeros((6, 6), dtype=np.int64)
    expected[AT["ignore"], AT["ignore"]] = 1
    expected[AT["ignore"], AT["click"]] = 1
    expected[AT["click"], AT["like"]] = 1
    expected[AT["ignore"], AT["rate"]] = 1
    np.testing.assert_array_equal(model.counts, expected)
    np.testing.assert_array_equal(model.start_counts, [2, 0, 0, 0, 1, 0])
    assert model.n_transitions == 4


def test_add_alpha_probabilities_by_hand() -> None:
    p = MarkovActionModel(alpha=1.0).fit(SEQUENCES).transition_matrix()
    # row "ignore": 3 transitions (ignore 1, click 1, rate 1) + 6 pseudo-counts
    assert p[AT["ignore"], AT["ignore"]] == pytest.approx(2 / 9)
    assert p[AT["ignore"], AT["click"]] == pytest.approx(2 / 9)
    assert p[AT["ignore"], AT["rate"]] == pytest.approx(2 / 9)
    assert p[AT["ignore"], AT["like"]] == pytest.approx(1 / 9)
    # row "click": 1 transition (like)
    assert p[AT["click"], AT["like"]] == pytest.approx(2 / 7)
    assert p[AT["click"], AT["dislike"]] == pytest.approx(1 / 7)
    # a row never left is uniform
    np.testing.assert_allclose(p[AT["dislike"]], np.full(6, 1 / 6))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    half = MarkovActionModel(alpha=0.5).fit(SEQUENCES).transition_matrix()
    assert half[AT["ignore"], AT["click"]] == pytest.approx(1.5 / 6)


def test_start_distribution_and_unknown_last_action() -> None:
    model = MarkovActionModel(alpha=1.0).fit(SEQUENCES)
    start = model.start_distribution()
    assert start[AT["ignore"]] == pytest.approx(3 / 9)
    assert start[AT["bookmark"]] == pytest.approx(2 / 9)
    assert model.next_action(None) == pytest.approx(dict(zip(ACTIONS, start, strict=True)))
    assert model.next_action("no-such-action") == model.next_action(None)
    assert model.p_engage("ignore") == pytest.approx(1 - 2 / 9)


def test_sequences_are_not_joined_across_sessions() -> None:
    model = MarkovActionModel().fit([("like",), ("dislike",)])
    assert model.n_transitions == 0


def test_unknown_action_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown actions"):
        ActionSequence("s", ("ignore", "purchase"))
    with pytest.raises(ValueError, match="alpha"):
        MarkovActionModel(alpha=0)


def test_save_load_round_trip(tmp_path: Path) -> None:
    model = MarkovActionModel(alpha=0.3).fit(SEQUENCES)
    model.save(tmp_path / "markov.json")
    loaded = MarkovActionModel.load(tmp_path / "markov.json")
    np.testing.assert_array_equal(loaded.transition_matrix(), model.transition_matrix())
    np.testing.assert_array_equal(loaded.start_distribution(), model.start_distribution())
    (tmp_path / "other.json").write_text('{"model": "something-else"}')
    with pytest.raises(ValueError, match="not a Markov"):
        MarkovActionModel.load(tmp_path / "other.json")


def _chain(p_ignore_after_ignore: int, p_ignore_after_like: int, n: int = 100) -> MarkovActionModel:
    """A model whose counts make P(ignore | ignore) and P(ignore | like) about the given percentages."""
    model = MarkovActionModel(alpha=1e-9)
    model.counts[AT["ignore"], AT["ignore"]] = p_ignore_after_ignore * n
    model.counts[AT["ignore"], AT["click"]] = (100 - p_ignore_after_ignore) * n
    model.counts[AT["like"], AT["ignore"]] = p_ignore_after_like * n
    model.counts[AT["like"], AT["like"]] = (100 - p_ignore_after_like) * n
    return model


def test_items_to_show_walks_the_chain() -> None:
    # P(ignore | ignore) = 0.9, P(ignore | like) = 0.5
    policy = ActionPolicy(_chain(90, 50), target=0.8, min_k=1, max_k=50)
    # after a like: P(all k ignored) = 0.5 * 0.9^(k-1) <= 0.2  <=>  k - 1 >= log(0.4)/log(0.9) = 8.7  -> k = 10
    assert policy.items_to_show("like", default_k=5) == 10
    assert 0.5 * 0.9**9 <= 0.2 < 0.5 * 0.9**8
    # after an ignore: 0.9^k <= 0.2  <=>  k >= 15.3  -> k = 16
    assert policy.items_to_show("ignore", default_k=5) == 16
    # clipped to max_k
    assert ActionPolicy(_chain(90, 50), max_k=10).items_to_show("ignore", default_k=5) == 10
    # an engaged user needs only the minimum
    assert ActionPolicy(_chain(90, 10), target=0.8, min_k=3).items_to_show("like", default_k=5) == 3


def test_should_ask_when_engagement_is_unlikely() -> None:
    policy = ActionPolicy(_chain(95, 50), ask_below=0.15)
    assert policy.should_ask_before_recommending("ignore")  # P(engage) = 0.05
    assert not policy.should_ask_before_recommending("like")  # P(engage) = 0.5
    decision = policy.decide("ignore", default_k=5)
    assert decision.ask_first and decision.evidence and decision.p_engage == pytest.approx(0.05, abs=1e-3)


def test_without_evidence_the_policy_keeps_the_defaults() -> None:
    policy = ActionPolicy(MarkovActionModel().fit(SEQUENCES), min_transitions=50)
    assert not policy.has_evidence
    assert policy.items_to_show("ignore", default_k=7) == 7
    assert not policy.should_ask_before_recommending("ignore")


def test_store_action_sequences_from_impressions_and_feedback(sqlite_store: Store) -> None:
    check_action_sequences(sqlite_store)


@pytest.mark.postgres
def test_store_action_sequences_on_postgres(postgres_url: str) -> None:
    store = Store(postgres_url)
    store.migrate()
    try:
        check_action_sequences(store)
    finally:
        store.engine.dispose()


def check_action_sequences(store: Store) -> None:
    """Impressions, reactions, a second reaction, an unbookmark, a named item, imported ratings."""
    store.upsert_items([{"item_id": str(i), "title": f"Film {i}"} for i in range(1, 7)])
    store.ensure_user_session("u1", "s1")
    # MovieLens-style imported feedback (no session, no request) is not part of any conversation
    store.add_feedback(user_id="u1", item_id="6", kind="rating", value=4.0, source="movielens")
    shown = [ShownItem(str(i), pos, 1.0, "") for pos, i in enumerate((1, 2, 3), start=1)]
    store.log_recommendation(request_id="r1", user_id="u1", session_id="s1", query={}, model_version="v", shown=shown)
    time.sleep(0.01)
    store.add_feedback(user_id="u1", item_id="2", kind="click", request_id="r1", session_id="s1")
    time.sleep(0.01)
    store.add_feedback(user_id="u1", item_id="2", kind="rating", value=5.0, request_id="r1", session_id="s1")
    time.sleep(0.01)
    store.add_feedback(user_id="u1", item_id="2", kind="unbookmark", session_id="s1")
    time.sleep(0.01)
    store.log_recommendation(request_id="r2", user_id="u1", session_id="s1", query={}, model_version="v",
                             shown=[ShownItem("4", 1, 1.0, ""), ShownItem("5", 2, 1.0, "")])
    time.sleep(0.01)
    store.add_feedback(user_id="u1", item_id="5", kind="bookmark", request_id="r2", session_id="s1")
    time.sleep(0.01)
    store.add_feedback(user_id="u1", item_id="6", kind="like", session_id="s1")  # named, never shown

    sequences = action_sequences(store.conversation_events())
    assert list(sequences) == ["s1"]
    steps = [(a.action, a.item_id) for a in sequences["s1"]]
    assert steps == [
        ("ignore", "1"), ("click", "2"), ("ignore", "3"),  # first list, in shown order
        ("rate", "2"),  # a second reaction to item 2 is a step of its own
        ("ignore", "4"), ("bookmark", "5"),
        ("like", "6"),
    ]
    times = [a.timestamp for a in sequences["s1"]]
    assert times[:3] == sorted(times[:3])
    model = MarkovActionModel.from_store(store)
    assert model.n_transitions == 6
    assert sequences_from_store(store)[0].actions == tuple(a for a, _ in steps)
    # one session alone, and its last action for the policy
    store.ensure_user_session("u2", "s2")
    store.log_recommendation(request_id="r3", user_id="u2", session_id="s2", query={}, model_version="v",
                             shown=[ShownItem("1", 1, 1.0, "")])
    assert list(action_sequences(store.conversation_events())) == ["s1", "s2"]
    assert list(action_sequences(store.conversation_events(session_id="s2"))) == ["s2"]
    assert last_action(store, "s2") == "ignore"
    assert last_action(store, "s1") == "like"
    assert last_action(store, "nobody") is None
