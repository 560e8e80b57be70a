"""A packaged model run in-process through transformers: loaded lazily once, one call at a time.

Why in-process: no server to start, nothing leaves the machine, and the logits are at hand, so the
re-ranker can score every candidate by log-likelihood with one shared prompt prefix instead of
generating text (on 2 CPU cores generation runs at 6-40 tokens/s, prompt reading at 230-1,500).
Calls are serialised by a lock: parallel generations on the same cores only make every one late.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recommender.config import Settings
from recommender.llm.backend import ChatMessage
from recommender.llm.errors import LLMConfigurationError, LLMError, LLMTimeoutError
from recommender.llm.packaged import materialise, resolve_source
from recommender.transformers_import import from_transformers

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)


def pick_device(explicit: str = "") -> str:
    """Explicit setting -> RECSYS_DEVICE -> CUDA if present -> CPU (one place decides)."""
    if explicit:
        return explicit
    if env := os.environ.get("RECSYS_DEVICE"):
        return env
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class LocalBackend:
    """`LLMBackend` over a transformers causal LM; thread-safe, lazy, offline."""

    name = "local"
    supports_scoring = True

    def __init__(
        self,
        model: str,
        cache_root: Path,
        *,
        device: str = "",
        threads: int = 0,
        expected_sha256: str = "",
        dtype_name: str = "bfloat16",
    ) -> None:
        self.model_name = model
        self.cache_root = cache_root
        self._device_setting = device
        self._threads = threads
        self._expected_sha256 = expected_sha256
        self._dtype_name = dtype_name
        self._lock = threading.RLock()
        self._model: Any = None
        self._tokenizer: Any = None
        self.device = ""
        self.load_seconds: float | None = None
        self._loader: threading.Thread | None = None
        self._loader_lock = threading.Lock()  # not `_lock`: that one is held for the whole load
        self._loaded = threading.Event()
        self._load_error: BaseException | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalBackend:
        """The backend the settings describe; nothing is loaded yet."""
        return cls(
            settings.llm_model,
            settings.var_dir / "llm",
            device=settings.llm_device,
            threads=settings.llm_threads,
            expected_sha256=settings.llm_model_sha256,
        )

    # -- loading ---------------------------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        """Whether the weights are in memory."""
        return self._model is not None

    def start_loading(self) -> None:
        """Load in a background thread (idempotent): turns keep their budget while weights load."""
        with self._loader_lock:
            if self._model is not None or (self._loader is not None and self._loader.is_alive()):
                return
            if self._load_error is not None:
                return
            self._loader = threading.Thread(target=self._load_in_background, name="llm-load", daemon=True)
            self._loader.start()

    def _load_in_background(self) -> None:
        yield_the_cpu()
        try:
            self.load()
        except BaseException as exc:
            logger.error("loading the local LLM %s failed: %s", self.model_name, exc)
            self._load_error = exc
            self._loaded.set()

    def load(self) -> None:
        """Load (converting and caching on first use) the model and tokenizer; idempotent, blocking."""
        with self._lock:
            if self._model is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            started = time.perf_counter()
            folder = materialise(
                resolve_source(self.model_name, self._expected_sha256), self.cache_root, self._dtype_name
            )
            import torch
            AutoModelForCausalLM, AutoTokenizer = from_transformers("AutoModelForCausalLM", "AutoTokenizer")

            if self._threads:
                torch.set_num_threads(self._threads)
            self.device = pick_device(self._device_setting)
            tokenizer = AutoTokenizer.from_pretrained(folder)
            if not getattr(tokenizer, "chat_template", None):
                raise LLMConfigurationError(
                    f"model {self.model_name!r} has no chat template; use an instruct model"
                )
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=getattr(torch, self._dtype_name))
            model = model.to(self.device)  # type: ignore[arg-type]  # transformers' stub wants a model, not a str
            model.eval()
            self._tokenizer, self._model = tokenizer, model
            self.load_seconds = time.perf_counter() - started
            self._loaded.set()
            logger.info("local LLM %s loaded on %s in %.1fs", self.model_name, self.device, self.load_seconds)

    def close(self) -> None:
        """Drop the weights; the next call loads them again."""
        with self._lock:
            self._model = self._tokenizer = None
            self._load_error = None
            self._loaded.clear()

    def _acquire(self, deadline: float) -> None:
        """Take the model for one call; never waits past `deadline`, not even for loading."""
        if self._model is None:
            self.start_loading()
            if not self._loaded.wait(timeout=max(0.0, deadline - time.monotonic())):
                raise LLMTimeoutError("the local model is still loading")
            if self._load_error is not None:
                if isinstance(self._load_error, LLMError):
                    raise self._load_error
                raise LLMConfigurationError(f"the local model could not be loaded: {self._load_error}")
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise LLMTimeoutError("the local model was busy with another call until the deadline")
        if self._model is None or time.monotonic() >= deadline:  # closed meanwhile, or no time left
            self._lock.release()
            raise LLMTimeoutError("no time left for the local model")

    def _prompt_ids(self, messages: Sequence[ChatMessage]) -> torch.Tensor:
        text = self._tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=False)
        ids = self._tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
        return ids.to(self.device)

    # -- LLMBackend --------------------------------------------------------------------------------
    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        timeout: float,
    ) -> str:
        """Generate the assistant's reply; raises LLMTimeoutError rather than return a cut-off text."""
        deadline = time.monotonic() + timeout
        self._acquire(deadline)
        try:
            import torch
            MaxTimeCriteria, StoppingCriteriaList = from_transformers("MaxTimeCriteria", "StoppingCriteriaList")

            ids = self._prompt_ids(messages)
            remaining = deadline - time.monotonic()
            kwargs: dict[str, Any] = {
                "max_new_tokens": max_tokens,
                "do_sample": temperature > 0,
                "stopping_criteria": StoppingCriteriaList([MaxTimeCriteria(remaining)]),
                "pad_token_id": self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
            }
            if temperature > 0:
                kwargs["temperature"] = temperature
            if stop:
                kwargs["stop_strings"] = list(stop)
                kwargs["tokenizer"] = self._tokenizer
            with torch.inference_mode():
                out = self._model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), **kwargs)
            if time.monotonic() >= deadline:
                raise LLMTimeoutError(f"local generation ran past its {timeout:.2f}s limit")
            text = str(self._tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True))
        except LLMError:
            raise
        except Exception as exc:  # torch/transformers errors become one kind the pipeline handles
            raise LLMError(f"local generation failed: {exc}") from exc
        finally:
            self._lock.release()
        return _cut_at_stop(text, stop)

    def score_options(self, messages: Sequence[ChatMessage], options: Sequence[str], *, timeout: float) -> list[float]:
        """Sum of token log-probabilities of each option as the reply's start, one shared prefix pass.

        The prompt is read once; its key/value cache is repeated over a batch holding every option,
        so ten candidates cost one prompt plus a few tokens each.
        """
        if not options:
            return []
        deadline = time.monotonic() + timeout
        self._acquire(deadline)
        try:
            import torch

            prefix = self._prompt_ids(messages)
            encoded = [self._tokenizer(o, add_special_tokens=False)["input_ids"] or [0] for o in options]
            with torch.inference_mode():
                first = self._model(input_ids=prefix, attention_mask=torch.ones_like(prefix), use_cache=True)
                if time.monotonic() >= deadline:
                    raise LLMTimeoutError("reading the prompt took the whole time limit")
                cache = first.cache  # transformers 5.x name (was past_key_values)
                first_logp = torch.log_softmax(first.logits[0, -1].float(), dim=-1)
                width = max(len(e) for e in encoded)
                pad = self._tokenizer.pad_token_id or 0
                batch = torch.tensor([e + [pad] * (width - len(e)) for e in encoded], device=self.device)
                valid = torch.tensor([[1] * len(e) + [0] * (width - len(e)) for e in encoded], device=self.device)
                scores = [float(first_logp[e[0]]) for e in encoded]
                if width > 1:
                    cache.batch_repeat_interleave(len(options))
                    mask = torch.cat([torch.ones(len(options), prefix.shape[1], device=self.device, dtype=valid.dtype), valid], 1)
                    out = self._model(input_ids=batch, attention_mask=mask, cache=cache, use_cache=True)
                    logp = torch.log_softmax(out.logits[:, :-1].float(), dim=-1)
                    picked = logp.gather(2, batch[:, 1:].unsqueeze(-1)).squeeze(-1) * valid[:, 1:]
                    scores = [s + float(extra) for s, extra in zip(scores, picked.sum(1), strict=True)]
            if time.monotonic() >= deadline:
                raise LLMTimeoutError(f"scoring ran past its {timeout:.2f}s limit")
            return scores
        except LLMError:
            raise
        except Exception as exc:
            raise LLMError(f"local scoring failed: {exc}") from exc
        finally:
            self._lock.release()


# Nice value of the background load: the weights (converted once per clone: 30-60 s of both cores on
# an idle machine) join when ready, and never slow down the servers starting or the turns served
# meanwhile (Rasa loading its model beside the first conversion took 4 minutes instead of one).
BACKGROUND_NICE = 10


def yield_the_cpu(nice: int = BACKGROUND_NICE) -> None:
    """Run the calling thread, and the threads it starts, at a lower CPU priority (Linux: the nice
    value is per thread; elsewhere, or where it cannot be changed, nothing happens)."""
    try:
        current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), max(current, nice))
    except (AttributeError, OSError):
        pass


def _cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """OpenAI semantics: the reply ends before the first stop string, which is not included."""
    cut = len(text)
    for s in stop:
        if s and (i := text.find(s)) >= 0:
            cut = min(cut, i)
    return text[:cut]

