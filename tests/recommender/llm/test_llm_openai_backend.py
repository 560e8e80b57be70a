"""The OpenAI-compatible backend over httpx: protocol, retries, errors and deadlines against scripted
loopback servers, then the real thing: llama-cpp-python's server with the packaged model.

Deadlines are checked as behaviour (a server held at a closed gate has answered nothing when the call
returns); the real model is waited for up to a ceiling that only catches a hang.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from llm_helpers import (
    BY_ID,
    CATALOG,
    HANG_CEILING_S,
    TEST_MODEL,
    assert_the_model_answered,
    chat_completion,
    free_port,
)

from recommender.config import Settings
from recommender.llm import Deadline, ExplainItem, LLMPipeline, QuerySummary
from recommender.llm.backends import close_backends, get_backend
from recommender.llm.errors import (
    LLMConfigurationError,
    LLMNotSupportedError,
    LLMResponseError,
    LLMTimeoutError,
    LLMUnavailableError,
)
from recommender.llm.metrics import LLMCounters
from recommender.llm.openai_client import OpenAIBackend

MESSAGES: list[Any] = [{"role": "user", "content": "Say hi"}]
QUERY = QuerySummary(request="a funny film for the kids", genres=("comedy",))
CANDIDATES = [(BY_ID[i], 1.0 - n / 10) for n, i in enumerate(("1", "5", "11", "8", "6"))]


def test_chat_sends_the_protocol_and_the_api_key(loopback_server: Any) -> None:
    server = loopback_server(lambda method, path, body: (200, {}, chat_completion("hello")))
    backend = OpenAIBackend(f"{server.url}/v1", "some-model", api_key="sk-test")
    assert backend.chat(MESSAGES, max_tokens=7, temperature=0.0, stop=["\n"], timeout=5) == "hello"
    method, path, body, headers = server.requests[0]
    assert (method, path) == ("POST", "/v1/chat/completions")
    assert body == {"model": "some-model", "messages": MESSAGES, "max_tokens": 7, "temperature": 0.0,
                    "stream": False, "stop": ["\n"]}
    assert headers["Authorization"] == "Bearer sk-test"
    with pytest.raises(LLMNotSupportedError):
        backend.score_options(MESSAGES, ["a"], timeout=1)


def test_429_and_503_are_retried_with_backoff_then_succeed(loopback_server: Any) -> None:
    answers = [(429, {"Retry-After": "0.05"}, b'{"error": {"message": "slow down"}}'),
               (503, {}, b'{"error": "overloaded"}'),
               (200, {}, chat_completion("third time lucky"))]
    server = loopback_server(lambda method, path, body: answers.pop(0))
    backend = OpenAIBackend(f"{server.url}/v1", "m", max_retries=2)
    assert backend.chat(MESSAGES, max_tokens=5, timeout=10) == "third time lucky"
    assert len(server.requests) == 3


def test_retries_are_bounded(loopback_server: Any) -> None:
    server = loopback_server(lambda method, path, body: (500, {}, b'{"error": {"message": "boom"}}'))
    backend = OpenAIBackend(f"{server.url}/v1", "m", max_retries=1)
    with pytest.raises(LLMUnavailableError, match="after 2 attempt"):
        backend.chat(MESSAGES, max_tokens=5, timeout=10)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (401, b'{"error": {"message": "bad key"}}', LLMConfigurationError, "RECSYS_LLM_API_KEY"),
        (404, b'{"error": {"message": "no such model"}}', LLMConfigurationError, "RECSYS_LLM_BASE_URL"),
        (400, b'{"error": {"message": "context too long"}}', LLMResponseError, "context too long"),
        (200, b"<html>not json</html>", LLMResponseError, "not JSON"),
        (200, b'{"choices": []}', LLMResponseError, "choices"),
    ],
)
def test_errors_that_retrying_cannot_fix_fail_at_once_with_a_clear_message(
    loopback_server: Any, status: int, body: bytes, error: type[Exception], message: str
) -> None:
    server = loopback_server(lambda method, path, _: (status, {}, body))
    with pytest.raises(error, match=message):
        OpenAIBackend(f"{server.url}/v1", "m", max_retries=3).chat(MESSAGES, max_tokens=5, timeout=5)
    assert len(server.requests) == 1


def held_server(loopback_server: Any, gate: threading.Event, content: str = "too late") -> tuple[Any, list[str]]:
    """A server that answers only once `gate` opens; `answered` lists the paths it has answered."""
    answered: list[str] = []

    def held(method: str, path: str, body: Any) -> tuple[int, dict[str, str], bytes]:
        gate.wait(HANG_CEILING_S)
        answered.append(path)
        return 200, {}, chat_completion(content)

    return loopback_server(held), answered


def test_a_slow_server_is_cut_off_at_the_deadline(loopback_server: Any, gate: threading.Event) -> None:
    server, answered = held_server(loopback_server, gate)
    with pytest.raises(LLMTimeoutError):
        OpenAIBackend(f"{server.url}/v1", "m").chat(MESSAGES, max_tokens=5, timeout=0.3)
    # the call gave up at its deadline: the server had received it and answered nothing yet
    assert len(server.requests) == 1 and answered == []


def test_a_down_endpoint_fails_fast_after_bounded_retries() -> None:
    backend = OpenAIBackend(f"http://127.0.0.1:{free_port()}/v1", "m", max_retries=2)
    # all the time in the world: it gives up because its retries are spent, not because time ran out
    with pytest.raises(LLMUnavailableError, match="unreachable after 3 attempt"):
        backend.chat(MESSAGES, max_tokens=5, timeout=HANG_CEILING_S)


def test_the_base_url_must_be_http() -> None:
    with pytest.raises(LLMConfigurationError, match="http"):
        OpenAIBackend("127.0.0.1:8000/v1", "m")


@pytest.mark.parametrize("mode", ["down", "slow"])
def test_fault_turn_gets_the_fallback_within_the_budget(
    tmp_path: Path, loopback_server: Any, gate: threading.Event, mode: str
) -> None:
    """Acceptance: with the endpoint down or slow, re-rank and explain return the fallback in budget:
    the turn never waits for an answer (the slow server has answered nothing when it returns; the
    down one refuses at once). The turn's latency is measured in benchmarks/llm_bench.py."""
    answered: list[str] = []
    if mode == "down":
        url = f"http://127.0.0.1:{free_port()}/v1"
    else:
        server, answered = held_server(loopback_server, gate, "{}")
        url = f"{server.url}/v1"
    settings = Settings(var_dir=tmp_path, llm_backend="openai", llm_base_url=url, llm_model="m", turn_budget_ms=400)
    counters = LLMCounters()
    llm = LLMPipeline(settings, OpenAIBackend.from_settings(settings), counters=counters)
    items = [ExplainItem(it, "template") for it, _ in CANDIDATES[:3]]
    deadline = Deadline.after_ms(settings.turn_budget_ms)
    reranked = llm.rerank(QUERY, CANDIDATES, deadline=deadline.share(settings.llm_rerank_budget_share))
    explained = llm.explain(QUERY, items, catalog=CATALOG, catalog_version="v", deadline=deadline)
    assert answered == []  # the slow server had answered nothing when the turn was over
    outcomes = {key: n for key, n in counters.snapshot().items() if key[0] in ("rerank", "explain")}
    assert all(reason != "ok" for _, reason in outcomes), outcomes
    assert not reranked.applied and reranked.order == tuple(it.item_id for it, _ in CANDIDATES)
    assert explained.source == "template" and explained.reason_for("1", "template") == "template"
    assert counters.get("rerank") == 1 and counters.get("explain") == 1


