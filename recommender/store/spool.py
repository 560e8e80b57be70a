"""`FeedbackSpool`: a durable local file that keeps feedback while the database cannot take it.

When storing a press fails with a database error, the event is appended to
`<var_dir>/spool/feedback.jsonl` (one JSON object a line, written and fsync'd before the user is
told it was saved) and replayed into the database once it answers again. Each event carries its
idempotency key, so replaying one whose first write did commit after all stores nothing twice.

- One writer at a time: a lock file beside the spool (`feedback.jsonl.lock`, across processes on
  this host) and a thread lock. Replay and "forget me" hold it too, so a user's spooled events
  can never come back after they were forgotten.
- Bounded: the file never grows past `feedback_spool_max_bytes`. When full, new events are
  refused (`SpoolFullError`: the service tells the user the feedback was not saved) and the ones
  already spooled are kept. Dropping the oldest instead would lose events the user was already
  told were saved; refusing the newest loses nothing silently.
- A line that cannot be stored even with the database up (its item left the catalog, a torn line
  after a crash) goes to `feedback.rejected.jsonl` for a person to look at; it never blocks the
  rest of the spool and is never silently deleted.

The spool is per host (it lives under `var_dir`); `python -m recommender spool` shows and replays it.
It holds pseudonymous user ids, like the database.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from recommender.errors import RecommenderError

logger = logging.getLogger(__name__)

SPOOL_FILE = "feedback.jsonl"
REJECTED_FILE = "feedback.rejected.jsonl"
LOCK_WAIT_SECONDS = 30.0
FORMAT = 1


class SpoolFullError(RecommenderError):
    """The feedback spool reached `feedback_spool_max_bytes`; the event was not stored anywhere."""


@dataclass(frozen=True)
class SpooledFeedback:
    """One feedback event as `Store.add_feedback` takes it, with its key and original time."""

    idempotency_key: str
    user_id: str
    item_id: str
    kind: str
    created_at: str  # ISO 8601 with zone
    value: float | None = None
    request_id: str | None = None
    session_id: str | None = None
    source: str = "chat"

    def to_line(self) -> bytes:
        """The JSON line written to the spool."""
        return (json.dumps({"v": FORMAT, **asdict(self)}, separators=(",", ":")) + "\n").encode()

    @classmethod
    def from_line(cls, line: bytes) -> SpooledFeedback:
        """Parse one spool line; ValueError (or TypeError, KeyError) when it is not one."""
        data = json.loads(line)
        if not isinstance(data, dict) or data.pop("v", None) != FORMAT:
            raise ValueError("not a version-1 spool line")
        return cls(**data)

    @property
    def created(self) -> datetime:
        """`created_at` as a datetime."""
        return datetime.fromisoformat(self.created_at)

    def store_arguments(self) -> dict[str, Any]:
        """Keyword arguments for `Store.add_feedback`."""
        args = asdict(self)
        args["created_at"] = self.created
        return args


@dataclass(frozen=True)
class ReplayOutcome:
    """What one replay did: events stored, found already stored, set aside as unstorable, still spooled."""

    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    left: int = 0
    stopped: str | None = None  # why the replay stopped early (the database error), None when it finished

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


class StoreStillDown(Exception):
    """Raised by a replay's `write` to say the database is unavailable: stop, keep the rest for later."""


