"""Kill `python -m recommender retrain --force` with SIGKILL while it trains: the published version keeps
serving, no half version is visible, and the next run takes over the dead run's lease and succeeds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from synthetic_log import QUICK_PARAMS, seed_synthetic

from recommender.config import Settings
from recommender.jobs.retrain import retrain
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.store.leases import LeaseStore
from recommender.types import ConversationContext

REPO_ROOT = Path(__file__).resolve().parents[3]
# SASRec for ever: the run is still training when it is killed.
SLOW_PARAMS = {**QUICK_PARAMS, "base_models": ["sasrec"], "base_params": {"sasrec": {"epochs": 100_000, "dim": 16}}}


def _env(tmp_path: Path, params: dict[str, object], url: str) -> dict[str, str]:
    return {
        **os.environ, "PYTHONPATH": str(REPO_ROOT), "RASA_TELEMETRY_ENABLED": "false",
        "RECSYS_VAR_DIR": str(tmp_path), "RECSYS_DATABASE_URL": url, "RECSYS_USER_ID_SECRET": "test-secret",
        "RECSYS_RETRAIN_PARAMS": json.dumps(params),
    }


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_retrain_killed_mid_training_leaves_the_old_version_serving(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = "" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    settings = Settings(var_dir=tmp_path, database_url=url, user_id_secret="test-secret", default_k=3,
                        retrain_params=QUICK_PARAMS)
    store = Store(settings.resolved_database_url)
    store.migrate()
    seed_synthetic(store)
    good = retrain(store, settings)
    assert good.status == "published"
    service = RecommenderService(store=store, settings=settings)
    assert service.bundles.wait_for_swap() == good.version

    proc = subprocess.Popen(
        [sys.executable, "-m", "recommender", "-v", "retrain", "--force"], cwd=REPO_ROOT,
        env=_env(tmp_path, SLOW_PARAMS, url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 180
    seen = []
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen.append(line)
        if "training candidate" in line or not line:
            break
    assert "training candidate" in seen[-1], "".join(seen[-20:])
    time.sleep(1.0)  # well inside SASRec's epochs
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # nothing of the killed run is visible: no row, no version folder; the old version serves on
    assert [v.version for v in store.model_versions()] == [good.version]
    visible = sorted(p.name for p in settings.models_dir.iterdir() if not p.name.startswith("."))
    assert visible == [good.version]
    assert service.bundles.wait_for_swap() == good.version
    assert service.recommend(ConversationContext(user="alice", text="hi")).model_version == good.version
    lease = LeaseStore(store).get("retrain")
    assert lease is not None and lease.owner is not None and lease.pid == proc.pid  # the dead run still "holds" it

    # the next run takes over the dead process's lease and succeeds
    result = subprocess.run(
        [sys.executable, "-m", "recommender", "retrain", "--force"], cwd=REPO_ROOT,
        env=_env(tmp_path, QUICK_PARAMS, url), capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout)
    assert outcome["status"] in ("published", "rejected"), outcome
    assert {v.version for v in store.model_versions()} == {good.version, outcome["version"]}
    lease = LeaseStore(store).get("retrain")
    assert lease is not None and lease.owner is None and lease.last_status == "done"
    expected = outcome["version"] if outcome["status"] == "published" else good.version
    assert service.bundles.wait_for_swap() == expected
    store.engine.dispose()
