"""`BundleHolder`: the model bundle being served, and its hot swap when a new version is published.

`current()` is the one way to get it. Every `model_check_seconds` one caller looks at the catalog
fingerprint and the newest published model version; a change is built in a background thread
while requests keep being answered by the old bundle (a request holds its bundle for the whole
turn, so it finishes on the version it started with). A damaged version (a file that fails its
checksum or does not load: `CorruptModelError`) is refused for good and the old one keeps serving;
any other error while swapping (the database, an I/O error, memory) is transient: the old one
keeps serving and the swap is tried again after a backoff (`_RETRY_FIRST_SECONDS`, doubling up to
`_RETRY_MAX_SECONDS`). Only the very first bundle is built in the caller's thread. While the
database is down (`DatabaseGuard`) the periodic check is skipped and the loaded bundle serves.

When nothing changed, the same check looks (also in a background thread) for users of the served
version forgotten elsewhere since (`python -m recommender forget`, another replica) and stops
using their trained vectors: one read of the store's forgotten-users count, and a query about the
trained users only when that count changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from recommender.config import Settings
from recommender.errors import CorruptModelError
from recommender.retrieval.bundle import ModelBundle, build_bundle, drop_forgotten_users
from recommender.serving.db_guard import DatabaseGuard
from recommender.store.repository import ModelVersion, Store

logger = logging.getLogger(__name__)

_RETRY_FIRST_SECONDS = 5.0  # the first retry of a swap that failed for a transient reason
_RETRY_MAX_SECONDS = 300.0  # the longest wait between retries

# (catalog fingerprint, published model version or None): a bundle is rebuilt when this changes.
BundleKey = tuple[tuple[int, str], str | None]


class BundleHolder:
    """Serves one `ModelBundle` at a time and swaps in the next one off the request path."""

    def __init__(self, store: Store, settings: Settings, guard: DatabaseGuard | None = None) -> None:
        self.store = store
        self.settings = settings
        self.guard = guard
        self._bundle: ModelBundle | None = None
        self._key: BundleKey | None = None
        self._refused: BundleKey | None = None  # a verified damaged version: never tried again
        self._failed: BundleKey | None = None  # a transient failure: tried again from `_retry_at`
        self._failures = 0
        self._retry_at = 0.0
        self._swapping = False
        # the store's users_forgotten count when the served bundle's trained users were last
        # checked: the periodic check asks about them again only after it changed
        self._forgotten_seen: int | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def current(self) -> ModelBundle:
        """The bundle to answer this request with (built on the first call; checked for news periodically)."""
        now = time.monotonic()
        if self._bundle is not None and now - self._checked_at < self.settings.model_check_seconds:
            return self._bundle
        with self._lock:
            if self._bundle is not None and now - self._checked_at < self.settings.model_check_seconds:
                return self._bundle
            self._checked_at = now
            if self._bundle is not None and self.guard is not None:
                looked = self.guard.call("model_check", self._look, None)
                if looked is None:  # the database is down: keep serving what is loaded
                    return self._bundle
                wanted, published = looked
            else:
                wanted, published = self._look()
            if self._bundle is None:
                self._bundle = self._build(wanted, published)
                self._key, self._forgotten_seen = wanted, self._bundle.forgotten_count
            elif self._swapping:
                pass  # one background job at a time; the next check starts the next one
            elif wanted != self._key and wanted != self._refused and (wanted != self._failed or now >= self._retry_at):
                self._start(self._swap, wanted, published, name="bundle-swap")
            elif self._bundle.preference is not None:
                self._start(self._drop_forgotten, self._bundle, name="bundle-forgotten")
            return self._bundle

    def _look(self) -> tuple[BundleKey, ModelVersion | None]:
        """What should be served now: (catalog fingerprint, newest published version) and that version."""
        published = self.store.latest_published_version()
        return (self.store.catalog_fingerprint(), published.version if published else None), published

    def serving_version(self) -> str | None:
        """The version being served (None before the first request built a bundle)."""
        return self._bundle.version if self._bundle is not None else None

    def wait_for_swap(self, timeout: float = 60.0) -> str | None:
        """Check for a new version (and forgotten users) now and wait until that finished; returns
        the serving version."""
        self._checked_at = -float("inf")
        self.current()
        deadline = time.monotonic() + timeout
        while self._swapping and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.serving_version()

    def forget_user(self, user_id: str) -> None:
        """Stop using the served version's vectors of this user at once (the store forgot them)."""
        if self._bundle is not None and self._bundle.preference is not None:
            self._bundle.preference.forget_user(user_id)

    def _start(self, target: Callable[..., None], *args: object, name: str) -> None:
        self._swapping = True
        threading.Thread(target=target, args=args, name=name, daemon=True).start()

    def _build(self, wanted: BundleKey, published: ModelVersion | None) -> ModelBundle:
        """Build a bundle; a damaged published version is refused and the bundle built without it."""
        try:
            return build_bundle(self.store, self.settings, published)
        except CorruptModelError:
            logger.exception("refusing model version %s", wanted[1])
            self._refused = wanted
            return build_bundle(self.store, self.settings, None)

    def _swap(self, wanted: BundleKey, published: ModelVersion | None) -> None:
        """Build the new bundle off the request path and swap it in with one assignment."""
        try:
            bundle = build_bundle(self.store, self.settings, published)
            if bundle.text is not None:
                _ = bundle.text.vectors  # read (or embed) the descriptions before the swap, off the request path
        except CorruptModelError:
            logger.exception("refusing model version %s; still serving %s", wanted[1], self.serving_version())
            self._refused = wanted
        except Exception:  # the database, an I/O error, memory: not the version's fault, so try again
            self._failures = self._failures + 1 if self._failed == wanted else 1
            self._failed = wanted
            wait = min(_RETRY_MAX_SECONDS, _RETRY_FIRST_SECONDS * 2 ** (self._failures - 1))
            self._retry_at = time.monotonic() + wait
            logger.exception("building model version %s failed (attempt %d); still serving %s, trying again in "
                             "%.0f s", wanted[1], self._failures, self.serving_version(), wait)
        else:
            self._bundle, self._key, self._forgotten_seen = bundle, wanted, bundle.forgotten_count
            self._failed, self._failures = None, 0
            logger.info("now serving model version %s", bundle.version)
        finally:
            self._swapping = False

    def _drop_forgotten(self, bundle: ModelBundle) -> None:
        """Stop using the served version's vectors of users forgotten since, off the request path."""
        try:
            if bundle.preference is not None and bundle.published is not None:
                forgotten = self.store.users_forgotten_count()
                if forgotten == self._forgotten_seen:
                    return  # nobody was forgotten since the last look
                drop_forgotten_users(self.store, bundle.preference, bundle.published)
                self._forgotten_seen = forgotten
        except Exception:
            logger.exception("looking for forgotten users failed; tried again at the next model check")
        finally:
            self._swapping = False
