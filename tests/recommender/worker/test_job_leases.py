"""Job leases: one holder at a time, expiry, takeover from a dead process, slots that already ran."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

import pytest

from recommender.store import Store
from recommender.store import leases as leases_module
from recommender.store.leases import LeaseStore, new_owner, process_alive
from recommender.store.models import utcnow


def test_one_holder_at_a_time(worker_store: Store) -> None:
    leases = LeaseStore(worker_store)
    a, b = new_owner(), new_owner()
    assert leases.acquire("job", a, ttl_seconds=60)
    assert not leases.acquire("job", b, ttl_seconds=60)
    assert leases.get("job").owner == a  # type: ignore[union-attr]
    assert leases.renew("job", a, ttl_seconds=60) and not leases.renew("job", b, ttl_seconds=60)
    assert leases.release("job", a, "done")
    assert not leases.release("job", a)  # no longer ours
    assert leases.acquire("job", b, ttl_seconds=60)
    assert leases.get("job").owner == b  # type: ignore[union-attr]


def test_an_expired_lease_is_taken_over(worker_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # the leases' clock, moved by the test: "not yet expired" must not depend on how fast the machine is
    now = [utcnow()]
    monkeypatch.setattr(leases_module, "utcnow", lambda: now[0])
    leases = LeaseStore(worker_store)
    owner = "elsewhere:1:abcd"  # another host: only the expiry can free it
    assert leases.acquire("job", owner, ttl_seconds=0.3)
    now[0] += timedelta(seconds=0.2)
    assert not leases.acquire("job", new_owner(), ttl_seconds=60)
    now[0] += timedelta(seconds=0.3)
    mine = new_owner()
    assert leases.acquire("job", mine, ttl_seconds=60)
    assert not leases.renew("job", owner, ttl_seconds=60)  # the old holder learns it lost the lease


def test_a_dead_holder_on_this_host_is_taken_over_at_once(worker_store: Store) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    pid = int(dead.stdout)
    assert not process_alive(pid)
    host = new_owner().split(":")[0]
    leases = LeaseStore(worker_store)
    assert leases.acquire("job", f"{host}:{pid}:dead", ttl_seconds=3600)
    assert leases.acquire("job", new_owner(), ttl_seconds=60)


def test_a_slot_that_already_ran_is_skipped(worker_store: Store) -> None:
    leases = LeaseStore(worker_store)
    first = new_owner()
    assert leases.acquire("job", first, ttl_seconds=60, min_gap_seconds=30)
    leases.release("job", first)
    assert not leases.acquire("job", new_owner(), ttl_seconds=60, min_gap_seconds=30)  # it ran just now
    assert leases.acquire("job", new_owner(), ttl_seconds=60, min_gap_seconds=0)  # e.g. `retrain` by hand


def test_concurrent_takers_exactly_one_wins(worker_store: Store) -> None:
    leases = LeaseStore(worker_store)
    leases.acquire("warm-up", new_owner(), ttl_seconds=1)  # the table and connections exist
    barrier = threading.Barrier(6)
    won: list[bool] = []

    def take() -> None:
        barrier.wait()
        won.append(leases.acquire("job", new_owner(), ttl_seconds=60))

    threads = [threading.Thread(target=take) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won) == [False] * 5 + [True]


def test_a_run_that_died_does_not_count_as_this_slot(worker_store: Store) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    host = new_owner().split(":")[0]
    leases = LeaseStore(worker_store)
    assert leases.acquire("job", f"{host}:{int(dead.stdout)}:dead", ttl_seconds=3600, min_gap_seconds=600)
    # it "started" a moment ago, but died without finishing: the next worker runs the job now
    assert leases.acquire("job", new_owner(), ttl_seconds=60, min_gap_seconds=600)
