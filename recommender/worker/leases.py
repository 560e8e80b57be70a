"""`holding(store, settings, name)`: run a block only while holding the job's lease, renewing it.

A heartbeat thread renews the lease every third of `worker_lease_seconds` while the block runs,
so a long retrain keeps it and a dead machine's lease expires. `LeaseBusy` says who holds it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from recommender.config import Settings
from recommender.errors import RecommenderError
from recommender.store.leases import LeaseStore, new_owner
from recommender.store.repository import Store

logger = logging.getLogger(__name__)


class LeaseBusy(RecommenderError):
    """Another worker (or `python -m recommender retrain`) is running this job, or just ran it."""


@contextmanager
def holding(store: Store, settings: Settings, name: str, *, min_gap_seconds: float = 0.0) -> Iterator[str]:
    """Hold job `name`'s lease for the block (yields the owner name); LeaseBusy when it is taken."""
    leases = LeaseStore(store)
    owner = new_owner()
    ttl = settings.worker_lease_seconds
    if not leases.acquire(name, owner, ttl, min_gap_seconds):
        lease = leases.get(name)
        if lease is not None and lease.owner is not None:
            raise LeaseBusy(f"job {name!r} is running elsewhere ({lease.owner}, lease until {lease.expires_at})")
        started = lease.last_started_at if lease is not None else None
        raise LeaseBusy(f"job {name!r} already ran at {started} (less than {min_gap_seconds:.0f} s ago)")
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(max(1.0, ttl / 3)):
            if not leases.renew(name, owner, ttl):
                logger.error("job %s: lost its lease (expired and taken over); another worker may run it", name)
                return

    beat = threading.Thread(target=heartbeat, name=f"lease-{name}", daemon=True)
    beat.start()
    status = "failed"
    try:
        yield owner
        status = "done"
    finally:
        stop.set()
        beat.join(timeout=5)
        leases.release(name, owner, status)
