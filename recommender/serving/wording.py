"""What the user reads: list headers, the readable recommendation message, "why?" and saved lists.

Plain text that reads well on any channel; the actions add channel-native formats around it.
"""

from __future__ import annotations

from recommender.context import display_title
from recommender.reasons import describe_item
from recommender.types import Item, RecommendedItem

NOTHING_NEW = "I didn't catch anything new to go by in that, so here are more picks for what you asked before."
NOTHING_SHOWN_YET = "I haven't recommended anything yet. Tell me what you're in the mood for!"
SHOWN_LIST_GONE = "I can't find the last recommendations any more. Shall I suggest something new?"
NOT_RECOMMENDED_BY_ME = "I didn't recommend this one myself."
NOTHING_SAVED = "You haven't saved anything yet. Tap ☆ on a recommendation to save it."


def header(items: tuple[RecommendedItem, ...], described: str) -> str:
    """'Here are 3 picks (Comedy · 1990s · not Horror):'."""
    count = "Here is 1 pick" if len(items) == 1 else f"Here are {len(items)} picks"
    return count + (f" ({described})" if described else "") + ":"


def recommendation_text(
    items: tuple[RecommendedItem, ...], described: str, notices: list[str], reply: str | None = None
) -> str:
    """The readable message that any channel can show; `reply` is a validated LLM reply line."""
    lead = " ".join(notices)
    if not items:
        head = f"I couldn't find anything {described}." if described else "I couldn't find anything new."
        return f"{lead} {head} Try loosening a filter, e.g. another decade or genre.".strip()
    lines = [f"{i}. {display_title(ri.item.title)} — {ri.reason}" for i, ri in enumerate(items, 1)]
    return "\n".join(([lead] if lead else []) + [reply or header(items, described)] + lines)


def one_reason_text(item: Item, reason: str) -> str:
    """'Heat (1995): a 1995 action film ...'."""
    return f"{display_title(item.title)}: {reason}."


def reasons_text(picked: tuple[RecommendedItem, ...]) -> str:
    """The "why these?" answer: every shown item with the reason the user saw."""
    lines = [f"{i}. {display_title(ri.item.title)}: {ri.reason}." for i, ri in enumerate(picked, 1)]
    return "Here's why I picked these:\n" + "\n".join(lines)


def saved_reason(item: Item) -> str:
    """The line under a saved item."""
    return f"saved by you; {describe_item(item)}"


def saved_text(items: tuple[RecommendedItem, ...]) -> str:
    """'You saved 2 items:' and the list."""
    lines = [f"{i}. {display_title(ri.item.title)}" for i, ri in enumerate(items, 1)]
    return f"You saved {len(items)} item{'s' if len(items) != 1 else ''}:\n" + "\n".join(lines)
