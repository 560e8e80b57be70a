"""The forgetting SQL tracker store in Rasa's Python, on SQLite: WAL with synchronous=NORMAL (no fsync
per commit), trackers saved and read back, and "forget me" still deleting the earlier events."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa_python import run_in_rasa

SCRIPT = r"""
import asyncio, json, sys, sqlite3
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Restarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_addons.tracker_store import ForgetfulSQLTrackerStore

path = sys.argv[1]

async def main():
    store = ForgetfulSQLTrackerStore(Domain.empty(), dialect="sqlite", db=path)
    tracker = DialogueStateTracker.from_events("u1", [UserUttered("hello"), ActionExecuted("action_listen")])
    await store.save(tracker)
    with store.engine.connect() as connection:
        modes = [connection.exec_driver_sql("PRAGMA journal_mode").scalar(),
                 connection.exec_driver_sql("PRAGMA synchronous").scalar()]
    kept = await store.retrieve("u1")
    tracker.update(UserUttered("forget me"))
    tracker.update(ActionExecuted("action_forget_me"))
    tracker.update(Restarted())
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    after = await store.retrieve("u1")
    print(json.dumps({"modes": modes, "kept": len(kept.events), "texts_after": [e.text for e in after.events if isinstance(e, UserUttered)],
                      "file_mode": sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]}))

asyncio.run(main())
"""


@pytest.mark.slow
def test_sqlite_tracker_store_is_wal_and_still_forgets(tmp_path: Path) -> None:
    report = run_in_rasa(SCRIPT.replace("sys.argv[1]", repr(str(tmp_path / "tracker.db"))), {})
    assert report["modes"] == ["wal", 1]  # synchronous=NORMAL is 1
    assert report["file_mode"] == "wal"  # kept by the file: any reader sees WAL
    assert report["kept"] >= 2
    assert report["texts_after"] == []  # "forget me" deleted the conversation before the restart
