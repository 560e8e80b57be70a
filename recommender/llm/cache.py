"""A result cache in front of any backend: the same deterministic prompt is answered once.

Re-asked turns are common ("other options" re-renders the same candidates, a page reload repeats a
request, the benchmark repeats itself), and a CPU model spends seconds per answer. Only greedy
(temperature 0) calls are cached, only successes, bounded in size.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from recommender.llm.backend import ChatMessage, LLMBackend


class CachingBackend:
    """`LLMBackend` that memoises `chat` (temperature 0) and `score_options` by their exact inputs."""

    def __init__(self, inner: LLMBackend, maxsize: int = 256) -> None:
        self.inner = inner
        self.name = inner.name
        self.supports_scoring = inner.supports_scoring
        self.maxsize = maxsize
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def _key(self, *parts: Any) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    def _get(self, key: str) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        return None

    def _put(self, key: str, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        timeout: float,
    ) -> str:
        """Cached reply for greedy calls; others go straight through."""
        if temperature > 0:
            return self.inner.chat(messages, max_tokens=max_tokens, temperature=temperature, stop=stop, timeout=timeout)
        key = self._key("chat", list(messages), max_tokens, list(stop))
        cached = self._get(key)
        if cached is not None:
            return str(cached)
        value = self.inner.chat(messages, max_tokens=max_tokens, temperature=temperature, stop=stop, timeout=timeout)
        self._put(key, value)
        return value

    def score_options(self, messages: Sequence[ChatMessage], options: Sequence[str], *, timeout: float) -> list[float]:
        """Cached log-likelihoods."""
        key = self._key("score", list(messages), list(options))
        cached = self._get(key)
        if cached is not None:
            return list(cached)
        value = self.inner.score_options(messages, options, timeout=timeout)
        self._put(key, list(value))
        return value

    def close(self) -> None:
        """Close the inner backend and drop the cache."""
        with self._lock:
            self._entries.clear()
        self.inner.close()
