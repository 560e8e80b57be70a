"""A user forgotten outside this process (the CLI, another replica) loses their trained vector.

A process that has the published version in memory still holds the user's id and vector (and
so do the version's files when only the store forgot them, as some tests here do); serving must
treat them as a new user (history only) in a freshly built service, and in a running one after
its next version check, also when the same pseudonymous sender has come back since. The files
themselves: tests/recommender/test_forget_model_versions.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_service_published_model import publish

from recommender.cli import main
from recommender.config import Settings, get_settings
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.types import ConversationContext, FeedbackRequest

ASK = ConversationContext(user="bob", text="recommend me something")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The small-catalog settings (see conftest), on SQLite and on a fresh PostgreSQL database."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""
    return Settings(var_dir=tmp_path, database_url=url, default_k=3, user_id_secret="test-secret",
                    knn_shrinkage=0.0)


def _published_with_bob(service: RecommenderService, store: Store, settings: Settings) -> str:
    """Bob likes an item, a version trained on that is published and served; returns bob's id."""
    service.record_feedback(ASK, FeedbackRequest(item_id="1", kind="like"))
    publish(store, settings)
    service.bundles.wait_for_swap()
    user_id = service.user_id(ASK)
    scorer = service.bundles.current().preference
    assert scorer is not None and scorer.knows_user(user_id)  # the version holds bob's vector
    return user_id


def _uses_trained_vector(service: RecommenderService, user_id: str) -> bool:
    scorer = service.bundles.current().preference
    assert scorer is not None
    return scorer.knows_user(user_id)


def test_a_fresh_service_does_not_use_the_vector_of_a_user_forgotten_by_the_cli(
    service: RecommenderService, store: Store, settings: Settings, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user_id = _published_with_bob(service, store, settings)

    monkeypatch.setenv("RECSYS_VAR_DIR", str(settings.var_dir))  # the CLI's model versions: this test's
    get_settings.cache_clear()
    try:
        assert main(["forget", "--pseudonymous-id", user_id, "--database-url", settings.resolved_database_url]) == 0
    finally:
        get_settings.cache_clear()
    capsys.readouterr()

    fresh = RecommenderService(store=store, settings=settings)  # a restarted action server / a replica
    assert not _uses_trained_vector(fresh, user_id)
    assert _uses_trained_vector(fresh, "test:d1")  # everyone else keeps theirs
    result = fresh.recommend(ASK)  # bob comes back: answered as a new user
    assert result.items
    assert not _uses_trained_vector(fresh, user_id)


def test_a_running_service_drops_the_vector_at_its_next_version_check(
    service: RecommenderService, store: Store, settings: Settings
) -> None:
    user_id = _published_with_bob(service, store, settings)

    store.forget_user(user_id)  # done elsewhere: this service's cache is not told
    assert _uses_trained_vector(service, user_id)  # until the next check

    service.bundles.wait_for_swap()  # the periodic check, forced now
    assert not _uses_trained_vector(service, user_id)
    assert _uses_trained_vector(service, "test:d1")


def test_a_forgotten_user_who_came_back_is_not_given_the_old_vector(
    service: RecommenderService, store: Store, settings: Settings
) -> None:
    user_id = _published_with_bob(service, store, settings)
    store.forget_user(user_id)
    store.ensure_user_session(user_id, user_id)  # bob writes again (elsewhere): a new user row

    service.bundles.wait_for_swap()
    assert not _uses_trained_vector(service, user_id)
    fresh = RecommenderService(store=store, settings=settings)
    assert not _uses_trained_vector(fresh, user_id)
    fresh.record_feedback(ASK, FeedbackRequest(item_id="2", kind="like"))
    assert not _uses_trained_vector(RecommenderService(store=store, settings=settings), user_id)


def test_the_periodic_check_asks_about_trained_users_only_after_someone_was_forgotten(
    service: RecommenderService, store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At scale a version knows millions of users: the check every few seconds must not query
    them all while nobody was forgotten (one counter read), and still catch the first forget."""
    user_id = _published_with_bob(service, store, settings)
    queried: list[int] = []
    real_existing_users = store.existing_users

    def counting_existing_users(user_ids, created_before=None):  # type: ignore[no-untyped-def]
        ids = list(user_ids)
        queried.append(len(ids))
        return real_existing_users(ids, created_before=created_before)

    monkeypatch.setattr(store, "existing_users", counting_existing_users)
    for _ in range(3):
        service.bundles.wait_for_swap()
    assert queried == []  # nobody forgotten: the trained users were not asked about

    store.forget_user(user_id)
    service.bundles.wait_for_swap()
    assert len(queried) == 1 and queried[0] >= 2  # one batched query about the trained users
    assert not _uses_trained_vector(service, user_id)
    service.bundles.wait_for_swap()
    assert len(queried) == 1  # and none again until the next forget
