"""LLM-written reply and reasons, accepted sentence by sentence only when grounded.

The model sees the shown items with their real attributes and the user's stated preferences and
returns JSON. Each reason is checked against its own item (`grounding.check_reason`), the reply
against all shown items; whatever fails is replaced by the template reason, and every rejection is
counted by its cause, so the share of rejected output is measurable per prompt variant.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from recommender.context import display_title
from recommender.llm.backend import ChatMessage, LLMBackend
from recommender.llm.grounding import CatalogVocabulary, check_reason, check_reply
from recommender.llm.metrics import COUNTERS, LLMCounters
from recommender.llm.parsing import ParseError, parse_explanation
from recommender.llm.prompts import PromptTemplate
from recommender.llm.query import QuerySummary, prompt_values
from recommender.types import Item


@dataclass(frozen=True)
class ExplainItem:
    """A shown item and the template reason that stands in for a rejected LLM reason."""

    item: Item
    template_reason: str


@dataclass(frozen=True)
class Explanation:
    """The validated LLM text for one turn; anything missing falls back to templates.

    `reasons` holds only accepted LLM reasons; use `reason_for` to get the final one per item.
    `rejected` maps an item id, "reply" or "output" to the problem codes that rejected it.
    `pending` means the LLM is still writing and a follow-up will carry its message.
    """

    reply: str | None
    reasons: dict[str, str]
    prompt_version: str | None
    source: Literal["llm", "partial", "template"]
    latency: float = 0.0
    rejected: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pending: bool = False
    error: str | None = None

    def reason_for(self, item_id: str, template_reason: str) -> str:
        """The accepted LLM reason for this item, else the template reason."""
        return self.reasons.get(item_id, template_reason)

    @property
    def applied(self) -> bool:
        """Whether any LLM-written text is used."""
        return self.source != "template"


def template_explanation(
    prompt_version: str | None = None, *, error: str | None = None, pending: bool = False, latency: float = 0.0
) -> Explanation:
    """No LLM text: the service's own reply and the template reasons are used."""
    return Explanation(None, {}, prompt_version, "template", latency, pending=pending, error=error)


def explanation_messages(prompt: PromptTemplate, query: QuerySummary, items: Sequence[ExplainItem]) -> list[ChatMessage]:
    """The chat messages for `prompt` over these items."""
    return prompt.render(prompt_values(query, [e.item for e in items]))


def validate_explanation(
    raw: str,
    *,
    system_prompt: str,
    query: QuerySummary,
    items: Sequence[ExplainItem],
    vocab: CatalogVocabulary,
    prompt_version: str,
    latency: float = 0.0,
    counters: LLMCounters = COUNTERS,
) -> Explanation:
    """Parse and check the model's JSON; keep each sentence that passes, count each that does not."""
    try:
        parsed = parse_explanation(raw)
    except ParseError as exc:
        counters.inc("explain", f"rejected:{exc.code}")
        return Explanation(None, {}, prompt_version, "template", latency, {"output": (exc.code,)}, error=f"parse:{exc.code}")
    shown = [e.item for e in items]
    by_id = {it.item_id: it for it in shown}
    rejected: dict[str, tuple[str, ...]] = {}
    reasons: dict[str, str] = {}
    for item_id, text in parsed.reasons.items():
        item = by_id.get(item_id)
        if item is None:
            rejected[f"id:{item_id[:32]}"] = ("unknown_id",)
            counters.inc("reason", "rejected:unknown_id")
            continue
        problems = check_reason(text, item, [it for it in shown if it is not item], query, vocab, system_prompt)
        if problems:
            rejected[item_id] = problems
            for problem in problems:
                counters.inc("reason", f"rejected:{problem}")
        else:
            reasons[item_id] = _sentence(text)
            counters.inc("reason", "ok")
    counters.inc("reason", "missing", sum(1 for it in shown if it.item_id not in parsed.reasons))
    counters.inc("reason", "rejected:malformed", parsed.malformed)
    reply = parsed.reply
    if reply is not None:
        problems = check_reply(reply, shown, query, vocab, system_prompt)
        if problems:
            rejected["reply"] = problems
            for problem in problems:
                counters.inc("reply", f"rejected:{problem}")
            reply = None
        else:
            counters.inc("reply", "ok")
    else:
        counters.inc("reply", "missing")
    if reasons and len(reasons) == len(shown) and reply is not None:
        source: Literal["llm", "partial", "template"] = "llm"
    elif reasons or reply is not None:
        source = "partial"
    else:
        source = "template"
    counters.inc("explain", "ok" if source != "template" else "rejected:all")
    return Explanation(reply, reasons, prompt_version, source, latency, rejected)


def generate_explanation(
    backend: LLMBackend,
    prompt: PromptTemplate,
    query: QuerySummary,
    items: Sequence[ExplainItem],
    vocab: CatalogVocabulary,
    *,
    timeout: float,
    max_tokens: int,
    temperature: float = 0.0,
    counters: LLMCounters = COUNTERS,
) -> Explanation:
    """Ask the model and validate; raises `LLMError` (the caller decides on the fallback)."""
    started = time.monotonic()
    messages = explanation_messages(prompt, query, items)
    raw = backend.chat(messages, max_tokens=max_tokens, temperature=temperature, timeout=timeout)
    return validate_explanation(
        raw,
        system_prompt=messages[0]["content"],
        query=query,
        items=items,
        vocab=vocab,
        prompt_version=prompt.version,
        latency=time.monotonic() - started,
        counters=counters,
    )


def _sentence(text: str) -> str:
    """Trim and drop a trailing full stop, matching how template reasons are shown ('… — reason')."""
    return " ".join(text.split()).rstrip(".")


def compose_message(explanation: Explanation, items: Sequence[ExplainItem], fallback_reply: str = "") -> str:
    """The full message text: the reply, then one numbered line per item with its final reason."""
    lines = [explanation.reply or fallback_reply]
    lines += [
        f"{i}. {display_title(e.item.title)} — {explanation.reason_for(e.item.item_id, e.template_reason)}"
        for i, e in enumerate(items, 1)
    ]
    return "\n".join(line for line in lines if line)


def final_reasons(explanation: Explanation, items: Sequence[ExplainItem]) -> Mapping[str, str]:
    """Item id -> the reason to show (LLM where accepted, template otherwise)."""
    return {e.item.item_id: explanation.reason_for(e.item.item_id, e.template_reason) for e in items}
