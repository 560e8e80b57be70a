"""Store: migrations, profile derivation and forgetting, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from recommender.store import Store
from recommender.store.repository import ShownItem

POSTGRES_URL = os.environ.get("RECSYS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _exercise(store: Store) -> None:
    """The same checks on any backend: items, feedback, profile, impressions, forgetting."""
    store.migrate()
    store.migrate()  # idempotent
    store.upsert_items(
        [
            {"item_id": "1", "title": "Toy Story (1995)", "year": 1995, "genres": ["Comedy"]},
            {"item_id": "2", "title": "Heat (1995)", "year": 1995, "genres": ["Action"]},
            {"item_id": "3", "title": "Alien (1979)", "year": 1979, "genres": ["Horror"]},
        ]
    )
    store.upsert_items([{"item_id": "2", "title": "Heat (1995)", "year": 1995, "genres": ["Action", "Crime"]}])
    assert store.count_items() == 3
    assert store.get_item("2").genres == ("Action", "Crime")  # type: ignore[union-attr]
    store.ensure_user_session("u1", "s1")
    store.ensure_user_session("u1", "s1")
    store.log_recommendation(
        request_id="r1", user_id="u1", session_id="s1", query={"q": 1}, model_version="v1",
        shown=[ShownItem("1", 1, 0.9, "a"), ShownItem("2", 2, 0.8, "b")],
    )
    assert [s.item_id for s in store.impressions("r1")] == ["1", "2"]
    store.add_feedback(user_id="u1", item_id="1", kind="like", request_id="r1")
    store.add_feedback(user_id="u1", item_id="2", kind="rating", value=2.0)
    store.add_feedback(user_id="u1", item_id="3", kind="bookmark")
    store.add_feedback(user_id="u1", item_id="1", kind="dislike")  # latest opinion wins
    profile = store.profile("u1", like_threshold=4.0)
    assert profile.liked == ()
    assert set(profile.disliked) == {"1", "2"}
    assert profile.ratings == {"2": 2.0}
    assert profile.bookmarked == ("3",)
    interactions = store.load_interactions()
    assert len(interactions) == 4 and list(interactions.kinds) == ["like", "rating", "bookmark", "dislike"]
    counts = store.forget_user("u1")
    assert counts == {"feedback_events": 4, "impressions": 2, "recommendation_requests": 1, "sessions": 1, "users": 1}
    assert store.count_feedback() == 0


def test_store_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _exercise(Store(f"sqlite:///{tmp_path / 'store.db'}"))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server, dropped afterwards."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"recsys_test_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means no server to test against
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}")
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
def test_store_on_postgres(postgres_url: str) -> None:
    store = Store(postgres_url)
    _exercise(store)
    store.engine.dispose()