class FeedbackSpool:
    """Append-only JSONL file of feedback events waiting for the database."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = Path(folder)
        self.path = self.folder / SPOOL_FILE
        self.rejected_path = self.folder / REJECTED_FILE
        self.max_bytes = max_bytes
        self._thread_lock = threading.RLock()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the spool's lock (this process's threads and every process on this host)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, FileLock(str(self.path) + ".lock", timeout=LOCK_WAIT_SECONDS):
            yield

    def size(self) -> int:
        """Bytes waiting in the spool (0 when there is no spool file)."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def pending(self) -> int:
        """How many events wait in the spool."""
        with self.locked():
            return len(self._lines())

    def append(self, event: SpooledFeedback) -> None:
        """Write `event` durably (fsync'd) at the end of the spool; SpoolFullError when it would not fit."""
        line = event.to_line()
        with self.locked():
            created = not self.path.exists()
            # owner-only: the spool holds pseudonymous user ids, like the database
            with os.fdopen(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as handle:
                size = handle.tell()
                if size + len(line) + 1 > self.max_bytes:
                    raise SpoolFullError(
                        f"the feedback spool {self.path} is full ({size} of {self.max_bytes} bytes, "
                        "RECSYS_FEEDBACK_SPOOL_MAX_BYTES); the database has been unavailable for long"
                    )
                if size and not self._ends_with_newline():
                    line = b"\n" + line  # a crash tore the last line: never glue this event to it
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            if created:
                _fsync_dir(self.folder)

    def replay(self, write: Callable[[SpooledFeedback], bool], limit: int | None = None) -> ReplayOutcome:
        """Store the spooled events in order with `write` (True: stored, False: already there).

        `write` raises `StoreStillDown` when the database is unavailable: the replay stops and the
        event and everything after it stay spooled. Any other exception sets that one event aside
        in the rejected file. Events that went in (or were there) leave the spool; the file is
        rewritten atomically, so a crash at any point replays again and stores nothing twice.
        """
        stored = duplicates = rejected = 0
        stopped: str | None = None
        with self.locked():
            lines = self._lines()
            keep: list[bytes] = []
            for n, line in enumerate(lines):
                if stopped is not None or (limit is not None and n >= limit):
                    keep.append(line)
                    continue
                try:
                    event = SpooledFeedback.from_line(line)
                except (ValueError, TypeError, KeyError) as exc:
                    logger.error("feedback spool: line %d is not an event (%s); set aside in %s",
                                 n + 1, exc, self.rejected_path.name)
                    self._reject(line)
                    rejected += 1
                    continue
                try:
                    if write(event):
                        stored += 1
                    else:
                        duplicates += 1
                except StoreStillDown as exc:
                    stopped = str(exc) or "database unavailable"
                    keep.append(line)
                except Exception:
                    logger.exception("feedback spool: event %s cannot be stored; set aside in %s",
                                     event.idempotency_key[:12], self.rejected_path.name)
                    self._reject(line)
                    rejected += 1
            if len(keep) != len(lines):
                self._rewrite(keep)
        return ReplayOutcome(stored, duplicates, rejected, len(keep), stopped)

    def forget_user(self, user_id: str) -> int:
        """Remove every spooled event of `user_id` (from the rejected file too); returns how many went."""
        removed = 0
        with self.locked():
            for path in (self.path, self.rejected_path):
                lines = self._lines(path)
                keep = [line for line in lines if not _is_users(line, user_id)]
                if len(keep) != len(lines):
                    removed += len(lines) - len(keep)
                    self._rewrite(keep, path)
        return removed

    # -- internals (the caller holds the lock) ----------------------------------------------------
    def _lines(self, path: Path | None = None) -> list[bytes]:
        try:
            raw = (path or self.path).read_bytes()
        except FileNotFoundError:
            return []
        return [line + b"\n" for line in raw.split(b"\n") if line.strip()]

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == b"\n"

    def _reject(self, line: bytes) -> None:
        with os.fdopen(os.open(self.rejected_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as handle:
            handle.write(line if line.endswith(b"\n") else line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _rewrite(self, lines: list[bytes], path: Path | None = None) -> None:
        target = path or self.path
        tmp = target.with_name(f".{target.name}.partial")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            handle.write(b"".join(lines))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)


def _is_users(line: bytes, user_id: str) -> bool:
    try:
        data = json.loads(line)
    except ValueError:
        return user_id.encode() in line  # a torn line that names the user goes too
    return isinstance(data, dict) and data.get("user_id") == user_id


def _fsync_dir(folder: Path) -> None:
    """Make a file's creation or rename in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
