"""Replay: title matching across MovieLens releases, the held-out split, payloads, sent == stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from recommender.eval.replay import SentFeedback, click_for, feedback_for, shown_items, verify_stored
from recommender.eval.replay_data import ReplayEvent, load_ml_latest_small_users, map_to_catalog, title_key
from recommender.identity import pseudonymous_id, rest_user_key
from recommender.store import Store
from recommender.store.repository import ShownItem
from recommender.types import Item

CATALOG = [
    Item(item_id="1", title="Toy Story (1995)", year=1995, genres=("Comedy",)),
    Item(item_id="2", title="American President, The (1995)", year=1995, genres=("Drama",)),
    Item(item_id="3", title="Seven (Se7en) (1995)", year=1995, genres=("Thriller",)),
    Item(item_id="4", title="Fargo (1996)", year=1996, genres=("Crime",)),
    Item(item_id="5", title="Heat (1995)", year=1995, genres=("Action",)),
]


def test_title_key_joins_both_spellings() -> None:
    assert title_key("American President, The (1995)") == ("the american president", 1995)
    assert title_key("Seven (a.k.a. Se7en) (1995)") == title_key("Seven (Se7en) (1995)") == ("seven", 1995)
    assert title_key("Heat (1995)") != title_key("Heat (1986)")


def test_map_to_catalog_needs_title_and_year() -> None:
    source = {"10": "Toy Story (1995)", "11": "American President, The (1995)", "12": "Fargo (1997)",
              "13": "Unknown (2001)"}
    assert map_to_catalog(source, CATALOG) == {"10": "1", "11": "2"}


def test_feedback_payloads_are_the_bots_own() -> None:
    assert feedback_for(ReplayEvent("50", 4.5, 0)) == SentFeedback(
        "50", "like", None, '/feedback{"item_id":"50","kind":"like"}')
    assert feedback_for(ReplayEvent("50", 1.5, 0)).message == '/feedback{"item_id":"50","kind":"dislike"}'
    rating = feedback_for(ReplayEvent("50", 3.5, 0))
    assert (rating.kind, rating.value) == ("rating", 3.5)
    assert rating.message == '/feedback{"item_id":"50","kind":"rating","rating":"3.5"}'
    assert click_for("7").message == '/feedback{"item_id":"7","kind":"click"}'


def test_shown_items_reads_the_rest_payload() -> None:
    reply = [{"text": "Here"}, {"custom": {"type": "recommendations", "items": [{"item_id": "4"}, {"item_id": "5"}]}}]
    assert shown_items(reply) == ["4", "5"]
    assert shown_items([{"text": "hi"}]) == []


def test_users_replay_the_older_ratings_and_hold_out_the_newest_liked(tmp_path: Path) -> None:
    (tmp_path / "movies.csv").write_text(
        "movieId,title,genres\n10,Toy Story (1995),C\n11,\"American President, The (1995)\",D\n"
        "12,Seven (a.k.a. Se7en) (1995),T\n13,Fargo (1996),C\n14,Heat (1995),A\n15,Other (2010),D\n"
    )
    (tmp_path / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n"
        "1,10,4.0,1\n1,11,2.0,2\n1,12,3.5,3\n1,15,5.0,4\n1,13,5.0,5\n"  # newest: 13 (liked) held out
        "2,10,4.0,1\n2,11,4.0,2\n2,12,3.0,3\n2,13,2.0,4\n"  # newest 13 not liked: no user
        "3,10,5.0,1\n"  # too few
    )
    users = load_ml_latest_small_users(tmp_path, CATALOG, n_users=10, seed=0, holdout=0.25, min_events=3)
    assert [u.source_id for u in users] == ["1"]
    assert [e.item_id for e in users[0].events] == ["1", "2", "3"]
    assert users[0].held_out == frozenset({"4"})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The small catalog in a migrated store, on SQLite and on a real PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'r.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store(url)
    store.migrate()
    store.upsert_items([{"item_id": i.item_id, "title": i.title, "year": i.year, "genres": list(i.genres),
                         "people": [], "description": "", "url": "", "attributes": {}} for i in CATALOG])
    yield store
    store.engine.dispose()


def test_sent_equals_stored_is_checked_row_by_row(any_store: Store) -> None:
    store = any_store
    uid = pseudonymous_id(rest_user_key("replay-x-1"), "s3cret")
    store.ensure_user_session(uid, uid)
    store.add_feedback(user_id=uid, item_id="1", kind="like", value=None, request_id=None, session_id=uid)
    store.add_feedback(user_id=uid, item_id="2", kind="rating", value=3.5, request_id=None, session_id=uid)
    sent = {"replay-x-1": [SentFeedback("1", "like", None, ""), SentFeedback("2", "rating", 3.5, "")]}
    assert verify_stored(store, "s3cret", sent) == {
        "sent": 2, "stored": 2, "mismatched_users": 0, "ok": True, "examples": []}
    sent["replay-x-1"].append(SentFeedback("3", "like", None, ""))
    check = verify_stored(store, "s3cret", sent)
    assert not check["ok"] and check["mismatched_users"] == 1 and check["sent"] == 3


@pytest.mark.realdata
def test_ml_latest_small_maps_onto_movielens_100k_titles() -> None:
    from recommender.config import get_settings
    from recommender.eval.datasets import load_movielens100k

    settings = get_settings()
    folder = settings.shared_data_dir / "ml-latest-small"
    if not (folder / "ratings.csv").is_file():
        pytest.skip(f"{folder} not present")
    items = load_movielens100k(settings).items
    users = load_ml_latest_small_users(folder, items, n_users=300, seed=42)
    assert len(users) == 300
    assert all(u.held_out and not u.held_out & {e.item_id for e in u.events} for u in users)


def test_the_version_of_a_logged_request_is_read_back(any_store: Store) -> None:
    any_store.ensure_user_session("u1", "u1")
    any_store.log_recommendation(request_id="r1", user_id="u1", session_id="u1", query={}, model_version="v42",
                                 shown=[ShownItem("1", 1, 0.5, "because")])
    assert any_store.request_model_version("r1") == "v42"
    assert any_store.request_model_version("nope") is None


def test_retrain_metrics_read_the_newest_version_row(any_store: Store) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from recommender.observability import metrics

    any_store.add_model_version(version="v1", status="published", path="/x", trained_on_events=1, last_event_id=1,
                                train_seconds=3.5, metrics={}, reason="ok")
    metrics.register_store(lambda: any_store)
    try:
        samples = {s.name: s for f in text_string_to_metric_families(metrics.exposition().decode()) for s in f.samples}
    finally:
        metrics.register_store(lambda: None)
    assert samples["recsys_last_retrain_duration_seconds"].value == 3.5
    assert samples["recsys_published_model_info"].labels == {"version": "v1"}
