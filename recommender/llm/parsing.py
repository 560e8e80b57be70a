"""Strict parsers for LLM output: one JSON object of a known shape, or a `ParseError`.

Strict on purpose: a small model that wraps its answer in chatter has not followed the format, and
guessing what it meant is how an unvetted id or sentence would slip through. The only leniency is a
Markdown code fence around the object, which models add even when told not to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_FENCE = re.compile(r"^```(?:json|JSON)?\s*\n?(.*?)\n?\s*```$", re.DOTALL)
MAX_OUTPUT_CHARS = 20_000


class ParseError(ValueError):
    """The output is not the one JSON object the prompt asked for; `code` names the reason."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


def parse_json_object(text: str) -> dict[str, Any]:
    """Exactly one JSON object, optionally inside a code fence, with nothing else around it."""
    if len(text) > MAX_OUTPUT_CHARS:
        raise ParseError("too_long", f"{len(text)} characters")
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    if not body.startswith("{"):
        raise ParseError("not_json", "the output does not start with a JSON object")
    try:
        value, end = json.JSONDecoder().raw_decode(body)
    except json.JSONDecodeError as exc:
        raise ParseError("bad_json", str(exc)) from exc
    if body[end:].strip():
        raise ParseError("trailing_text", "text follows the JSON object")
    if not isinstance(value, dict):
        raise ParseError("not_object", "the JSON value is not an object")
    return value


def _as_id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip().removeprefix("id=").strip()
    return None


@dataclass(frozen=True)
class ParsedRanking:
    """The ids as the model ordered them (duplicates and non-ids removed), and how many were removed."""

    ids: tuple[str, ...]
    malformed: int


def parse_ranking(text: str) -> ParsedRanking:
    """{"ranking": [id, ...]} -> ids in order. Whether they are candidates is the caller's check."""
    obj = parse_json_object(text)
    ranking = obj.get("ranking")
    if not isinstance(ranking, list):
        raise ParseError("bad_shape", "'ranking' must be a list of ids")
    ids: list[str] = []
    malformed = 0
    for entry in ranking:
        item_id = _as_id(entry)
        if item_id is None or item_id in ids:
            malformed += 1
            continue
        ids.append(item_id)
    if not ids:
        raise ParseError("empty", "'ranking' holds no usable id")
    return ParsedRanking(tuple(ids), malformed)


@dataclass(frozen=True)
class ParsedExplanation:
    """The reply sentence and the reasons by id, exactly as the model wrote them."""

    reply: str | None
    reasons: dict[str, str]
    malformed: int


def parse_explanation(text: str) -> ParsedExplanation:
    """{"reply": str, "reasons": {id: str} or [{"id": id, "reason": str}]} -> reply and reasons."""
    obj = parse_json_object(text)
    reply = obj.get("reply")
    if reply is not None and not isinstance(reply, str):
        raise ParseError("bad_shape", "'reply' must be a string")
    raw = obj.get("reasons")
    pairs: list[tuple[Any, Any]]
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = [(e.get("id"), e.get("reason")) if isinstance(e, dict) else (None, None) for e in raw]
    else:
        raise ParseError("bad_shape", "'reasons' must be an object {id: reason} or a list of {id, reason}")
    reasons: dict[str, str] = {}
    malformed = 0
    for key, value in pairs:
        item_id = _as_id(key)
        if item_id is None or not isinstance(value, str) or not value.strip() or item_id in reasons:
            malformed += 1
            continue
        reasons[item_id] = value.strip()
    return ParsedExplanation(reply.strip() if isinstance(reply, str) and reply.strip() else None, reasons, malformed)
