"""`build_scheduler(settings)`: every scheduled job in one place; `run_job(name)` runs one safely.

APScheduler 3 keeps the schedule in the recommender database (`SQLAlchemyJobStore`, table
`apscheduler_jobs`, created by the store's migrations so that workers starting together do not race
to create it), so every replica's worker sees the same jobs. APScheduler 3 does not stop two
schedulers sharing a job store from running the same job, so `run_job` first takes the job's
lease (`recommender.worker.leases`): one replica runs each scheduled run, the others log "skipped".

When each job first runs is computed from the database, not from the process start, so a
restarted worker neither delays nor repeats work: the retrain runs `retrain_first_delay_seconds`
after start when no version was ever trained, else one interval after the last version.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from recommender.config import Settings, get_settings
from recommender.jobs.retention import purge_old_events
from recommender.jobs.retrain import retrain
from recommender.store.db import safe_url
from recommender.store.models import SchedulerJobRow, utcnow
from recommender.store.repository import Store, get_store
from recommender.worker.leases import LeaseBusy, holding

logger = logging.getLogger(__name__)

JOB_TABLE = SchedulerJobRow.__tablename__
JOB_FUNCTION = f"{__name__}:run_job"  # what the job store keeps: a textual reference, resolved when loaded


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: the function, its interval and when it first runs after a worker starts."""

    func: Callable[[Store, Settings], Any]
    interval_seconds: Callable[[Settings], float]
    first_run: Callable[[Store, Settings, datetime], datetime]


def _first_retrain(store: Store, settings: Settings, now: datetime) -> datetime:
    """Soon when nothing was ever trained; else one interval after the last version (not in the past)."""
    soon = now + timedelta(seconds=settings.retrain_first_delay_seconds)
    if store.latest_published_version() is None:
        return soon
    last = store.model_versions(limit=1)[0].created_at
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return max(soon, last + timedelta(minutes=settings.retrain_interval_minutes))


def _retrain_job(store: Store, settings: Settings) -> Any:
    return retrain(store, settings)


def _retention_job(store: Store, settings: Settings) -> Any:
    return purge_old_events(store, settings)


JOBS: dict[str, JobSpec] = {
    "retrain": JobSpec(
        _retrain_job, lambda s: s.retrain_interval_minutes * 60, _first_retrain,
    ),
    "retention": JobSpec(
        _retention_job, lambda s: s.retention_check_hours * 3600,
        lambda store, s, now: now + timedelta(seconds=min(60.0, s.retention_check_hours * 3600)),
    ),
}

# What `run_job` runs with: set by `build_scheduler` (one worker per process). The job store only
# keeps the job's name, so no setting (and no secret) is ever pickled into the database.
_runtime: dict[str, Any] = {}


def run_job(name: str) -> str:
    """Run job `name` under its lease; every exception is logged, none reaches the scheduler.

    Returns "done", "skipped" (another replica has it, or ran this slot) or "failed".
    """
    settings: Settings = _runtime.get("settings") or get_settings()
    store: Store = _runtime.get("store") or get_store(settings)
    spec = JOBS[name]
    started = time.perf_counter()
    try:
        with holding(store, settings, name, min_gap_seconds=spec.interval_seconds(settings) / 2):
            result = spec.func(store, settings)
    except LeaseBusy as busy:
        logger.info("job %s skipped: %s", name, busy)
        return "skipped"
    except Exception:  # the scheduler must outlive any job failure; logged with its traceback
        logger.exception("job %s failed after %.1f s; the worker keeps running", name, time.perf_counter() - started)
        return "failed"
    summary = result.as_dict() if hasattr(result, "as_dict") else result
    if isinstance(summary, dict):
        summary = {key: summary[key] for key in ("status", "reason", "version", "deleted") if key in summary}
    logger.info("job %s done in %.1f s: %s", name, time.perf_counter() - started, summary)
    return "done"


def build_scheduler(
    settings: Settings,
    store: Store | None = None,
    *,
    background: bool = False,
    jobs: Iterable[str] | None = None,
) -> BaseScheduler:
    """A scheduler (not started) with every job in `JOBS` (or just `jobs`), its store in the database."""
    store = store or get_store(settings)
    _runtime.update(settings=settings, store=store)
    scheduler_class = BackgroundScheduler if background else BlockingScheduler
    scheduler = scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(engine=store.engine, tablename=JOB_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=UTC,
    )
    now = utcnow()
    for name in jobs if jobs is not None else JOBS:
        spec = JOBS[name]
        first = spec.first_run(store, settings, now)
        scheduler.add_job(
            JOB_FUNCTION, trigger=IntervalTrigger(seconds=spec.interval_seconds(settings), timezone=UTC),
            args=[name], id=name, name=name, replace_existing=True, next_run_time=first,
        )
        logger.info("job %s: every %.0f s, next at %s", name, spec.interval_seconds(settings),
                    first.isoformat(timespec="seconds"))
    return scheduler


def run_worker(settings: Settings) -> None:
    """Run the blocking scheduler until SIGINT or SIGTERM (a running job finishes first)."""
    if logging.getLogger("recommender").getEffectiveLevel() > logging.INFO:
        logging.getLogger("recommender").setLevel(logging.INFO)  # a worker's log is its output
    scheduler = build_scheduler(settings)

    def stop(signum: int, _frame: Any) -> None:
        logger.info("worker: signal %d, stopping after the running job", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    logger.info("worker: started (database %s)", safe_url(settings.resolved_database_url))
    try:
        scheduler.start()
    except KeyboardInterrupt:
        scheduler.shutdown(wait=False)
    logger.info("worker: stopped")
