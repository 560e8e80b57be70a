"""The retention job purges raw chat events older than `retention_days`, and nothing else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from recommender.config import Settings
from recommender.jobs.retention import purge_old_events
from recommender.store import Store
from recommender.store.models import (
    FeedbackEventRow,
    ImpressionRow,
    RecommendationRequestRow,
    SessionRow,
    UserRow,
    utcnow,
)
from recommender.store.repository import ShownItem

ITEMS = [{"item_id": str(n), "title": f"Film {n} (2000)", "year": 2000, "genres": ["Drama"], "people": [],
          "description": "", "url": "", "attributes": {}} for n in range(1, 5)]


def _count(store: Store, table: type, *where: object) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)  # type: ignore[arg-type]


def _log_turn(store: Store, user: str, request_id: str) -> None:
    store.ensure_user_session(user, user)
    store.log_recommendation(request_id=request_id, user_id=user, session_id=user, query={}, model_version="v",
                             shown=[ShownItem("1", 1, 1.0, "r"), ShownItem("2", 2, 0.5, "r")])
    store.add_feedback(user_id=user, item_id="1", kind="like", request_id=request_id, session_id=user)


def _age(store: Store, user: str, days: float) -> None:
    """Move every timestamp of `user`'s chat rows `days` into the past."""
    moment = utcnow() - timedelta(days=days)
    with store.engine.begin() as conn:
        for table, column in ((FeedbackEventRow, FeedbackEventRow.created_at),
                              (ImpressionRow, ImpressionRow.created_at),
                              (RecommendationRequestRow, RecommendationRequestRow.created_at),
                              (SessionRow, SessionRow.last_seen_at)):
            conn.execute(update(table).where(table.user_id == user).values({column.key: moment}))


def test_purges_only_old_chat_events(job_store: Store, job_settings: Settings) -> None:
    store = job_store
    store.upsert_items(ITEMS)
    store.upsert_users([{"user_id": "ml:1", "source": "movielens"}])
    old_import = utcnow() - timedelta(days=4000)
    store.add_feedback_bulk([{"user_id": "ml:1", "item_id": "3", "kind": "rating", "value": 4.0,
                              "source": "movielens", "created_at": old_import}])
    _log_turn(store, "u_old", "req-old")
    _log_turn(store, "u_new", "req-new")
    _age(store, "u_old", days=40)
    _age(store, "u_new", days=5)
    settings = job_settings.model_copy(update={"retention_days": 30})

    outcome = purge_old_events(store, settings)

    assert outcome.deleted == {"impressions": 2, "recommendation_requests": 1, "feedback_events": 1, "sessions": 1}
    assert _count(store, FeedbackEventRow, FeedbackEventRow.user_id == "u_old") == 0
    assert _count(store, ImpressionRow, ImpressionRow.user_id == "u_old") == 0
    assert _count(store, RecommendationRequestRow, RecommendationRequestRow.user_id == "u_old") == 0
    # recent chat events and imported data of any age stay; users and items are not raw events
    assert _count(store, FeedbackEventRow, FeedbackEventRow.user_id == "u_new") == 1
    assert _count(store, ImpressionRow, ImpressionRow.user_id == "u_new") == 2
    assert _count(store, FeedbackEventRow, FeedbackEventRow.source == "movielens") == 1
    assert _count(store, UserRow) == 3
    assert outcome.as_dict()["cutoff"] is not None
    # idempotent: a second run finds nothing more to purge
    assert sum(purge_old_events(store, settings).deleted.values()) == 0


def test_zero_days_keeps_everything(job_store: Store, job_settings: Settings) -> None:
    job_store.upsert_items(ITEMS)
    _log_turn(job_store, "u_old", "req-old")
    _age(job_store, "u_old", days=10_000)
    outcome = purge_old_events(job_store, job_settings.model_copy(update={"retention_days": 0}))
    assert outcome.deleted == {} and outcome.cutoff is None
    assert _count(job_store, FeedbackEventRow) == 1
