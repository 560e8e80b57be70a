"""How an item reads as plain text, the same on every channel (the reply's lines, Slack's and Telegram's cards)."""

from __future__ import annotations

from collections.abc import Sequence

from recommender.context import display_title as readable_title
from recommender.types import RecommendedItem


def display_title(rec: RecommendedItem) -> str:
    """'Godfather, The (1972)' -> 'The Godfather (1972)', with the year added when the title lacks it."""
    item = rec.item
    title = readable_title(item.title)
    if item.year and f"({item.year})" not in title:
        return f"{title} ({item.year})"
    return title


def numbered_list(items: Sequence[RecommendedItem]) -> str:
    """'1. Title (year) — reason' lines, so the reply reads well on text-only channels."""
    lines = []
    for position, rec in enumerate(items, start=1):
        reason = f" — {rec.reason}" if rec.reason else ""
        lines.append(f"{position}. {display_title(rec)}{reason}")
    return "\n".join(lines)
