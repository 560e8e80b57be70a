"""Scheduled jobs, one plain function per module: `retrain.retrain`, `retention.purge_old_events`.

Each takes `(store, settings)` and returns a small result value; the scheduler worker
(`recommender.worker`) runs them under a lease, and tests call them directly.
"""
