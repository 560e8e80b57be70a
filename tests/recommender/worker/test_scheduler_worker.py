"""The scheduler worker: jobs run once across replicas, failures are logged and the scheduler lives on,
the first retrain comes soon when nothing is published, and two real worker processes retrain once."""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from synthetic_log import QUICK_PARAMS, seed_synthetic

from recommender.config import Settings
from recommender.store import Store
from recommender.store.leases import LeaseStore
from recommender.store.models import SchedulerJobRow, utcnow
from recommender.worker import scheduler as worker
from recommender.worker.scheduler import JobSpec, build_scheduler, run_job

REPO_ROOT = Path(__file__).resolve().parents[3]
HANG_CEILING_S = 300.0  # waits end as soon as what they wait for happened; only a hang reaches this


def _wait_until(condition: Any, what: str) -> None:
    """Poll until `condition()` holds (a busy machine runs jobs later, not differently)."""
    deadline = time.monotonic() + HANG_CEILING_S
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not after {HANG_CEILING_S:.0f}s"
        time.sleep(0.1)


def _probe(runs: list[float], seconds: float = 0.3) -> JobSpec:
    def job(store: Store, settings: Settings) -> dict[str, str]:
        runs.append(time.monotonic())
        time.sleep(seconds)
        return {"status": "ok"}

    return JobSpec(job, lambda s: 1.0, lambda store, s, now: now + timedelta(seconds=0.5))


