"""Tracker -> typed values: `ConversationContext` (with the dialogue state) and `FeedbackRequest`.

The `dialogue_state` slot carries the search so far; this turn's text, intent and entities go to
the recommender as they are (see docs/conversation-contract.md): reading "90s", "no horror" or
"the second one" is the recommender's job (`recommender.dialogue`), and so are the feedback words
("loved", "4 stars": `recommender.context`).
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker

from recommender import feedback as fb
from recommender.config import get_settings
from recommender.context import guess_feedback_kind, normalise_feedback_kind, parse_rating, taste_verdict
from recommender.dialogue.state import DialogueState
from recommender.dialogue.understand import EntityHint
from recommender.identity import user_key
from recommender.phrases import language_of_text
from recommender.types import ConversationContext, FeedbackRequest

STATE_SLOT = "dialogue_state"
LANGUAGE_SLOT = "language"
# Bounds on what a tracker may bring in (issue 15: hostile input). Rasa's channels already cut the
# text (rasa_addons/limits.py), but entities and slots can be forged: `/intent{"title": "<1 MB>"}`,
# a list slot with a million ids. Past these bounds values are cut, never an error.
MAX_ENTITIES = 40  # entity values read from one message
MAX_ENTITY_CHARS = 200  # one entity value (a title, a person, a free-text wish, an item id)
MAX_SLOT_ITEMS = 500  # ids in one list slot (== recommender.dialogue.state.MAX_REMEMBERED_ITEMS)
MAX_SLOT_CHARS = 200  # one id in a slot, the request id
# C0/C1 controls but tab and newline, lone surrogates, bidi overrides (as rasa_addons/limits.py)
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def clean(text: str, limit: int) -> str:
    """`text` without control characters, stripped, at most `limit` characters."""
    return _UNWANTED.sub("", text[: limit * 4]).strip()[:limit].strip()


def message_text(tracker: Tracker) -> str:
    """The latest user text, cut to `Settings.max_message_chars` (`RECSYS_MAX_MESSAGE_CHARS`, spaces or not),
    without control characters."""
    text = (tracker.latest_message or {}).get("text") or ""
    return clean(str(text), get_settings().max_message_chars)


def last_bot_response(tracker: Tracker) -> str | None:
    """The domain response the bot last sent ("utter_greet"), or None: Rasa keeps its name in the bot
    event's metadata, whether a rule or a custom action sent it."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            name = (event.get("metadata") or {}).get("utter_action")
            return name if isinstance(name, str) else None
    return None


ANY_ROLE = "*"
"""Read an entity whatever role DIET gave it: it sometimes puts `exclude` on a non-genre entity."""


def latest_entities(tracker: Tracker, entity: str, role: str | None = ANY_ROLE) -> list[str]:
    """Values of `entity` in the latest message, deduplicated, each at most `MAX_ENTITY_CHARS`, at most
    `MAX_ENTITIES` of them; `role` None means "no role" only."""
    values: list[str] = []
    for found in _entities(tracker):
        if found.get("entity") != entity or (role != ANY_ROLE and found.get("role") != role):
            continue
        for value in _strings(found.get("value"), MAX_ENTITY_CHARS):
            if value not in values:
                values.append(value)
    return values[:MAX_ENTITIES]


def latest_entity(tracker: Tracker, entity: str, role: str | None = ANY_ROLE) -> str | None:
    """The first value of `entity` in the latest message, or None."""
    values = latest_entities(tracker, entity, role)
    return values[0] if values else None


def user_of(tracker: Tracker) -> str:
    """Who this conversation's user is: the channel their latest message came in on, and the sender id
    (`recommender.identity.user_key`); the same sender id on another channel is another user."""
    return user_key(tracker.get_latest_input_channel(), tracker.sender_id or "")


def build_context(tracker: Tracker) -> ConversationContext:
    """The latest message (text, intent, entities) + the persisted dialogue state -> `ConversationContext`.

    The search state lives in one slot (`dialogue_state`); the recommender reads the words of
    this turn itself, so nothing said earlier depends on how a slot mapping treated it.
    """
    latest = tracker.latest_message or {}
    intent = (latest.get("intent") or {}).get("name")
    stored = tracker.get_slot(STATE_SLOT)
    return ConversationContext(
        user=user_of(tracker),
        text=message_text(tracker),
        shown_item_ids=tuple(_slot(tracker, "shown_item_ids")),
        last_item_ids=tuple(_slot(tracker, "last_item_ids")),
        rejected_item_ids=tuple(_slot(tracker, "rejected_item_ids")),
        last_request_id=_first(_slot(tracker, "last_request_id")),
        intent=str(intent) if intent else None,
        entities=entity_hints(tracker),
        state=DialogueState.from_dict(stored) if isinstance(stored, dict) else DialogueState(),
        language=turn_language(tracker),
    )


