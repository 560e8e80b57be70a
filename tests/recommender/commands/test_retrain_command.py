"""`python -m recommender retrain`: takes the worker's lease, so it never runs beside a running retrain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.cli import main
from recommender.store import Store
from recommender.store.leases import LeaseStore, new_owner


def test_retrain_is_busy_while_another_process_holds_the_lease(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    store = Store(url)
    store.migrate()
    holder = new_owner()  # a live holder: this test process
    assert LeaseStore(store).acquire("retrain", holder, ttl_seconds=600)

    assert main(["retrain", "--database-url", url]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "busy" and holder in report["reason"]
    assert store.model_versions() == []
    assert LeaseStore(store).get("retrain").owner == holder  # type: ignore[union-attr]  # untouched
