"""Helpers shared by the LLM tests: a small catalog, a scripted backend, scriptable loopback servers.

Imported by name (`from llm_helpers import ...`) like the other test packages' helper modules.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from recommender.config import PROJECT_ROOT
from recommender.llm.backend import ChatMessage
from recommender.llm.errors import LLMNotSupportedError
from recommender.llm.metrics import LLMCounters
from recommender.types import Item

TEST_MODEL = "smollm2-135m"
# How long a test waits for a real model, a held backend or a follow-up: long enough that only a
# hang reaches it. A busy machine makes answers later, never wrong, so tests assert on what the
# model did; how fast it does it is measured in benchmarks/ (benchmarks/llm_bench.py).
HANG_CEILING_S = 300.0
# Converted weights are cached where the app keeps them, so only the first run pays the conversion.
LLM_CACHE = Path(os.environ.get("RECSYS_TEST_LLM_CACHE", PROJECT_ROOT / "var" / "llm"))

CATALOG = [
    Item("1", "Toy Story (1995)", 1995, ("Animation", "Children's", "Comedy")),
    Item("2", "GoldenEye (1995)", 1995, ("Action", "Adventure", "Thriller")),
    Item("5", "Scream (1996)", 1996, ("Horror", "Thriller")),
    Item("6", "Groundhog Day (1993)", 1993, ("Comedy", "Romance")),
    Item("7", "Airplane! (1980)", 1980, ("Comedy",)),
    Item("8", "Alien (1979)", 1979, ("Action", "Horror", "Sci-Fi")),
    Item("9", "Godfather, The (1972)", 1972, ("Action", "Crime", "Drama")),
    Item("11", "Babe (1995)", 1995, ("Children's", "Comedy", "Drama")),
    Item("12", "Men in Black (1997)", 1997, ("Action", "Adventure", "Comedy", "Sci-Fi")),
    Item("15", "Casablanca (1942)", 1942, ("Drama", "Romance", "War")),
    Item("50", "Star Wars (1977)", 1977, ("Action", "Sci-Fi"), ("Harrison Ford", "Mark Hamill")),
    Item("100", "Heat (1995)", 1995, ("Action", "Crime", "Thriller"), ("Al Pacino", "Robert De Niro")),
]
BY_ID = {it.item_id: it for it in CATALOG}


class ScriptedBackend:
    """An `LLMBackend` that answers from a script: fixed text, a function of the messages, or delays.

    It stands in for a model whose behaviour a test must control exactly (a hostile one included);
    the real-model tests use the packaged model and a real server instead. With a `gate` it answers
    only once the test opens the gate: a call that returns while `answered` is still 0 provably did
    not wait for the model, however slow the machine is (no wall-clock slack involved).
    """

    name = "scripted"

    def __init__(
        self,
        reply: str | Callable[[Sequence[ChatMessage]], str] = "",
        *,
        delay: float = 0.0,
        scores: Callable[[Sequence[str]], list[float]] | None = None,
        gate: threading.Event | None = None,
    ) -> None:
        self.reply = reply
        self.delay = delay
        self.scores = scores
        self.gate = gate
        self.supports_scoring = scores is not None
        self.calls: list[list[ChatMessage]] = []
        self.answered = 0  # calls that returned (or raised) after their wait

    def _wait(self) -> None:
        if self.gate is not None and not self.gate.wait(HANG_CEILING_S):
            raise AssertionError("the test never opened the gate")
        if self.delay:
            time.sleep(self.delay)

    def chat(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0,
             stop: Sequence[str] = (), timeout: float) -> str:
        self.calls.append(list(messages))
        try:
            self._wait()
            return self.reply(messages) if callable(self.reply) else self.reply
        finally:
            self.answered += 1

    def score_options(self, messages: Sequence[ChatMessage], options: Sequence[str], *, timeout: float) -> list[float]:
        self.calls.append(list(messages))
        if self.scores is None:
            raise LLMNotSupportedError("scripted backend without scores")
        try:
            self._wait()
            return self.scores(options)
        finally:
            self.answered += 1

    def close(self) -> None:
        pass


def assert_the_model_answered(counters: LLMCounters) -> None:
    """Every re-rank and explain call got an answer (used or rejected by validation), none an error or timeout.

    A real-model test whose server died would otherwise pass on the template fallback alone.
    """
    outcomes = {(event, reason): n for (event, reason), n in counters.snapshot().items()
                if event in ("rerank", "explain")}
    assert outcomes, "no rerank/explain call was made"
    failed = {key: n for key, n in outcomes.items() if key[1] != "ok" and not key[1].startswith("rejected:")}
    assert not failed, f"the model did not answer: {failed}"


class TrackingExecutor(ThreadPoolExecutor):
    """The LLM worker pool of one pipeline, keeping its futures so a test can wait for late work to end
    (instead of sleeping "long enough") and see whether a turn started any work at all."""

    def __init__(self) -> None:
        super().__init__(max_workers=2, thread_name_prefix="test-llm")
        self.futures: list[Future[Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        self.futures.append(future)
        return future

    def drain(self) -> None:
        """Wait until every submitted call has ended (a hang fails at `HANG_CEILING_S`)."""
        _, pending = wait_for_futures(list(self.futures), timeout=HANG_CEILING_S)
        assert not pending, f"{len(pending)} LLM call(s) still running after {HANG_CEILING_S:.0f}s"


def wait_until(condition: Callable[[], bool], what: str, ceiling: float = HANG_CEILING_S) -> None:
    """Poll `condition` until it holds; fail only if it still does not after `ceiling` seconds."""
    deadline = time.monotonic() + ceiling
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not after {ceiling:.0f}s"
        time.sleep(0.02)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


Handler = Callable[[str, str, dict[str, Any] | None], tuple[int, dict[str, str], bytes]]


class LoopbackServer:
    """A real HTTP server on 127.0.0.1 whose answers a test scripts (status, headers, body)."""

    def __init__(self, handle: Handler) -> None:
        self.requests: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]] = []
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                outer.requests.append((self.command, self.path, body, dict(self.headers)))
                status, headers, payload = handle(self.command, self.path, body)
                try:
                    self.send_response(status)
                    for k, v in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (the deadline tests do exactly that)

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def chat_completion(content: str, model: str = "test") -> bytes:
    """A chat.completion body as the OpenAI protocol defines it."""
    return json.dumps({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }).encode()