# -- against a real OpenAI-compatible server (llama-cpp-python) with the packaged model ------------
@pytest.fixture(scope="module")
def real_backend(llama_server: str) -> OpenAIBackend:
    return OpenAIBackend(llama_server, TEST_MODEL)


def test_real_server_lists_and_chats(real_backend: OpenAIBackend) -> None:
    assert TEST_MODEL in real_backend.list_models()
    text = real_backend.chat([{"role": "user", "content": "Name one colour."}], max_tokens=8, timeout=HANG_CEILING_S)
    assert isinstance(text, str) and text.strip()


def test_real_server_honours_max_tokens_and_stop(real_backend: OpenAIBackend) -> None:
    text = real_backend.chat([{"role": "user", "content": "Count from 1 to 50, comma separated."}],
                             max_tokens=200, stop=["5"], timeout=HANG_CEILING_S)
    assert "5" not in text


def test_settings_pick_the_backend_and_the_key_comes_from_the_environment(
    tmp_path: Path, llama_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECSYS_LLM_API_KEY", "from-env")
    settings = Settings(var_dir=tmp_path, llm_backend="openai", llm_base_url=llama_server, llm_model=TEST_MODEL)
    assert settings.llm_api_key is not None and "from-env" not in repr(settings)
    backend = get_backend(settings)
    assert isinstance(backend, OpenAIBackend) and backend is get_backend(settings)
    assert backend.client.headers["Authorization"] == "Bearer from-env"
    assert backend.chat(MESSAGES, max_tokens=4, timeout=HANG_CEILING_S)
    close_backends()
    assert get_backend(Settings(var_dir=tmp_path, llm_backend="none")) is None


def test_real_server_turn_only_ever_yields_candidates(tmp_path: Path, llama_server: str) -> None:
    """Listwise re-rank and explanations from a real (weak) model: whatever it says, only candidate
    ids come back, every reason is either grounded or the template, and the counters add up."""
    settings = Settings(var_dir=tmp_path, llm_backend="openai", llm_base_url=llama_server, llm_model=TEST_MODEL,
                        llm_max_tokens=160, llm_timeout_s=HANG_CEILING_S)
    counters = LLMCounters()
    llm = LLMPipeline(settings, OpenAIBackend.from_settings(settings), counters=counters)
    reranked = llm.rerank(QUERY, CANDIDATES, deadline=Deadline.after_s(HANG_CEILING_S))
    assert set(reranked.order) == {it.item_id for it, _ in CANDIDATES}
    assert set(reranked.scores) <= {it.item_id for it, _ in CANDIDATES}
    assert counters.get("rerank") == 1
    items = [ExplainItem(it, f"template {it.item_id}") for it, _ in CANDIDATES[:3]]
    explained = llm.explain(QUERY, items, catalog=CATALOG, catalog_version="v", deadline=Deadline.after_s(HANG_CEILING_S))
    assert set(explained.reasons) <= {e.item.item_id for e in items}
    assert counters.get("explain") == 1
    assert_the_model_answered(counters)
    print("rerank:", reranked.mode, reranked.applied, reranked.error, "| explain:", explained.source,
          json.dumps(explained.rejected))
