"""Kill the worker (SIGKILL) while its retrain job trains: the old version keeps serving, nothing half
written is visible, and the next worker takes the dead run's lease over and retrains at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from synthetic_log import QUICK_PARAMS, add_chat_likes, seed_synthetic

from recommender.config import Settings
from recommender.jobs.retrain import retrain
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.store.leases import LeaseStore
from recommender.store.models import ModelVersionRow, utcnow

REPO_ROOT = Path(__file__).resolve().parents[3]
SLOW_PARAMS = {**QUICK_PARAMS, "base_models": ["sasrec"], "base_params": {"sasrec": {"epochs": 100_000, "dim": 16}}}


def _worker(tmp_path: Path, params: dict[str, object], database_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "RECSYS_VAR_DIR": str(tmp_path), "RECSYS_DATABASE_URL": database_url, "RECSYS_USER_ID_SECRET": "test-secret",
           "RECSYS_RETRAIN_PARAMS": json.dumps(params), "RECSYS_RETRAIN_INTERVAL_MINUTES": "10",
           "RECSYS_RETRAIN_FIRST_DELAY_SECONDS": "1"}
    return subprocess.Popen([sys.executable, "-m", "recommender", "worker"], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_a_worker_killed_mid_retrain_is_replaced_and_the_next_worker_retrains(
    tmp_path: Path, worker_store: Store
) -> None:
    """On SQLite and on PostgreSQL (the `worker_store` fixture): the job store, the lease and the
    version rows all live in the database the workers share."""
    store = worker_store
    database_url = store.engine.url.render_as_string(hide_password=False)
    settings = Settings(var_dir=tmp_path, user_id_secret="test-secret", default_k=3, retrain_params=QUICK_PARAMS,
                        database_url=database_url)
    histories = seed_synthetic(store)
    good = retrain(store, settings)
    assert good.status == "published"
    with store.engine.begin() as conn:  # an interval old: a starting worker retrains at once
        conn.execute(update(ModelVersionRow).values(created_at=utcnow() - timedelta(minutes=20)))
    add_chat_likes(store, histories, 40)
    service = RecommenderService(store=store, settings=settings)
    assert service.bundles.wait_for_swap() == good.version

    first = _worker(tmp_path, SLOW_PARAMS, database_url)
    assert first.stderr is not None
    deadline, line = time.monotonic() + 180, ""
    while time.monotonic() < deadline and "training candidate" not in line:
        line = first.stderr.readline()
        if not line:
            break
    assert "training candidate" in line, first.communicate(timeout=30)[1][-3000:]
    time.sleep(1.0)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)

    assert [v.version for v in store.model_versions()] == [good.version]
    assert sorted(p.name for p in settings.models_dir.iterdir() if not p.name.startswith(".")) == [good.version]
    assert service.bundles.wait_for_swap() == good.version
    assert LeaseStore(store).get("retrain").pid == first.pid  # type: ignore[union-attr]

    second = _worker(tmp_path, QUICK_PARAMS, database_url)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(store.model_versions()) < 2:
            time.sleep(0.5)
        time.sleep(1.0)
    finally:
        second.send_signal(signal.SIGTERM)
        log = second.communicate(timeout=60)[1]
    assert second.returncode == 0, log[-3000:]
    newest = store.model_versions()[0]
    assert newest.version != good.version and newest.status in ("published", "rejected"), log[-3000:]
    assert "job retrain done" in log and "Traceback" not in log
    lease = LeaseStore(store).get("retrain")
    assert lease is not None and lease.owner is None and lease.last_status == "done"
    expected = newest.version if newest.status == "published" else good.version
    assert service.bundles.wait_for_swap() == expected
