"""Names from transformers, resolved one thread at a time.

transformers resolves its names lazily on first use, and two threads resolving names at once can
fail with "cannot import name 'AutoModel' from 'transformers'" (four threads importing the text
encoder's and the LLM's classes failed 5 runs out of 5 here). The service loads the LLM and warms
the text embeddings on threads of their own, so every import of transformers goes through this
lock; once resolved, a name is a plain attribute and the lock is held only for a lookup.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

_LOCK = threading.Lock()


def from_transformers(*names: str) -> tuple[Any, ...]:
    """`from transformers import <names>`, thread-safe; ImportError as that statement raises it."""
    with _LOCK:
        module = importlib.import_module("transformers")
        try:
            return tuple(getattr(module, name) for name in names)
        except AttributeError as exc:
            raise ImportError(f"cannot import name {exc.name!r} from 'transformers'") from exc
