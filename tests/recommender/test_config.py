"""The product defaults, read with a clean environment (tests/conftest.py pins the LLM off for the rest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.config import Settings
from recommender.llm.backends import close_backends, get_backend
from recommender.llm.local import LocalBackend
from recommender.llm.packaged import PACKAGED_MODELS, locate_parts


def test_the_default_llm_is_the_packaged_local_model_and_it_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECSYS_LLM_BACKEND", raising=False)
    monkeypatch.delenv("RECSYS_LLM_MODEL", raising=False)
    settings = Settings(_env_file=None, var_dir=tmp_path)  # type: ignore[call-arg]
    assert (settings.llm_backend, settings.llm_model) == ("local", "qwen2.5-coder-0.5b")
    backend = get_backend(settings)
    try:
        assert isinstance(backend, LocalBackend) and not backend.loaded  # built lazily: nothing loaded yet
    finally:
        close_backends()
    # requirements/app-nodeps.txt installs the default model's weight packages (no hub at run time)
    assert len(locate_parts(PACKAGED_MODELS[settings.llm_model])) == 6