def turn_language(tracker: Tracker) -> str:
    """The language to answer in: the `language` slot (rasa_addons/language.py fills it from each worded
    message); a bot without that slot gets the language of the message itself."""
    slot = tracker.slots.get(LANGUAGE_SLOT)
    return language_of_text(message_text(tracker), slot)


def entity_hints(tracker: Tracker) -> tuple[EntityHint, ...]:
    """This message's entities as typed hints for the recommender's own reading of the text."""
    hints: list[EntityHint] = []
    for found in _entities(tracker):
        role = found.get("role")
        name = clean(str(found.get("entity")), MAX_ENTITY_CHARS)
        for value in _strings(found.get("value"), MAX_ENTITY_CHARS):
            hints.append(EntityHint(name, value, clean(str(role), MAX_ENTITY_CHARS) if role else None))
            if len(hints) >= MAX_ENTITIES:
                return tuple(hints)
    return tuple(hints)


def item_reference(tracker: Tracker) -> str | None:
    """Which item this turn is about: a catalog id (buttons) > an ordinal ("second") > a title.

    A bare-number ordinal ("2") is sent as "#2" so it cannot be mistaken for catalog id 2.
    """
    return latest_entity(tracker, "item_id") or _ordinal_or_title(tracker)


def _ordinal_or_title(tracker: Tracker) -> str | None:
    """A reference in words: an ordinal ("second", "2" sent as "#2") or a title."""
    ordinal = latest_entity(tracker, "ordinal")
    if ordinal is not None and ordinal.isdigit():
        ordinal = f"#{ordinal}"
    return ordinal or latest_entity(tracker, "title")


def build_feedback(tracker: Tracker, ctx: ConversationContext) -> FeedbackRequest:
    """This turn's feedback: kind word, item reference, rating value and the request it answers."""
    rating = parse_rating(latest_entity(tracker, "rating"))
    # the first word the NLU tagged that names a kind: in "the middle one looks good" it tagged "middle" too
    kind = next((k for k in latest_entities(tracker, "kind") if normalise_feedback_kind(k)), None)
    text = message_text(tracker)
    if kind is None:
        kind = guess_feedback_kind(text, rating)
    elif normalise_feedback_kind(kind) in (fb.LIKE, fb.DISLIKE) and not text.startswith("/"):
        # a like or dislike in words is the sentence's verdict: "can't say i loved #3" is no like
        kind = taste_verdict(text) or kind
    return FeedbackRequest(
        kind=kind,
        item_id=latest_entity(tracker, "item_id"),
        item_ref=_ordinal_or_title(tracker),
        value=rating,
        request_id=ctx.last_request_id,
    )


def _entities(tracker: Tracker) -> list[dict[str, Any]]:
    """The latest message's entities that are dicts (a forged parse result may hold anything)."""
    found = (tracker.latest_message or {}).get("entities")
    return [e for e in found[: MAX_ENTITIES * 4] if isinstance(e, dict)] if isinstance(found, list) else []


def _strings(value: Any, limit: int = MAX_SLOT_CHARS, count: int = MAX_SLOT_ITEMS) -> list[str]:
    """Non-empty cleaned strings from a value or a (nested) list: at most `count`, each at most `limit`."""
    if value is None or isinstance(value, dict):
        return []
    if isinstance(value, (list, tuple, set)):
        found: list[str] = []
        for v in list(value)[:count]:
            found.extend(_strings(v, limit, count - len(found)))
            if len(found) >= count:
                break
        return found[:count]
    text = clean(str(value), limit) if isinstance(value, (str, int, float)) else ""
    return [text] if text else []


def _slot(tracker: Tracker, name: str) -> list[str]:
    """A slot's strings; of a long list slot, the latest `MAX_SLOT_ITEMS` (the ids shown last)."""
    value = tracker.slots.get(name)
    if isinstance(value, (list, tuple)):
        value = list(value)[-MAX_SLOT_ITEMS:]
    return _strings(value)


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


