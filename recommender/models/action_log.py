"""The conversation log read as the behaviour model's action sequences (one step per shown item).

Each shown item is one step, in the order it was shown (time, then list position): its action is
the first feedback that answers it (the next feedback on that item in that session), or "ignore"
when none does. Later feedback on the same item, and feedback on items never shown (a title the
user named), are further steps at their own time. Feedback kinds map to actions through
`recommender.feedback` (a rating is "rate"; "unbookmark" is not an action and is left out).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from recommender.feedback import ACTION_OF_KIND, IGNORE_ACTION
from recommender.store.records import ConversationEvent


@dataclass(frozen=True)
class LoggedAction:
    """One step of a conversation's action log: what the user did with a shown or named item."""

    timestamp: float  # seconds since epoch
    action: str  # one of recommender.feedback.ACTIONS
    item_id: str


def action_sequences(events: Iterable[ConversationEvent]) -> dict[str, list[LoggedAction]]:
    """Per session, the user's actions in time order; `events` as `Store.conversation_events` gives them."""
    steps = [e for e in events if e.kind is None or e.kind in ACTION_OF_KIND]
    open_impressions: dict[tuple[str, str], int] = {}  # (session, item) -> its latest unanswered impression
    first_reaction: dict[int, int] = {}  # impression index -> index of the feedback that answered it
    for n, event in enumerate(steps):
        if event.kind is None:
            open_impressions[(event.session, event.item_id)] = n
        elif (shown := open_impressions.pop((event.session, event.item_id), None)) is not None:
            first_reaction[shown] = n
    placed = set(first_reaction.values())
    sequences: dict[str, list[LoggedAction]] = {}
    for n, event in enumerate(steps):
        if event.kind is not None and n in placed:
            continue  # already stands at the place of the impression it answered
        if event.kind is None:
            answer = first_reaction.get(n)
            answer_kind = steps[answer].kind if answer is not None else None
            action = ACTION_OF_KIND[answer_kind] if answer_kind is not None else IGNORE_ACTION
        else:
            action = ACTION_OF_KIND[event.kind]
        sequences.setdefault(event.session, []).append(LoggedAction(event.timestamp, action, event.item_id))
    return sequences
