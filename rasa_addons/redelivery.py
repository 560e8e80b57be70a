"""Platforms deliver a webhook again when the first delivery looked failed or slow (Telegram's
`update_id`, Slack's `event_id`): the channels remember what they handled so a repeat is
acknowledged without reaching Rasa a second time. Bounded (the oldest keys are forgotten first)
and per process: a repeat that arrives after a restart is handled, so nothing is lost.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Hashable

DEFAULT_CAPACITY = 10000


class Deliveries:
    """The last `capacity` delivery keys this process handled."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = max(1, capacity)
        self._seen: "OrderedDict[Hashable, None]" = OrderedDict()
        self._lock = threading.Lock()

    def first(self, *keys: Hashable) -> bool:
        """True (and every key remembered) unless one of `keys` was handled before; None keys are ignored."""
        wanted = [key for key in keys if key is not None]
        with self._lock:
            if any(key in self._seen for key in wanted):
                return False
            for key in wanted:
                self._seen[key] = None
            while len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
        return True
