"""A user's stored preferences, folded from their feedback events by the rules of `recommender.feedback`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from recommender import feedback as fb


@dataclass(frozen=True)
class Profile:
    """A user's stored preferences, derived from their feedback events (latest opinion wins)."""

    liked: tuple[str, ...] = ()
    disliked: tuple[str, ...] = ()
    ratings: Mapping[str, float] = field(default_factory=dict)
    bookmarked: tuple[str, ...] = ()
    seen: tuple[str, ...] = ()
    history: tuple[tuple[str, float], ...] = ()  # (item id, weight 1-5), ordered by each item's last event


class FeedbackSource(Protocol):
    """What `load_profile` needs from the store."""

    def user_feedback(self, user_id: str) -> list[tuple[str, str, float | None]]:
        """A user's (item id, kind, value) events, oldest first."""
        ...


def build_profile(events: Iterable[tuple[str, str, float | None]], like_threshold: float) -> Profile:
    """Fold (item id, kind, value) events, oldest first, into a profile.

    The history weight of an item is its latest opinion on the 1-5 scale; an event without an
    opinion of its own (`keeps_opinion`: a click, a bookmark) keeps the one already given, and a
    dislike also removes the item from the saved list.
    """
    opinions: dict[str, bool] = {}
    ratings: dict[str, float] = {}
    bookmarks: dict[str, None] = {}
    seen: dict[str, None] = {}
    weights: dict[str, float] = {}
    for item_id, kind, value in events:
        if not fb.is_kind(kind):
            continue
        spec = fb.spec(kind)
        seen[item_id] = None
        if spec.interaction:
            weight = fb.scale_value(kind, value)
            if weight is None or (spec.keeps_opinion and item_id in weights):
                weight = weights.get(item_id, fb.NEUTRAL_VALUE)
            weights.pop(item_id, None)
            weights[item_id] = weight
        if kind == fb.RATING and value is not None:
            ratings[item_id] = float(value)
        said = fb.opinion(kind, value, like_threshold)
        if said is not None:
            opinions[item_id] = said
        elif kind == fb.RATING:
            opinions.pop(item_id, None)  # a middling rating takes back an earlier like or dislike
        if kind == fb.BOOKMARK:
            bookmarks[item_id] = None
        elif kind == fb.UNBOOKMARK or said is False:
            bookmarks.pop(item_id, None)
    return Profile(
        liked=tuple(i for i, good in opinions.items() if good),
        disliked=tuple(i for i, good in opinions.items() if not good),
        ratings=ratings,
        bookmarked=tuple(bookmarks),
        seen=tuple(seen),
        history=tuple(weights.items()),
    )


def load_profile(store: FeedbackSource, user_id: str, like_threshold: float) -> Profile:
    """The user's profile from everything they told the store."""
    return build_profile(store.user_feedback(user_id), like_threshold)
