"""Tracker -> typed values: `ConversationContext` (with the dialogue state) and `FeedbackRequest`.

The `dialogue_state` slot carries the search so far; this turn's text, intent and entities go to
the recommender as they are (see docs/conversation-contract.md): reading "90s", "no horror" or
"the second one" is the recommender's job (`recommender.dialogue`), and so are the feedback words
("loved", "4 stars": `recommender.context`).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from recommender.config import get_settings
from recommender.context import guess_feedback_kind, parse_rating
from recommender.dialogue.state import DialogueState
from recommender.dialogue.understand import EntityHint
from recommender.identity import user_key
from recommender.types import ConversationContext, FeedbackRequest

STATE_SLOT = "dialogue_state"
MAX_ENTITIES = 40
MAX_ENTITY_CHARS = 200

def message_text(tracker: Tracker) -> str:
    """The latest user text, stripped and cut to `RECSYS_MAX_MESSAGE_CHARS` (spaces or not)."""
    text = (tracker.latest_message or {}).get("text") or ""
    return str(text).strip()[: get_settings().max_message_chars]


ANY_ROLE = "*"
"""Read an entity whatever role DIET gave it: it sometimes puts `exclude` on a non-genre entity."""


def latest_entities(tracker: Tracker, entity: str, role: str | None = ANY_ROLE) -> list[str]:
    """Values of `entity` in the latest message, deduplicated; `role` None means "no role" only."""
    values: list[str] = []
    for found in (tracker.latest_message or {}).get("entities") or []:
        if found.get("entity") != entity or (role != ANY_ROLE and found.get("role") != role):
            continue
        for value in _strings(found.get("value")):
            if value not in values:
                values.append(value)
    return values


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
    )


def entity_hints(tracker: Tracker) -> tuple[EntityHint, ...]:
    """This message's entities as typed hints for the recommender's own reading of the text."""
    hints: list[EntityHint] = []
    for found in (tracker.latest_message or {}).get("entities") or []:
        role = found.get("role")
        for value in _strings(found.get("value")):
            hints.append(EntityHint(str(found.get("entity")), value[:MAX_ENTITY_CHARS], str(role) if role else None))
    return tuple(hints[:MAX_ENTITIES])


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
    kind = latest_entity(tracker, "kind")
    if kind is None:
        kind = guess_feedback_kind(message_text(tracker), rating)
    return FeedbackRequest(
        kind=kind,
        item_id=latest_entity(tracker, "item_id"),
        item_ref=_ordinal_or_title(tracker),
        value=rating,
        request_id=ctx.last_request_id,
    )


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [s for v in value for s in _strings(v)]
    text = str(value).strip()
    return [text] if text else []


def _slot(tracker: Tracker, name: str) -> list[str]:
    return _strings(tracker.slots.get(name))


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


