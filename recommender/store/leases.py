"""`LeaseStore`: "only one replica runs this job", as a row per job in `job_leases` (migration 0004).

APScheduler 3 keeps several schedulers' jobs in one SQLAlchemy job store but does not stop two
of them from running the same job, so every run first takes the job's lease:

- a lease is free when it has no owner, when it expired (`expires_at` passed: the holder stopped
  renewing it, e.g. its machine died), or when its holder ran on this host and that process is
  gone (a killed worker is taken over at once instead of after the expiry);
- taking it is ONE conditional `UPDATE ... WHERE <free>`; the database serialises concurrent
  updates of the row (PostgreSQL re-checks the WHERE after the row lock, SQLite has one writer),
  so exactly one caller sees `rowcount == 1`;
- `min_gap_seconds` makes a late replica skip a slot that another replica already ran: with a
  fast job the lease is free again by the time a second timer fires, but `last_started_at` says
  the job just ran. It applies to released leases only: a run whose holder died or stopped
  renewing never finished, so the next replica runs the job at once.

Like `Store`, this is the only code that sees a Session for its table.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from recommender.store.db import session_scope
from recommender.store.models import JobLeaseRow, utcnow
from recommender.store.repository import Store


def new_owner() -> str:
    """A holder name unique to this process and call: host:pid:random."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): trust kill(0)
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


@dataclass(frozen=True)
class Lease:
    """One row of `job_leases`, as a plain value."""

    name: str
    owner: str | None
    host: str | None
    pid: int | None
    expires_at: datetime | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_status: str


class LeaseStore:
    """Take, renew and release per-job leases in the recommender database."""

    def __init__(self, store: Store) -> None:
        self._sessions: sessionmaker[Session] = sessionmaker(store.engine, expire_on_commit=False)

    def _ensure_row(self, name: str) -> None:
        with session_scope(self._sessions) as session:
            if session.get(JobLeaseRow, name) is not None:
                return
        try:
            with session_scope(self._sessions) as session:
                session.add(JobLeaseRow(name=name, last_status=""))
        except IntegrityError:
            pass  # another replica created it first: fine, it exists now

    def acquire(self, name: str, owner: str, ttl_seconds: float, min_gap_seconds: float = 0.0) -> bool:
        """Take the lease of job `name` for `ttl_seconds`; False when another live holder has it
        (or, with `min_gap_seconds`, when the job started less than that long ago)."""
        self._ensure_row(name)
        host, pid = _host_pid(owner)
        now = utcnow()
        with session_scope(self._sessions) as session:
            row = session.get(JobLeaseRow, name)
            stale = (
                row is not None and row.owner is not None and row.owner != owner and row.host == host
                and row.pid is not None and not process_alive(row.pid)
            )
            # Released by its holder: free, unless that run started less than min_gap ago (this slot ran).
            # Expired, or held by a dead process: free at once; the run it stands for never finished.
            released: ColumnElement[bool] = JobLeaseRow.owner.is_(None)
            if min_gap_seconds > 0:
                released = and_(released, or_(
                    JobLeaseRow.last_started_at.is_(None),
                    JobLeaseRow.last_started_at <= now - timedelta(seconds=min_gap_seconds),
                ))
            free = [released, JobLeaseRow.expires_at < now, JobLeaseRow.owner == owner]
            if stale and row is not None:
                free.append(JobLeaseRow.owner == row.owner)  # still the dead holder when we update
            conditions = [JobLeaseRow.name == name, or_(*free)]
            result = session.execute(
                update(JobLeaseRow).where(*conditions).values(
                    owner=owner, host=host, pid=pid, acquired_at=now,
                    expires_at=now + timedelta(seconds=ttl_seconds), last_started_at=now, last_status="running",
                ),
                execution_options={"synchronize_session": False},  # the row read above may hold naive times
            )
            return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]

    def renew(self, name: str, owner: str, ttl_seconds: float) -> bool:
        """Push the expiry of a lease this owner holds; False when it is no longer ours."""
        with session_scope(self._sessions) as session:
            result = session.execute(
                update(JobLeaseRow).where(JobLeaseRow.name == name, JobLeaseRow.owner == owner)
                .values(expires_at=utcnow() + timedelta(seconds=ttl_seconds)),
                execution_options={"synchronize_session": False},
            )
            return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]

    def release(self, name: str, owner: str, status: str = "done") -> bool:
        """Give the lease back and record how the run ended; False when it was no longer ours."""
        with session_scope(self._sessions) as session:
            result = session.execute(
                update(JobLeaseRow).where(JobLeaseRow.name == name, JobLeaseRow.owner == owner)
                .values(owner=None, host=None, pid=None, expires_at=None, last_finished_at=utcnow(),
                        last_status=status[:32]),
                execution_options={"synchronize_session": False},
            )
            return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]

    def get(self, name: str) -> Lease | None:
        """The lease row of job `name`, or None when the job never ran."""
        with session_scope(self._sessions) as session:
            row = session.scalars(select(JobLeaseRow).where(JobLeaseRow.name == name)).first()
            if row is None:
                return None
            return Lease(row.name, row.owner, row.host, row.pid, row.expires_at, row.last_started_at,
                         row.last_finished_at, row.last_status)


def _host_pid(owner: str) -> tuple[str, int | None]:
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    return host, int(pid_text) if pid_text.isdigit() else None
