"""Telegram's `callback_data` (at most 64 bytes) <-> the Rasa payload a button stands for.

Telegram refuses a message whose inline button carries more than 64 bytes of `callback_data`,
while the recommender's feedback payload, `/feedback{"item_id":"<id>","kind":"like"}`, takes 31
bytes besides an item id that may itself be 64 characters long. So every button's payload goes
through `CallbackCodec.encode` before it is sent, and every callback query's data through
`decode` before Rasa sees it:

- a feedback payload becomes `f:<kind>:<item id>` (`r:<kind>:<stars>:<item id>` for a rating) when
  that fits in 64 bytes, and decodes back to exactly the payload the actions wrote;
- any other payload that fits is sent as it is (`/ask_why`, `/refine{...}`);
- anything else gets a token `t:<22 characters>` (a keyed hash of the payload, so the same payload
  always gets the same token) kept in a bounded in-process map. A token from before a restart, or
  one evicted from the map, decodes to None: the channel answers "this button has expired".

A forged callback can only send what the user could type into the chat themselves.
Pure standard library: the action server's tests import it without Rasa.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections import OrderedDict
from typing import Any, Dict, Optional, Text

MAX_CALLBACK_BYTES = 64
FEEDBACK_PREFIX = "/feedback"
# the Rasa entity with the stars of a rating (a number; the codec never names a feedback kind itself)
RATING_ENTITY = "rating"
TOKEN_PREFIX = "t:"
_COMPACT_PREFIXES = ("f:", "r:", TOKEN_PREFIX)
_KIND = re.compile(r"^[a-z_]{1,20}$")


def _fits(data: Text) -> bool:
    return len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES


def feedback_payload(item_id: Text, kind: Text, rating: Optional[int] = None) -> Text:
    """The payload the actions write (recommender/actions/_payload.py `feedback_payload`), byte for byte."""
    entities: Dict[Text, Any] = {"item_id": item_id, "kind": kind}
    if rating is not None:
        entities[RATING_ENTITY] = rating
    return FEEDBACK_PREFIX + json.dumps(entities, separators=(",", ":"), ensure_ascii=False)


def compact(payload: Text) -> Optional[Text]:
    """`f:<kind>:<item id>` / `r:<kind>:<stars>:<item id>` for a feedback payload, else None (may exceed 64 bytes)."""
    if not payload.startswith(FEEDBACK_PREFIX + "{"):
        return None
    try:
        entities = json.loads(payload[len(FEEDBACK_PREFIX):])
    except ValueError:
        return None
    if not isinstance(entities, dict):
        return None
    item_id, kind = entities.get("item_id"), entities.get("kind")
    if not isinstance(item_id, str) or not item_id or not isinstance(kind, str) or not _KIND.match(kind):
        return None
    if set(entities) == {"item_id", "kind"}:
        result = f"f:{kind}:{item_id}"
    elif set(entities) == {"item_id", "kind", RATING_ENTITY}:
        stars = entities[RATING_ENTITY]
        if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
            return None
        result = f"r:{kind}:{stars}:{item_id}"
    else:
        return None
    # only when it decodes back to the very same payload (key order, escaping)
    return result if expand(result) == payload else None


def expand(data: Text) -> Optional[Text]:
    """The payload of an `f:`/`r:` callback, else None."""
    if data.startswith("f:"):
        kind, sep, item_id = data[2:].partition(":")
        return feedback_payload(item_id, kind) if sep and item_id and _KIND.match(kind) else None
    if data.startswith("r:"):
        kind, sep, rest = data[2:].partition(":")
        stars, sep2, item_id = rest.partition(":")
        if sep and sep2 and item_id and _KIND.match(kind) and stars in ("1", "2", "3", "4", "5"):
            return feedback_payload(item_id, kind, int(stars))
    return None


class CallbackCodec:
    """Encodes payloads into `callback_data` of at most 64 bytes and decodes them back."""

    def __init__(self, key: Optional[bytes] = None, capacity: int = 20000) -> None:
        self._key = key or secrets.token_bytes(32)
        self._capacity = max(1, capacity)
        self._tokens: "OrderedDict[Text, Text]" = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tokens)

    def encode(self, payload: Text) -> Text:
        """`callback_data` for a button that sends `payload` (always at most 64 bytes)."""
        short = compact(payload)
        if short is not None and _fits(short):
            return short
        if _fits(payload) and not payload.startswith(_COMPACT_PREFIXES):
            return payload
        digest = hmac.new(self._key, payload.encode("utf-8"), hashlib.sha256).digest()
        token = TOKEN_PREFIX + base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")
        with self._lock:
            self._tokens[token] = payload
            self._tokens.move_to_end(token)
            while len(self._tokens) > self._capacity:
                self._tokens.popitem(last=False)
        return token

    def decode(self, data: Text) -> Optional[Text]:
        """The payload a button's `callback_data` stands for; None for an unknown or expired token."""
        if data.startswith(TOKEN_PREFIX):
            with self._lock:
                return self._tokens.get(data)
        if data.startswith(("f:", "r:")):
            return expand(data)
        return data

    def encode_markup(self, markup: Any) -> Any:
        """A copy of an `InlineKeyboardMarkup` dict with every `callback_data` encoded."""
        if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
            return markup
        rows = []
        for row in markup["inline_keyboard"]:
            buttons = []
            for button in row if isinstance(row, list) else [row]:
                if isinstance(button, dict) and isinstance(button.get("callback_data"), str):
                    button = {**button, "callback_data": self.encode(button["callback_data"])}
                buttons.append(button)
            rows.append(buttons)
        return {**markup, "inline_keyboard": rows}
