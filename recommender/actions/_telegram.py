"""A recommendation turn as Telegram shows it: a plain-text card per item with its own inline keyboard.

`rasa_addons.telegram_channel.RecommenderTelegramOutput` sends the `custom` payload
`{"messages": [{"text", "reply_markup"}, ...]}` as one Telegram message each. Every card is plain
text that reads well alone (title and year, genres, the reason), and its keyboard has short rows:
👍 Like / 👎 Dislike / ☆ Save, then ★1 ... ★5. A last message carries "Other options" and "Why these?".
The buttons hold the contract's full payloads (docs/conversation-contract.md); the channel turns
each into `callback_data` of at most 64 bytes and back (rasa_addons/telegram_callback.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recommender import feedback as fb
from recommender.actions._text import display_title
from recommender.phrases import genre_name, say
from recommender.types import RecommendedItem

TELEGRAM_CHANNEL = "telegram"
# feedback kind -> the phrases key of its button label
OPINION_LABELS = ((fb.LIKE, "like_button"), (fb.DISLIKE, "dislike_button"), (fb.BOOKMARK, "save_button"))


def _button(text: str, payload: str) -> dict[str, str]:
    return {"text": text, "callback_data": payload}


def item_card(position: int, entry: dict[str, Any], title: str, lang: str = "en") -> dict[str, Any]:
    """One item (an entry of the custom payload's `items`) as a Telegram message with its keyboard."""
    lines = [f"{position}. {title}"]
    if entry.get("genres"):
        lines.append(", ".join(genre_name(str(g), lang) for g in entry["genres"]))
    if entry.get("reason"):
        lines.append(str(entry["reason"]))
    if entry.get("url"):
        lines.append(str(entry["url"]))
    feedback = entry.get("feedback") or {}
    opinions = [_button(say(label, lang), feedback[kind]) for kind, label in OPINION_LABELS if kind in feedback]
    ratings = [_button(f"★{value}", payload) for value, payload in enumerate(entry.get("ratings") or [], start=1)]
    return {"text": "\n".join(lines), "reply_markup": {"inline_keyboard": [row for row in (opinions, ratings) if row]}}


def cards_payload(items: Sequence[RecommendedItem], entries: Sequence[dict[str, Any]],
                  more: Sequence[dict[str, str]] = (), lang: str = "en") -> dict[str, Any]:
    """The `custom` payload for Telegram: a card per item, then `more` (Rasa buttons) on a last message."""
    messages = [item_card(position, entry, display_title(rec), lang)
                for position, (rec, entry) in enumerate(zip(items, entries, strict=True), start=1)]
    if more:
        messages.append({"text": say("not_quite_it", lang), "reply_markup": {
            "inline_keyboard": [[_button(b["title"], b["payload"]) for b in more]]}})
    return {"messages": messages}
