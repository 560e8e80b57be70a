"""How much of a person's message reaches Rasa's NLU: one setting, applied by every channel (issue 15).

`RECSYS_MAX_MESSAGE_CHARS` (default 2000) is the setting `recommender.config.Settings.max_message_chars`
documents; the action server reads it there and the Rasa server reads it here, so both sides cut at
the same length (a test keeps the name and the default equal). Every channel of rasa_addons:

- cuts a message to that many characters **before** Rasa sees it (spaces or not: the tokenizer's
  token bound never applied to a message with no spaces), after removing control characters
  (C0/C1 except tab and newline, lone surrogates, and the bidirectional overrides that make text
  read differently from how it is stored);
- refuses a request body over `max_body_bytes()` with 413 before parsing it (Sanic's own limit is
  100 MB): room for a message of the allowed length in the worst JSON encoding (12 bytes per
  character, twice over for Slack, which sends the text and its blocks) and 64 KiB of envelope;
- turns `/EXTERNAL_...` typed by a person into plain words: those intents are for Rasa's
  `trigger_intent` API (the late LLM message, `utter_llm_followup` "{llm_text}"), and typed by a
  person they made the bot say whatever text they put in the entity.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any, Awaitable, Callable, Optional, Text

logger = logging.getLogger(__name__)

ENV_VAR = "RECSYS_MAX_MESSAGE_CHARS"
DEFAULT_MAX_MESSAGE_CHARS = 2000  # == recommender.config.Settings.max_message_chars' default (tested)
ENVELOPE_BYTES = 64 * 1024
BYTES_PER_CHAR = 24  # a "\ud83d\ude00"-escaped character is 12 bytes of JSON; Slack sends the text twice
EXTERNAL_PREFIX = "/EXTERNAL_"

# C0 and C1 controls but tab and newline; surrogates (only lone ones reach a str from JSON);
# bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069).
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def max_message_chars() -> int:
    """RECSYS_MAX_MESSAGE_CHARS, default 2000; anything but a positive integer stops the server."""
    raw = (os.environ.get(ENV_VAR) or "").strip()
    if not raw:
        return DEFAULT_MAX_MESSAGE_CHARS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{ENV_VAR}={raw!r}: expected a positive whole number of characters (default "
                         f"{DEFAULT_MAX_MESSAGE_CHARS}); see docs/security.md")
    return value


def max_body_bytes(max_chars: Optional[int] = None) -> int:
    """The largest request body a channel reads: any message it would keep fits, with its envelope."""
    return ENVELOPE_BYTES + BYTES_PER_CHAR * (max_chars if max_chars is not None else max_message_chars())


def clean_text(text: Any, max_chars: Optional[int] = None) -> Text:
    """The text Rasa may see: no control characters, at most `max_chars` characters, stripped."""
    if not isinstance(text, str):
        return ""
    limit = max_chars if max_chars is not None else max_message_chars()
    cleaned = _UNWANTED.sub("", text[: limit * 4]).strip()  # the cut first bounds the regex's work
    if cleaned.startswith(EXTERNAL_PREFIX):
        cleaned = cleaned[1:]
    return cleaned[:limit].strip()


def capped(on_new_message: Callable[[Any], Awaitable[Any]], max_chars: Optional[int] = None
           ) -> Callable[[Any], Awaitable[Any]]:
    """`on_new_message` that first cleans and cuts the message's text (`clean_text`)."""
    limit = max_chars if max_chars is not None else max_message_chars()

    async def handler(message: Any) -> Any:
        text = getattr(message, "text", None)
        if text:
            cleaned = clean_text(text, limit)
            if len(cleaned) < len(text.strip()):
                logger.info("a message of %d characters was cut to %d", len(text), len(cleaned))
            message.text = cleaned
        return await on_new_message(message)

    return handler


def limit_body(blueprint: Any, max_bytes: Optional[int] = None) -> Any:
    """Make `blueprint`'s routes answer 413 to a body over `max_bytes` without reading it all
    (Content-Length over the limit, or a chunked body once it passes it)."""
    from sanic import response
    from sanic.exceptions import PayloadTooLarge

    limit = max_bytes if max_bytes is not None else max_body_bytes()

    @blueprint.signal("http.routing.after")
    async def lower_the_limit(request: Any, route: Any, kwargs: Any, handler: Any) -> None:
        # Sanic calls this for every route of the app; only this blueprint's routes are lowered
        if route.name.split(".")[1:2] == [blueprint.name] and request.stream is not None:
            request.stream.request_max_size = min(request.stream.request_max_size, limit)

    @blueprint.exception(PayloadTooLarge)
    async def too_large(request: Any, exception: Exception) -> Any:
        return response.json({"error": f"the request body is over {limit} bytes; messages are cut to "
                                       f"{max_message_chars()} characters, send less"}, status=413)

    return blueprint
