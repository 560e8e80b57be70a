"""The factory that picks the LLM backend from settings, one per configuration per process."""

from __future__ import annotations

import threading

from recommender.config import Settings
from recommender.llm.backend import LLMBackend
from recommender.llm.errors import LLMConfigurationError

_backends: dict[tuple[str, ...], LLMBackend] = {}
_backends_lock = threading.Lock()


def _backend_key(settings: Settings) -> tuple[str, ...]:
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    return (
        settings.llm_backend, settings.llm_model, settings.llm_model_sha256, settings.llm_device,
        str(settings.llm_threads), settings.llm_base_url, str(hash(key)), str(settings.var_dir),
        str(settings.llm_max_retries),
    )


def get_backend(settings: Settings) -> LLMBackend | None:
    """The process-wide backend for these settings (None when `llm_backend` is "none").

    Cached because a local model is loaded once per process and an HTTP backend owns a connection
    pool; building either per request would throw both away. Nothing is loaded here: the local
    backend loads its weights on first use, so importing and constructing stay cheap.
    """
    if settings.llm_backend == "none":
        return None
    key = _backend_key(settings)
    with _backends_lock:
        backend = _backends.get(key)
        if backend is None:
            backend = _build_backend(settings)
            _backends[key] = backend
        return backend


def _build_backend(settings: Settings) -> LLMBackend:
    if settings.llm_backend == "local":
        from recommender.llm.local import LocalBackend

        return LocalBackend.from_settings(settings)
    if settings.llm_backend == "openai":
        from recommender.llm.openai_client import OpenAIBackend

        return OpenAIBackend.from_settings(settings)
    raise LLMConfigurationError(
        f"RECSYS_LLM_BACKEND={settings.llm_backend!r} is not a backend; use none, local or openai"
    )


def close_backends() -> None:
    """Close every cached backend (tests, shutdown)."""
    with _backends_lock:
        for backend in _backends.values():
            backend.close()
        _backends.clear()
