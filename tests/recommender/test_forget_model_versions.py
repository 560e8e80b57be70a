""""Forget me" leaves 0 rows and 0 vectors: the store and every kept model version lose the user.

Several versions are kept (published ones, a rejected one, one from before the user came), the
published model is a blend whose bases keep per-user state (BPR vectors, UserKNN rows, the
blend's own per-user statistics), and the user is forgotten through the service and through the
CLI. Afterwards no user-keyed table has a row of theirs, no manifest lists them, every per-user
array on disk has exactly one row per listed user, and a freshly loaded version still serves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from model_files import per_user_lengths, version_model_dir
from sqlalchemy import func, select

from recommender.cli import main
from recommender.config import Settings, get_settings
from recommender.models.blend import LinearBlend
from recommender.models.markov import MarkovActionModel
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.store.db import session_scope
from recommender.store.models import Base
from recommender.training.artifacts import load_version, new_version_name, version_folders, write_version
from recommender.training.data import store_interaction_data
from recommender.types import ConversationContext, FeedbackRequest

ASK = ConversationContext(user="bob", text="recommend me something")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The small-catalog settings (see conftest), on SQLite and on a fresh PostgreSQL database."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""
    return Settings(var_dir=tmp_path, database_url=url, default_k=3, user_id_secret="test-secret",
                    knn_shrinkage=0.0)


def _publish(store: Store, settings: Settings, status: str = "published", seed: int = 0) -> Path:
    """Train a blend with per-user state on the store's log and keep it as the retrain job does."""
    data = store_interaction_data(store)
    model = LinearBlend(base_models=("item_knn", "bpr", "user_knn", "popularity"),
                        base_params={"bpr": {"factors": 4, "epochs": 5, "batch_size": 16}},
                        candidates=10, hard_negatives=5, random_negatives=3, epochs=10, seed=seed).fit(data)
    markov = MarkovActionModel().fit([["click", "like", "ignore"]])
    version = new_version_name()
    path = write_version(settings.models_dir, version, model, markov, [i.item_id for i in data.items],
                         list(data.user_ids), info={"status": status})
    store.add_model_version(version=version, status=status, path=str(path), trained_on_events=len(data),
                            last_event_id=store.last_feedback_id(), train_seconds=0.1, metrics={}, reason="test")
    return path


def _keep_versions_about(service: RecommenderService, store: Store, settings: Settings) -> tuple[str, Path, list[Path]]:
    """A version from before bob, then bob's rows, then two published versions and a rejected one
    that know him; the newest published one is served. Returns (bob's id, the version without
    him, the versions with him)."""
    before_bob = _publish(store, settings, seed=1)
    service.recommend(ASK)  # a request, impressions, a session, the user row
    service.record_feedback(ASK, FeedbackRequest(item_id="1", kind="like"))
    with_bob = [_publish(store, settings, seed=2)]
    service.record_feedback(ASK, FeedbackRequest(item_id="6", kind="like"))
    with_bob += [_publish(store, settings, status="rejected", seed=3), _publish(store, settings, seed=4)]
    user_id = service.user_id(ASK)
    assert service.bundles.wait_for_swap() == with_bob[-1].name
    scorer = service.bundles.current().preference
    assert scorer is not None and scorer.knows_user(user_id)
    for path in with_bob:
        assert user_id in json.loads((path / "manifest.json").read_text())["user_ids"]
    assert _rows_about(store, user_id) > 0
    return user_id, before_bob, with_bob


def _rows_about(store: Store, user_id: str) -> int:
    """Rows about the user in every table that has a user_id column."""
    tables = [t for t in Base.metadata.sorted_tables if "user_id" in t.columns]
    assert {t.name for t in tables} >= {"users", "sessions", "feedback_events", "impressions", "recommendation_requests"}
    with session_scope(store._sessions) as session:
        return sum(int(session.scalar(select(func.count()).select_from(t).where(t.c.user_id == user_id)) or 0)
                   for t in tables)


def _files(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def _assert_no_trace_in_versions(settings: Settings, user_id: str, kept: int) -> None:
    """0 vectors: no kept manifest lists the user; every per-user array has one row per listed user."""
    versions = version_folders(settings.models_dir)
    assert len(versions) == kept
    for path in versions:
        manifest = json.loads((path / "manifest.json").read_text())
        assert user_id not in manifest["user_ids"], path.name
        lengths = per_user_lengths(version_model_dir(path))
        assert {"base.bpr.user_factors", "base.user_knn.indptr", "stats.user_last_time"} <= set(lengths)
        assert set(lengths.values()) == {len(manifest["user_ids"])}, (path.name, lengths)
        loaded = load_version(path)
        assert loaded.model.trained_users() == len(loaded.user_ids)


def _assert_a_fresh_service_serves(store: Store, settings: Settings, user_id: str, version: str) -> None:
    fresh = RecommenderService(store=store, settings=settings)  # loads the rewritten version from disk
    result = fresh.recommend(ASK)
    assert result.model_version == version and result.items
    scorer = fresh.bundles.current().preference
    assert scorer is not None and scorer.knows_user("test:d1") and not scorer.knows_user(user_id)


def test_forget_me_leaves_no_row_and_no_vector_in_any_kept_version(
    service: RecommenderService, store: Store, settings: Settings
) -> None:
    user_id, before_bob, with_bob = _keep_versions_about(service, store, settings)
    untouched = _files(before_bob)

    deleted = service.forget_user(ASK)

    assert deleted > 0
    assert _rows_about(store, user_id) == 0
    _assert_no_trace_in_versions(settings, user_id, kept=4)
    assert _files(before_bob) == untouched  # never knew bob: not a byte changed
    for path in with_bob:
        assert json.loads((path / "manifest.json").read_text())["forgotten_users"] == 1
    assert service.recommend(ASK).items  # the running service answers bob as a new user
    _assert_a_fresh_service_serves(store, settings, user_id, with_bob[-1].name)


@pytest.fixture
def cli_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The CLI reads its settings from the environment: point it at this test's var dir."""
    monkeypatch.setenv("RECSYS_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("RECSYS_USER_ID_SECRET", settings.user_id_secret)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_the_forget_command_leaves_no_row_and_no_vector_either(
    service: RecommenderService, store: Store, cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    user_id, _, with_bob = _keep_versions_about(service, store, cli_settings)
    capsys.readouterr()

    assert main(["forget", "--pseudonymous-id", user_id, "--database-url", cli_settings.resolved_database_url]) == 0

    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["user"] == user_id and printed["total"] > 0 and printed["model_versions"] == len(with_bob)
    assert _rows_about(store, user_id) == 0
    _assert_no_trace_in_versions(cli_settings, user_id, kept=4)
    _assert_a_fresh_service_serves(store, cli_settings, user_id, with_bob[-1].name)
    # the service that had the old copy in memory stops using bob's vector at its next check
    service.bundles.wait_for_swap()
    scorer = service.bundles.current().preference
    assert scorer is not None and not scorer.knows_user(user_id)
