"""Any OpenAI-compatible chat/completions server (vLLM, Ollama, llama.cpp server, hosted APIs) over httpx.

This is the backend for scale: the action server stays a thin stateless replica and inference runs
where the GPUs are. One pooled `httpx.Client` per backend keeps connections warm between turns;
each call has a hard deadline that covers every retry, so a slow server can never hold a turn longer
than the caller allowed.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx

from recommender.config import Settings
from recommender.llm.backend import ChatMessage
from recommender.llm.errors import (
    LLMConfigurationError,
    LLMNotSupportedError,
    LLMResponseError,
    LLMTimeoutError,
    LLMUnavailableError,
)

logger = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
_BACKOFF_BASE_S = 0.2
_BACKOFF_CAP_S = 4.0


class OpenAIBackend:
    """`LLMBackend` over POST {base_url}/chat/completions."""

    name = "openai"
    supports_scoring = False

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        max_retries: int = 2,
        max_connections: int = 32,
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise LLMConfigurationError(f"RECSYS_LLM_BASE_URL={base_url!r} must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.max_retries = max_retries
        self._api_key = api_key
        self._max_connections = max_connections
        self._transport = transport
        self._rng = rng or random.Random()
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIBackend:
        """The backend the settings describe; no connection is opened yet."""
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return cls(settings.llm_base_url, settings.llm_model, api_key=key, max_retries=settings.llm_max_retries)

    @property
    def client(self) -> httpx.Client:
        """The shared, pooled client (created on first use; httpx.Client is thread-safe)."""
        with self._client_lock:
            if self._client is None:
                headers = {"Accept": "application/json"}
                if self._api_key:
                    headers["Authorization"] = f"Bearer {self._api_key}"
                self._client = httpx.Client(
                    base_url=self.base_url,
                    headers=headers,
                    limits=httpx.Limits(
                        max_connections=self._max_connections, max_keepalive_connections=self._max_connections
                    ),
                    transport=self._transport,
                    follow_redirects=False,
                )
            return self._client

    def close(self) -> None:
        """Close the connection pool; a later call opens a new one."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- protocol ----------------------------------------------------------------------------------
    def list_models(self, timeout: float = 5.0) -> list[str]:
        """GET /models: the ids the server serves (a cheap health check)."""
        body = self._request("GET", "/models", None, time.monotonic() + timeout)
        data = body.get("data")
        if not isinstance(data, list):
            raise LLMResponseError("/models answered without a 'data' list")
        return [str(m.get("id")) for m in data if isinstance(m, dict)]

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        timeout: float,
    ) -> str:
        """POST /chat/completions and return choices[0].message.content."""
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": False,
        }
        if stop:
            payload["stop"] = list(stop)[:4]  # the protocol allows at most four
        body = self._request("POST", "/chat/completions", payload, time.monotonic() + timeout)
        try:
            content = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMResponseError("chat/completions answered without choices[0].message.content") from exc
        if not isinstance(content, str):
            raise LLMResponseError("choices[0].message.content is not a string")
        return content

    def score_options(self, messages: Sequence[ChatMessage], options: Sequence[str], *, timeout: float) -> list[float]:
        """Not offered: chat servers do not agree on prompt log-probabilities; use listwise re-ranking."""
        raise LLMNotSupportedError("the OpenAI-compatible backend cannot score options; use listwise re-ranking")

    # -- transport -----------------------------------------------------------------------------------
    def _request(self, method: str, path: str, payload: dict[str, Any] | None, deadline: float) -> dict[str, Any]:
        """One JSON request with bounded retries on 429/5xx/connection errors, all within `deadline`."""
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LLMTimeoutError(f"{method} {path}: no time left (after {attempt} attempt(s))")
            timeout = httpx.Timeout(remaining, connect=min(remaining, 3.0))
            retry_after: float | None = None
            try:
                response = self.client.request(method, path, json=payload, timeout=timeout)
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout) and attempt < self.max_retries:
                    problem = f"connect timeout to {self.base_url}"
                else:
                    raise LLMTimeoutError(f"{method} {self.base_url}{path} timed out") from exc
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                if attempt >= self.max_retries:
                    raise LLMUnavailableError(
                        f"{self.base_url} unreachable after {attempt + 1} attempt(s): {problem}"
                    ) from exc
            else:
                if response.status_code < 300:
                    return _json_body(response)
                problem = f"HTTP {response.status_code}: {_error_message(response)}"
                if response.status_code in (401, 403):
                    raise LLMConfigurationError(f"{self.base_url} refused the API key ({problem}); check RECSYS_LLM_API_KEY")
                if response.status_code == 404:
                    raise LLMConfigurationError(
                        f"{self.base_url}{path} not found ({problem}); check RECSYS_LLM_BASE_URL (with /v1) and RECSYS_LLM_MODEL"
                    )
                if response.status_code not in RETRY_STATUS:
                    raise LLMResponseError(f"{method} {path} was rejected: {problem}")
                if attempt >= self.max_retries:
                    raise LLMUnavailableError(f"{method} {path} failed after {attempt + 1} attempt(s): {problem}")
                retry_after = _retry_after_seconds(response)
            delay = retry_after if retry_after is not None else _BACKOFF_BASE_S * (2**attempt)
            delay = min(delay, _BACKOFF_CAP_S) * (0.5 + self._rng.random() / 2)
            if time.monotonic() + delay >= deadline:
                raise LLMTimeoutError(f"{method} {path}: {problem}; no time left to retry")
            logger.warning("LLM %s %s: %s; retry %d in %.2fs", method, path, problem, attempt + 1, delay)
            time.sleep(delay)
            attempt += 1


def _json_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LLMResponseError(f"the server answered HTTP {response.status_code} with a body that is not JSON") from exc
    if not isinstance(body, dict):
        raise LLMResponseError("the server answered with JSON that is not an object")
    return body


def _error_message(response: httpx.Response) -> str:
    """The OpenAI error shape {"error": {"message": ...}} if present, else the start of the body."""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        if isinstance(error, str):
            return error[:300]
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    return response.text[:300]


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
