"""The shared sent == stored feedback check catches a lost, extra, reordered or changed event."""

from __future__ import annotations

import pytest
from feedback_checks import assert_stored_feedback

from recommender.store import Store


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    """The empty SQLite store with items 1-3 (feedback rows need their items)."""
    sqlite_store.upsert_items([{"item_id": i, "title": f"Item {i}", "year": 2000, "genres": [], "people": [],
                                "description": "", "url": "", "attributes": {}} for i in ("1", "2", "3")])
    return sqlite_store


def test_stored_rows_equal_the_sent_events_in_order(store: Store) -> None:
    store.add_feedback(user_id="u1", item_id="1", kind="like")
    store.add_feedback(user_id="u2", item_id="2", kind="rating", value=4.0)
    store.add_feedback(user_id="u1", item_id="3", kind="bookmark")
    sent = [("u1", "1", "like", None), ("u2", "2", "rating", 4), ("u1", "3", "bookmark", None)]
    assert_stored_feedback(store, sent)
    assert_stored_feedback(store.database_url, sent)  # a database URL works too
    assert_stored_feedback(store, [], users=["nobody"])


@pytest.mark.parametrize(
    "sent",
    [
        [("u1", "1", "like", None)],  # one event stored but not sent
        [("u1", "1", "like", None), ("u1", "2", "like", None), ("u1", "2", "like", None)],  # one lost
        [("u1", "2", "like", None), ("u1", "1", "like", None)],  # order
        [("u1", "1", "dislike", None), ("u1", "2", "like", None)],  # kind
        [("u1", "1", "like", 5.0), ("u1", "2", "like", None)],  # value
    ],
)
def test_any_difference_fails(store: Store, sent: list[tuple[str, str, str, float | None]]) -> None:
    store.add_feedback(user_id="u1", item_id="1", kind="like")
    store.add_feedback(user_id="u1", item_id="2", kind="like")
    with pytest.raises(AssertionError, match="stored feedback differs"):
        assert_stored_feedback(store, sent)


def test_rows_left_for_a_forgotten_user_fail(store: Store) -> None:
    store.add_feedback(user_id="u1", item_id="1", kind="like")
    with pytest.raises(AssertionError):
        assert_stored_feedback(store, [], users=["u1"])
