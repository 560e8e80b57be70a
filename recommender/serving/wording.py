"""What the user reads: list headers, the readable recommendation message, "why?" and saved lists.

Plain text that reads well on any channel; the actions add channel-native formats around it.
Every sentence comes from `recommender.phrases` in the language of the turn (`lang`).
"""

from __future__ import annotations

from recommender.context import display_title
from recommender.phrases import say
from recommender.reasons import describe_item
from recommender.types import Item, RecommendedItem


def header(items: tuple[RecommendedItem, ...], described: str, lang: str = "en") -> str:
    """'Here are 3 picks (Comedy · 1990s · not Horror):'."""
    count = say("one_pick", lang) if len(items) == 1 else say("n_picks", lang, n=len(items))
    return say("header_with_state", lang, count=count, described=described) if described else say("header", lang, count=count)


def recommendation_text(
    items: tuple[RecommendedItem, ...], described: str, notices: list[str], reply: str | None = None,
    lang: str = "en",
) -> str:
    """The readable message that any channel can show; `reply` is a validated LLM reply line."""
    lead = " ".join(notices)
    if not items:
        head = say("found_nothing_for", lang, described=described) if described else say("found_nothing_new", lang)
        return f"{lead} {head} {say('loosen_hint', lang)}".strip()
    lines = [f"{i}. {display_title(ri.item.title)} — {ri.reason}" for i, ri in enumerate(items, 1)]
    return "\n".join(([lead] if lead else []) + [reply or header(items, described, lang)] + lines)


def one_reason_text(item: Item, reason: str) -> str:
    """'Heat (1995): a 1995 action film ...'."""
    return f"{display_title(item.title)}: {reason.rstrip('.')}."


def reasons_text(picked: tuple[RecommendedItem, ...], lang: str = "en") -> str:
    """The "why these?" answer: every shown item with the reason the user saw."""
    lines = [f"{i}. {one_reason_text(ri.item, ri.reason)}" for i, ri in enumerate(picked, 1)]
    return say("why_these", lang) + "\n" + "\n".join(lines)


def saved_reason(item: Item, lang: str = "en") -> str:
    """The line under a saved item."""
    return say("saved_by_you", lang, description=describe_item(item, lang=lang))


def saved_text(items: tuple[RecommendedItem, ...], lang: str = "en") -> str:
    """'You saved 2 items:' and the list."""
    lines = [f"{i}. {display_title(ri.item.title)}" for i, ri in enumerate(items, 1)]
    return say("you_saved", lang, n=len(items), s="s" if len(items) != 1 else "") + "\n" + "\n".join(lines)
