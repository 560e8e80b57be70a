"""`python -m recommender forget --channel C --user ID`: every row of that user goes, other users stay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from recommender.cli import main
from recommender.config import get_settings
from recommender.identity import pseudonymous_id, rest_user_key, user_key
from recommender.profile import load_profile
from recommender.store import Store
from recommender.store.repository import ShownItem

ITEMS = [{"item_id": str(n), "title": f"Film {n} (2000)", "year": 2000, "genres": ["Drama"], "people": [],
          "description": "", "url": "", "attributes": {}} for n in (1, 2)]


@pytest.fixture(autouse=True)
def _models_dir_of_this_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command also rewrites the model versions under RECSYS_VAR_DIR: this test's, not the repository's."""
    secret = get_settings().user_id_secret
    monkeypatch.setenv("RECSYS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("RECSYS_USER_ID_SECRET", secret)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _chat(store: Store, user_id: str) -> None:
    store.ensure_user_session(user_id, user_id)
    store.log_recommendation(request_id=f"req-{user_id}", user_id=user_id, session_id=user_id, query={},
                             model_version="v", shown=[ShownItem("1", 1, 1.0, "r"), ShownItem("2", 2, 0.5, "r")])
    store.add_feedback(user_id=user_id, item_id="1", kind="like", request_id=f"req-{user_id}", session_id=user_id)
    store.add_feedback(user_id=user_id, item_id="2", kind="rating", value=2.0, session_id=user_id)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_forget_deletes_every_row_of_one_user(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'forget.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store(url)
    store.migrate()
    store.upsert_items(ITEMS)
    secret = get_settings().user_id_secret
    alice, bob = pseudonymous_id(user_key("slack", "alice"), secret), pseudonymous_id(user_key("slack", "bob"), secret)
    _chat(store, alice)
    _chat(store, bob)

    code = main(["forget", "--channel", "slack", "--user", "alice", "--database-url", url])

    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["user"] == alice
    assert report["deleted"] == {"feedback_events": 2, "impressions": 2, "recommendation_requests": 1,
                                 "sessions": 1, "users": 1}
    assert report["total"] == 7 and report["model_versions"] == 0  # no version was ever trained
    assert store.count_feedback(user_id=alice) == 0 and store.impressions(f"req-{alice}") == []
    assert load_profile(store, alice, 4.0).seen == ()
    assert store.count_feedback(user_id=bob) == 2 and len(store.impressions(f"req-{bob}")) == 2
    assert "alice" not in json.dumps(report)  # the raw channel id is never echoed
    # forgetting again is harmless, and says that nothing was found where
    assert main(["forget", "--channel", "slack", "--user", "alice", "--database-url", url]) == 0
    again = capsys.readouterr()
    assert json.loads(again.out)["total"] == 0 and "nothing was stored about this user" in again.err
    store.engine.dispose()


def test_forget_by_pseudonymous_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'forget.db'}"
    store = Store(url)
    store.migrate()
    store.upsert_items(ITEMS)
    _chat(store, "u_0123")
    assert main(["forget", "--pseudonymous-id", "u_0123", "--database-url", url]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"]["feedback_events"] == 2


def test_a_user_is_a_channel_and_a_sender(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same sender id on another channel is another user; REST senders are named as they were posted."""
    url = f"sqlite:///{tmp_path / 'forget.db'}"
    store = Store(url)
    store.migrate()
    store.upsert_items(ITEMS)
    secret = get_settings().user_id_secret
    on_rest, on_slack = pseudonymous_id(rest_user_key("me"), secret), pseudonymous_id(user_key("slack", "me"), secret)
    _chat(store, on_rest)
    _chat(store, on_slack)
    assert main(["forget", "--user", "me", "--database-url", url]) == 2  # which channel's "me"?
    assert "--channel" in capsys.readouterr().err
    assert main(["forget", "--channel", "rest", "--user", "me", "--database-url", url]) == 0
    assert json.loads(capsys.readouterr().out)["user"] == on_rest
    assert store.count_feedback(user_id=on_rest) == 0 and store.count_feedback(user_id=on_slack) == 2
    store.engine.dispose()
