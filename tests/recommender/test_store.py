"""Store: migrations, profile derivation and forgetting, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC

import pytest

from recommender.profile import load_profile
from recommender.store import Store
from recommender.store.repository import ShownItem


def _exercise(store: Store) -> None:
    """The same checks on any backend: items, feedback, profile, impressions, forgetting."""
    store.migrate()
    store.migrate()  # idempotent
    store.upsert_items(
        [
            {
                "item_id": "1",
                "title": "Toy Story (1995)",
                "year": 1995,
                "genres": ["Comedy"],
            },
            {
                "item_id": "2",
                "title": "Heat (1995)",
                "year": 1995,
                "genres": ["Action"],
            },
            {
                "item_id": "3",
                "title": "Alien (1979)",
                "year": 1979,
                "genres": ["Horror"],
            },
        ]
    )
    store.upsert_items(
        [
            {
                "item_id": "2",
                "title": "Heat (1995)",
                "year": 1995,
                "genres": ["Action", "Crime"],
            }
        ]
    )
    assert store.count_items() == 3
    assert store.get_item("2").genres == ("Action", "Crime")  # type: ignore[union-attr]
    store.ensure_user_session("u1", "s1")
    store.ensure_user_session("u1", "s1")
    store.log_recommendation(
        request_id="r1",
        user_id="u1",
        session_id="s1",
        query={"q": 1},
        model_version="v1",
        shown=[ShownItem("1", 1, 0.9, "a"), ShownItem("2", 2, 0.8, "b")],
    )
    assert [s.item_id for s in store.impressions("r1")] == ["1", "2"]
    store.add_feedback(user_id="u1", item_id="1", kind="like", request_id="r1")
    store.add_feedback(user_id="u1", item_id="2", kind="rating", value=2.0)
    store.add_feedback(user_id="u1", item_id="3", kind="bookmark")
    store.add_feedback(user_id="u1", item_id="1", kind="dislike")  # latest opinion wins
    profile = load_profile(store, "u1", like_threshold=4.0)
    assert profile.liked == ()
    assert set(profile.disliked) == {"1", "2"}
    assert profile.ratings == {"2": 2.0}
    assert profile.bookmarked == ("3",)
    interactions = store.load_interactions()
    assert len(interactions) == 4 and list(interactions.kinds) == [
        "like",
        "rating",
        "bookmark",
        "dislike",
    ]
    assert store.users_forgotten_count() == 0
    counts = store.forget_user("u1")
    assert counts == {
        "feedback_events": 4,
        "impressions": 2,
        "recommendation_requests": 1,
        "sessions": 1,
        "users": 1,
    }
    assert store.count_feedback() == 0
    assert store.users_forgotten_count() == 1  # counted in the same transaction, no id kept
    assert store.forget_user("u1")["users"] == 0  # nobody left to forget: the count stays
    assert store.users_forgotten_count() == 1


def test_store_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _exercise(Store(f"sqlite:///{tmp_path / 'store.db'}"))


@pytest.mark.postgres
def test_store_on_postgres(postgres_url: str) -> None:
    store = Store(postgres_url)
    _exercise(store)
    store.engine.dispose()


def test_sqlite_times_read_back_as_utc_whatever_the_local_zone(
    tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """SQLite drops the zone of stored UTC times; reading them as local time shifted every timestamp."""
    import time
    from datetime import datetime

    store = Store(f"sqlite:///{tmp_path / 'tz.db'}")
    store.migrate()
    store.upsert_items([{"item_id": "1", "title": "Toy Story (1995)"}])
    store.ensure_user_session("u", None)
    store.add_feedback_bulk(
        [
            {
                "user_id": "u",
                "item_id": "1",
                "kind": "like",
                "created_at": datetime(2000, 1, 1, tzinfo=UTC),
            }
        ]
    )
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert store.load_interactions().timestamps[0] == 946684800.0
    finally:
        monkeypatch.undo()
        time.tzset()


def _schema_differences(store: Store) -> list[object]:
    """What Alembic's autogenerate would still change after every migration ran."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from recommender.store.models import Base

    store.migrate()
    with store.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def test_the_migrations_build_exactly_the_models_schema_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _schema_differences(Store(f"sqlite:///{tmp_path / 'store.db'}")) == []


@pytest.mark.postgres
def test_the_migrations_build_exactly_the_models_schema_on_postgres(postgres_url: str) -> None:
    store = Store(postgres_url)
    assert _schema_differences(store) == []
    store.engine.dispose()
