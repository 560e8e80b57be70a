"""Run the scheduler worker: retrain on a schedule, purge old chat events, until Ctrl-C / SIGTERM.

APScheduler with its job store in the recommender database (table apscheduler_jobs). Several
workers may run (one per replica); a lease row per job makes sure only one of them runs each
scheduled run. Intervals: RECSYS_RETRAIN_INTERVAL_MINUTES, RECSYS_RETENTION_CHECK_HOURS; when no
model version is published yet, the first retrain runs RECSYS_RETRAIN_FIRST_DELAY_SECONDS after
start. Logs go to stderr (use -v for every job run).
"""

from __future__ import annotations

import argparse

HELP = "run the scheduler worker (periodic retrain and retention) until stopped"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--database-url."""
    from recommender.commands.common import add_database_argument

    add_database_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Start the blocking scheduler; returns 0 after a clean stop."""
    from recommender.commands.common import settings_from
    from recommender.worker.scheduler import run_worker

    run_worker(settings_from(args))
    return 0
