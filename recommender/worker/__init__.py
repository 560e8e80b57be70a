"""The scheduler worker: APScheduler runs the jobs in `recommender.jobs` on intervals from settings.

`build_scheduler(settings)` registers every job; `run_job(name)` runs one under its lease (one
replica at a time) and logs any exception instead of letting it reach the scheduler.
"""
