"""The one interface every LLM backend implements (`backends.get_backend` picks one from settings).

Two operations cover what the recommender needs from a language model:
- `chat`: messages in, text out (listwise re-ranking, replies and reasons). Every server speaks it.
- `score_options`: the log-likelihood of each option as the assistant's answer. Only backends that
  see the model's logits can offer it (the local one); it makes pointwise re-ranking possible
  without any generation, which is what a small CPU model is fast enough for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, TypedDict, runtime_checkable


class ChatMessage(TypedDict):
    """One OpenAI-style chat message."""

    role: Literal["system", "user", "assistant"]
    content: str


@runtime_checkable
class LLMBackend(Protocol):
    """A language model behind `chat` and (optionally) `score_options`."""

    name: str
    supports_scoring: bool

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        timeout: float,
    ) -> str:
        """The assistant's reply text; raises an `LLMError` subclass, never returns partial output."""
        ...

    def score_options(self, messages: Sequence[ChatMessage], options: Sequence[str], *, timeout: float) -> list[float]:
        """Log P(option | messages) for each option, as the start of the assistant's reply.

        Raises `LLMNotSupportedError` where `supports_scoring` is False.
        """
        ...

    def close(self) -> None:
        """Release connections or memory; the backend may be used again afterwards (it reopens)."""
        ...