def test_two_replicas_firing_the_same_slot_run_the_job_once(
    worker_store: Store, worker_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[float] = []
    monkeypatch.setitem(worker.JOBS, "probe", _probe(runs))
    monkeypatch.setattr(worker, "_runtime", {"settings": worker_settings, "store": worker_store})
    barrier = threading.Barrier(2)
    results: list[str] = []

    def replica() -> None:
        barrier.wait()
        results.append(run_job("probe"))

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["done", "skipped"] and len(runs) == 1
    lease = LeaseStore(worker_store).get("probe")
    assert lease is not None and lease.owner is None and lease.last_status == "done"


# What every worker process does at start, up to its first job: migrate, open the job store, add its jobs.
_REPLICA_START = """
import sys
from recommender.config import Settings
from recommender.store import Store
from recommender.worker.scheduler import build_scheduler
url, var_dir = sys.argv[1], sys.argv[2]
store = Store(url)
print("ready", flush=True)
sys.stdin.readline()  # every replica starts at the same moment
store.migrate()
scheduler = build_scheduler(Settings(var_dir=var_dir, database_url=url, user_id_secret="test-secret"), store,
                            background=True)
scheduler.start(paused=True)
scheduler.shutdown(wait=False)
"""


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_worker_processes_starting_together_on_a_fresh_database_all_start(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Reproduces a CI failure: two workers on a fresh PostgreSQL database both ran the job store's
    CREATE TABLE, and one died on a unique violation in the catalog."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "RECSYS_USER_ID_SECRET": "test-secret"}
    procs = [subprocess.Popen([sys.executable, "-c", _REPLICA_START, url, str(tmp_path)], cwd=REPO_ROOT, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    try:
        assert [p.stdout.readline().strip() for p in procs] == ["ready"] * 4  # type: ignore[union-attr]
        for p in procs:
            p.stdin.write("go\n")  # type: ignore[union-attr]
            p.stdin.flush()  # type: ignore[union-attr]
        outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    finally:
        for p in procs:
            p.kill()
    assert [code for code, _ in outcomes] == [0] * 4, [err[-3000:] for _, err in outcomes]
    store = Store(url)
    try:
        with store.engine.connect() as connection:
            stored = connection.execute(select(SchedulerJobRow.id)).scalars().all()
        assert sorted(stored) == sorted(worker.JOBS)  # each job once in the shared job store
    finally:
        store.engine.dispose()


def test_two_schedulers_sharing_the_job_store_never_run_a_slot_twice(
    worker_store: Store, worker_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[float] = []
    monkeypatch.setitem(worker.JOBS, "probe", _probe(runs, seconds=0.2))
    monkeypatch.setattr(worker, "_runtime", {})
    outcomes: list[str] = []
    real_run_job = worker.run_job

    def counting(name: str) -> str:
        outcomes.append(real_run_job(name))
        return outcomes[-1]

    monkeypatch.setattr(worker, "run_job", counting)
    schedulers = [build_scheduler(worker_settings, worker_store, background=True, jobs=["probe"]) for _ in range(2)]
    for s in schedulers:
        s.start()
    try:
        time.sleep(4.5)  # several 1 s slots for the two schedulers to compete for ...
        _wait_until(lambda: len(runs) >= 2, "two runs")  # ... of which a busy machine may need more
    finally:
        for s in schedulers:
            s.shutdown(wait=True)
    assert len(runs) >= 2, outcomes
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert all(gap >= 0.45 for gap in gaps), (gaps, outcomes)  # one run per 1 s slot, never two
    assert outcomes.count("done") == len(runs) and "failed" not in outcomes


def test_a_failing_job_is_logged_and_the_scheduler_lives_on(
    worker_store: Store, worker_settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[float] = []

    def boom(store: Store, settings: Settings) -> None:
        raise RuntimeError("the model exploded")

    monkeypatch.setitem(worker.JOBS, "boom", JobSpec(boom, lambda s: 0.6, lambda st, s, now: now))
    monkeypatch.setitem(worker.JOBS, "probe", _probe(runs, seconds=0.0))
    scheduler = build_scheduler(worker_settings, worker_store, background=True, jobs=["boom", "probe"])
    with caplog.at_level(logging.ERROR, logger="recommender.worker.scheduler"):
        scheduler.start()
        try:
            time.sleep(2.5)  # a few slots of both jobs ...
            _wait_until(  # ... and, on a busy machine, as long as it takes for two of each
                lambda: len(runs) >= 2 and sum("job boom failed" in r.getMessage() for r in caplog.records) >= 2,
                "two failures and two runs")
            assert scheduler.running
        finally:
            scheduler.shutdown(wait=True)
    failures = [r for r in caplog.records if "job boom failed" in r.getMessage()]
    assert len(failures) >= 2 and "the model exploded" in (failures[0].exc_text or "")
    assert len(runs) >= 2
    assert LeaseStore(worker_store).get("boom").last_status == "failed"  # type: ignore[union-attr]


def test_the_first_retrain_comes_soon_when_nothing_is_published(
    worker_store: Store, worker_settings: Settings
) -> None:
    settings = worker_settings.model_copy(update={"retrain_first_delay_seconds": 5, "retrain_interval_minutes": 60})
    before = utcnow()
    scheduler = build_scheduler(settings, worker_store, background=True)
    after = utcnow()
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"retrain", "retention"}
    # 5 s after the scheduler was built, however long building took (1 s either side for rounding)
    first = jobs["retrain"].next_run_time
    assert before + timedelta(seconds=4) <= first <= after + timedelta(seconds=6), (before, first, after)
    worker_store.add_model_version(version="v1", status="published", path="/nowhere", trained_on_events=1,
                                   last_event_id=1, train_seconds=0.1, metrics={}, reason="test")
    scheduler = build_scheduler(settings, worker_store, background=True)
    later = {job.id: job for job in scheduler.get_jobs()}["retrain"].next_run_time - utcnow()
    assert timedelta(minutes=59) < later <= timedelta(minutes=60)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_worker_processes_publish_one_version(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    url = "" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    settings = Settings(var_dir=tmp_path, database_url=url)
    store = Store(settings.resolved_database_url)
    store.migrate()
    seed_synthetic(store)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "RECSYS_VAR_DIR": str(tmp_path), "RECSYS_DATABASE_URL": url, "RECSYS_USER_ID_SECRET": "test-secret",
           "RECSYS_RETRAIN_PARAMS": json.dumps(QUICK_PARAMS), "RECSYS_RETRAIN_FIRST_DELAY_SECONDS": "2",
           "RECSYS_RETRAIN_INTERVAL_MINUTES": "0.05"}  # a slot every 3 s: the second worker keeps trying
    procs = [subprocess.Popen([sys.executable, "-m", "recommender", "worker"], cwd=REPO_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    lines: list[list[str]] = [[], []]
    readers = [threading.Thread(target=lambda p=p, out=out: out.extend(p.stderr), daemon=True)  # type: ignore[misc]
               for p, out in zip(procs, lines, strict=True)]
    for reader in readers:
        reader.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            store.model_versions() and all(any("worker: started" in line for line in out) for out in lines)
        ):
            time.sleep(0.5)
        time.sleep(8)  # a few more slots: nothing is new, so every later run is skipped
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
        for reader in readers:
            reader.join(timeout=10)
        logs = ["".join(out) for out in lines]
    assert [p.returncode for p in procs] == [0, 0], logs
    versions = store.model_versions()
    assert len(versions) == 1 and versions[0].status == "published", logs
    done = sum(log.count("job retrain done") for log in logs)
    assert sum(log.count("'status': 'published'") for log in logs) == 1, logs
    assert done >= 1 and all("Traceback" not in log for log in logs), logs
    store.engine.dispose()
