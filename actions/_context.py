"""Tracker -> typed values: `ConversationContext`, `Critique`, `FeedbackRequest`.

Slots carry what the conversation said so far; per-turn values (ordinal, kind, rating,
item_id, refinement, title) come from the latest message's entities (see
docs/conversation-contract.md). Words stay raw: normalising "90s" or "loved" is the
recommender's job, including the keyword rules for words the NLU left unlabelled
(`recommender.context`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa_sdk import Tracker

from recommender.context import critique_directions, guess_feedback_kind, negated_genres, parse_rating
from recommender.types import ConversationContext, Critique, FeedbackRequest

MAX_TEXT_CHARS = 2000
"""Longer user messages are cut before they reach the recommender (the service cuts too)."""

EXCLUDE_ROLE = "exclude"

def message_text(tracker: Tracker) -> str:
    """The latest user text, stripped and cut to `MAX_TEXT_CHARS`."""
    text = (tracker.latest_message or {}).get("text") or ""
    return str(text).strip()[:MAX_TEXT_CHARS]


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


def build_context(tracker: Tracker) -> ConversationContext:
    """Slots (plus this turn's entities, in case a slot mapping missed them) -> `ConversationContext`."""
    excluded = _merge(_slot(tracker, "exclude_genre"), latest_entities(tracker, "genre", EXCLUDE_ROLE))
    genres = [g for g in _merge(_slot(tracker, "genre"), latest_entities(tracker, "genre", None)) if g not in excluded]
    return ConversationContext(
        user=tracker.sender_id,
        text=message_text(tracker),
        genres=tuple(genres),
        exclude_genres=tuple(excluded),
        decade=_first(_slot(tracker, "decade")) or latest_entity(tracker, "decade"),
        year=_first(_slot(tracker, "year")) or latest_entity(tracker, "year"),
        year_from=_as_int(tracker.get_slot("year_from")),
        year_to=_as_int(tracker.get_slot("year_to")),
        people=tuple(_merge(_slot(tracker, "person"), latest_entities(tracker, "person"))),
        moods=tuple(_merge(_slot(tracker, "mood"), latest_entities(tracker, "mood"))),
        liked_titles=tuple(_slot(tracker, "liked_title")),
        shown_item_ids=tuple(_slot(tracker, "shown_item_ids")),
        last_item_ids=tuple(_slot(tracker, "last_item_ids")),
        rejected_item_ids=tuple(_slot(tracker, "rejected_item_ids")),
        last_request_id=_first(_slot(tracker, "last_request_id")),
    )


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


def excluded_genres_this_turn(tracker: Tracker) -> list[str]:
    """Genres the user rules out in this message: role `exclude`, or a plain genre after "no"/"without"."""
    excluded = latest_entities(tracker, "genre", EXCLUDE_ROLE)
    plain = [g for g in latest_entities(tracker, "genre", None) if g not in excluded]
    return excluded + negated_genres(message_text(tracker), plain)


def build_critique(tracker: Tracker) -> Critique:
    """This turn's refinement ("older", "newer", "no horror", "more like the second", "other options")."""
    words = " ".join(latest_entities(tracker, "refinement")) or message_text(tracker)
    excluded = tuple(excluded_genres_this_turn(tracker))
    older, newer, other, wants_more_like = critique_directions(words)
    more_like = item_reference(tracker) if wants_more_like else None
    if not (older or newer or excluded or more_like or other):
        other = True  # a refine turn we cannot read still deserves something different
    return Critique(older=older, newer=newer, exclude_genres=excluded, more_like=more_like, other_options=other)


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


def _merge(*lists: Iterable[str]) -> list[str]:
    merged: list[str] = []
    for values in lists:
        for value in values:
            if value not in merged:
                merged.append(value)
    return merged


def _as_int(value: Any) -> int | None:
    try:
        return None if value is None or value == "" else int(float(value))
    except (TypeError, ValueError):
        return None
