"""`python -m recommender replay --then-retrain`: replays and retrains under the worker's lease, like `retrain`.

The replay itself (Rasa over HTTP, ml-latest-small) is replaced by stand-ins; what is checked is
that the retrain step never runs beside another holder of the "retrain" lease.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from recommender.cli import main
from recommender.eval import replay, replay_data
from recommender.store import Store
from recommender.store.leases import LeaseStore, new_owner


class _NoRasa:
    """Stands in for `Replayer`: sends nothing, counts its runs."""

    runs = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def run(self, users: Sequence[replay_data.ReplayUser], *, show_progress: bool = True) -> replay.ReplayStats:
        _NoRasa.runs += 1
        return replay.ReplayStats(users=len(users))


def _no_users(*args: Any, **kwargs: Any) -> list[replay_data.ReplayUser]:
    return []


@pytest.fixture
def offline_replay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Store]:
    """(database URL, store) with a one-item catalog; replay sends nothing (no users, no Rasa)."""
    url = f"sqlite:///{tmp_path / 'replay.db'}"
    store = Store(url)
    store.migrate()
    store.upsert_items([{"item_id": "1", "title": "Toy Story (1995)"}])
    monkeypatch.setattr(replay_data, "eligible_users", _no_users)
    monkeypatch.setattr(replay, "Replayer", _NoRasa)
    monkeypatch.setattr(_NoRasa, "runs", 0)
    return url, store


def test_replay_retrain_is_busy_while_another_process_holds_the_lease(
    offline_replay: tuple[str, Store], capsys: pytest.CaptureFixture[str]
) -> None:
    url, store = offline_replay
    holder = new_owner()  # a live holder: this test process, as a running worker would be
    assert LeaseStore(store).acquire("retrain", holder, ttl_seconds=600)

    code = main(["replay", "--then-retrain", "--no-measure", "--quiet", "--database-url", url])

    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == 2
    assert report["retrain"]["status"] == "busy" and holder in report["retrain"]["reason"]
    assert report["ok"] is False
    assert "busy" in captured.err
    assert _NoRasa.runs == 0  # nothing was sent: feedback the run could not judge would only muddy the log
    assert store.model_versions() == []  # the retrain job did not run
    assert LeaseStore(store).get("retrain").owner == holder  # type: ignore[union-attr]  # untouched


def test_replay_retrain_takes_and_releases_the_lease(
    offline_replay: tuple[str, Store], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from recommender.jobs import retrain as retrain_job

    url, store = offline_replay
    owners_during_retrain: list[str | None] = []

    class _Outcome:
        status, version, reason = "skipped", None, "stand-in"

        def as_dict(self) -> dict[str, Any]:
            return {"status": self.status, "version": self.version, "reason": self.reason}

    def fake_retrain(store_: Store, settings: Any, *, force: bool = False) -> _Outcome:
        lease = LeaseStore(store_).get("retrain")
        owners_during_retrain.append(None if lease is None else lease.owner)
        return _Outcome()

    monkeypatch.setattr(retrain_job, "retrain", fake_retrain)

    main(["replay", "--then-retrain", "--no-measure", "--quiet", "--database-url", url])

    report = json.loads(capsys.readouterr().out)
    assert report["retrain"]["status"] == "skipped"
    assert _NoRasa.runs == 1
    assert owners_during_retrain and owners_during_retrain[0] is not None  # held while it ran
    assert LeaseStore(store).get("retrain").owner is None  # type: ignore[union-attr]  # released after
