"""The lazily created, process-wide recommender service that actions use by default.

rasa-sdk builds every Action with no arguments, and its Sanic server forks a worker, so
nothing heavy may happen at import time: `recommender.service` is imported on first use.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recommender.service import RecommenderService

_lock = threading.Lock()
_service: RecommenderService | None = None


def default_service() -> RecommenderService:
    """The shared `RecommenderService`, built once (thread-safe) on the first call."""
    global _service
    if _service is None:
        with _lock:
            if _service is None:
                from recommender.service import get_service

                _service = get_service()
    return _service


def reset_default_service() -> None:
    """Forget the cached service (tests, or after a configuration change)."""
    global _service
    with _lock:
        _service = None
