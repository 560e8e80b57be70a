"""Typed results -> channel messages: readable text, short buttons and the `custom` payload.

The payload shape is fixed by docs/conversation-contract.md:
    {"type": "recommendations" | "saved_items", "request_id": ..., "items": [{"item_id", "title",
     "year", "genres", "reason", "url", "image_url", "feedback": {"like", "dislike", "bookmark"},
     "ratings": [5 payloads: 1..5 stars]}]}

Rasa hands `custom` to each output channel's `send_custom_json`, which is channel-specific:
the REST channel returns it as is; the socket.io channel calls `sio.emit(event, **custom)`,
so the payload must sit under `data` there (a bare payload raises TypeError inside Rasa);
other platform channels treat it as API arguments, so they only get text and buttons. Slack and
Telegram get a `custom` payload of their own, a card per item with its buttons: Block Kit
(recommender/actions/_slack.py, sent by rasa_addons/slack_channel.py) and inline keyboards
(recommender/actions/_telegram.py, sent by rasa_addons/telegram_channel.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from recommender import feedback as fb
from recommender.actions._slack import SLACK_CHANNEL, blocks_payload
from recommender.actions._telegram import TELEGRAM_CHANNEL, cards_payload
from recommender.actions._text import display_title, numbered_list
from recommender.context import display_title as readable_title
from recommender.phrases import say
from recommender.types import ItemsReply, RecommendationResult, RecommendedItem

if TYPE_CHECKING:
    from collections.abc import Callable

    from recommender.types import Question

FEEDBACK_INTENT = "feedback"
OTHER_OPTIONS_PAYLOAD = '/refine{"refinement":"other options"}'
SURPRISE_PAYLOAD = '/request_recommendation{"refinement":"surprise me"}'
ASK_WHY_PAYLOAD = "/ask_why"
# the widget's cards carry every one-tap kind; text-only channels get the two opinions as buttons
PAYLOAD_KINDS = fb.BUTTON_KINDS
BUTTON_KINDS = tuple((kind, fb.KINDS[kind].button or kind) for kind in (fb.LIKE, fb.DISLIKE))

SOCKETIO_CHANNEL = "socketio"
# Channels that show each item as a card of its own: the text need not list them.
CARD_CHANNELS = frozenset({SOCKETIO_CHANNEL, TELEGRAM_CHANNEL, SLACK_CHANNEL})
# Channels whose cards the actions build in the platform's own format: (items, payload entries, the
# "Other options" / "Why these?" buttons) -> the `custom` payload their output channel sends.
NATIVE_CARDS: dict[str, Callable[..., dict[str, Any]]] = {
    TELEGRAM_CHANNEL: cards_payload,
    SLACK_CHANNEL: blocks_payload,
}
# Channels whose send_custom_json passes the dict to a platform API: text and buttons only.
NO_CUSTOM_CHANNELS = frozenset(
    {SLACK_CHANNEL, TELEGRAM_CHANNEL, "facebook", "twilio", "twilio_voice", "mattermost", "rocketchat",
     "webexteams", "hangouts", "botframework"}
)


RATING_VALUES = (1, 2, 3, 4, 5)


def feedback_payload(item_id: str, kind: str, rating: int | None = None) -> str:
    """`/feedback{"item_id":"50","kind":"like"}`: a button payload Rasa parses into intent + entities;
    a rating adds its value: `/feedback{"item_id":"50","kind":"rating","rating":4}`."""
    entities: dict[str, Any] = {"item_id": item_id, "kind": kind}
    if rating is not None:
        entities["rating"] = rating
    return "/" + FEEDBACK_INTENT + json.dumps(entities, separators=(",", ":"), ensure_ascii=False)


def item_payload(rec: RecommendedItem) -> dict[str, Any]:
    """One entry of `items` in the custom payload."""
    item = rec.item
    return {
        "item_id": item.item_id,
        "title": item.title,
        "year": item.year,
        "genres": list(item.genres),
        "reason": rec.reason,
        "url": item.url,
        "image_url": item.image_url,
        "feedback": {kind: feedback_payload(item.item_id, kind) for kind in PAYLOAD_KINDS},
        "ratings": [feedback_payload(item.item_id, fb.RATING, value) for value in RATING_VALUES],
    }


def items_payload(kind: str, items: Sequence[RecommendedItem], request_id: str | None,
                  lang: str = "en") -> dict[str, Any]:
    """The whole custom payload for a list of items (`kind` is "recommendations" or "saved_items");
    `language` tells a client which words to put on its buttons (the web widget)."""
    return {"type": kind, "request_id": request_id, "language": lang, "items": [item_payload(rec) for rec in items]}


def custom_for_channel(payload: dict[str, Any], channel: str | None) -> dict[str, Any] | None:
    """What to pass as `json_message` on this input channel (None: leave the custom payload out)."""
    if channel in NO_CUSTOM_CHANNELS:
        return None
    if channel == SOCKETIO_CHANNEL:
        return {"data": payload}
    return payload


def recommendation_buttons(items: Sequence[RecommendedItem], lang: str = "en") -> list[dict[str, str]]:
    """'👍 1', '👎 1', ... per item, then 'Other options' and 'Why these?' (in `lang`)."""
    buttons = [
        {"title": f"{emoji} {position}", "payload": feedback_payload(rec.item.item_id, kind)}
        for position, rec in enumerate(items, start=1)
        for kind, emoji in BUTTON_KINDS
    ]
    buttons.append({"title": say("other_options", lang), "payload": OTHER_OPTIONS_PAYLOAD})
    buttons.append({"title": say("why_these_button", lang), "payload": ASK_WHY_PAYLOAD})
    return buttons


_ITEM_LINE = re.compile(r"^\s*\d+[.)]\s")


def _with_notices(text: str, notices: Sequence[str]) -> str:
    extra = [n for n in notices if n and n not in text]
    return "\n\n".join([text, *extra]) if extra else text


def _lists_items(text: str, items: Sequence[RecommendedItem]) -> bool:
    """Whether the text already names every item (the service's text usually lists them)."""
    return all(
        display_title(rec) in text or readable_title(rec.item.title) in text or rec.item.title in text
        for rec in items
    )


def _text_for_channel(text: str, items: Sequence[RecommendedItem], channel: str | None, lang: str = "en") -> str:
    """On the web widget and Telegram the cards show the items, so numbered item lines are dropped from
    the text; elsewhere the text must list them, so a list is added when the service's text lacks one."""
    if channel in CARD_CHANNELS:
        kept = "\n".join(line for line in text.splitlines() if not _ITEM_LINE.match(line)).strip()
        return kept or say("n_picks_short", lang, n=len(items))
    if _lists_items(text, items):
        return text
    return f"{text}\n\n{numbered_list(items)}" if text else numbered_list(items)


def question_message(question: Question, channel: str | None, lang: str = "en") -> dict[str, Any]:
    """One question with quick replies (genre or era options, and "Surprise me")."""
    entity = "genre" if question.attribute == "genre" else "decade"
    labels = question.labels if len(question.labels) == len(question.options) else question.options
    buttons = [
        {"title": label, "payload": "/inform_preference" + json.dumps({entity: option}, ensure_ascii=False)}
        for option, label in zip(question.options, labels, strict=True)
    ]
    buttons.append({"title": say("surprise_me", lang), "payload": SURPRISE_PAYLOAD})
    message: dict[str, Any] = {"text": question.text, "buttons": buttons}
    custom = custom_for_channel(
        {"type": "question", "attribute": question.attribute, "options": list(question.options)}, channel
    )
    if custom is not None:
        message["json_message"] = custom
    return message


def state_payload(result: RecommendationResult) -> dict[str, Any]:
    """What the bot understood, as the ranker used it (the payload's `state`)."""
    state = result.state
    if state is None:
        return {"summary": result.summary}
    return {
        "summary": result.summary,
        "genres": list(state.genres),
        "genres_any": list(state.genre_options),
        "exclude_genres": list(state.exclude_genres),
        "moods": [m.word for m in state.moods],
        "year_from": state.year_from,
        "year_to": state.year_to,
        "people": list(state.people),
        "exclude_people": list(state.exclude_people),
        "like_items": list(state.liked_items),
        "wish": list(state.wish),
        "avoid": list(state.avoid),
        "count": state.count,
    }


def recommendation_message(result: RecommendationResult, channel: str | None) -> dict[str, Any]:
    """Keyword arguments for `dispatcher.utter_message` for one recommendation turn (or its question)."""
    lang = result.language
    if result.question is not None:
        return question_message(result.question, channel, lang)
    text = _with_notices(result.text.strip(), result.notices)
    if not result.items:
        return {"text": text or say("nothing_fits", lang)}
    message: dict[str, Any] = {
        "text": _text_for_channel(text, result.items, channel, lang),
        "buttons": recommendation_buttons(result.items, lang),
    }
    payload = items_payload("recommendations", result.items, result.request_id, lang)
    native = NATIVE_CARDS.get(channel or "")
    if native is not None:
        more = message.pop("buttons")[-2:]  # "Other options", "Why these?"; the cards carry the rest
        message["json_message"] = native(result.items, payload["items"], more, lang)
        return message
    payload["state"] = state_payload(result)
    payload["relaxed"] = list(result.relaxed)
    custom = custom_for_channel(payload, channel)
    if custom is not None:
        message["json_message"] = custom
    return message


def saved_items_message(reply: ItemsReply, channel: str | None, lang: str = "en") -> dict[str, Any]:
    """Keyword arguments for `dispatcher.utter_message` listing the user's saved items."""
    text = reply.text.strip()
    if not reply.items:
        return {"text": text or say("nothing_saved", lang)}
    message: dict[str, Any] = {"text": _text_for_channel(text, reply.items, channel, lang)}
    native = NATIVE_CARDS.get(channel or "")
    if native is not None:
        message["json_message"] = native(reply.items, items_payload("saved_items", reply.items, None)["items"], (), lang)
        return message
    custom = custom_for_channel(items_payload("saved_items", reply.items, None, lang), channel)
    if custom is not None:
        message["json_message"] = custom
    return message


def explanation_text(reply: ItemsReply, lang: str = "en") -> str:
    """The explanation, plus 'Title: reason' for each item whose reason the text does not already give."""
    lines = [reply.text.strip()] if reply.text.strip() else []
    for rec in reply.items:
        if rec.reason and rec.reason not in reply.text:
            lines.append(f"• {display_title(rec)}: {rec.reason}")
    return "\n".join(lines) or say("why_default", lang)
