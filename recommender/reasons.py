"""Template reasons built only from an item's real attributes and the signals that chose it.

These are the grounded fallback the LLM-written explanations are checked against.
"""

from __future__ import annotations

import math

from recommender.context import display_title
from recommender.ranking import RankedRow
from recommender.retrieval.bundle import ModelBundle
from recommender.types import Item


def describe_item(item: Item, first: tuple[str, ...] = ()) -> str:
    """'Comedy/Romance from 1995' or 'by Suzanne Collins, 2008' from whatever the item has.

    Genres in `first` (what the person asked for) come first, so the genre they asked for is
    never hidden behind the three shown.
    """
    parts = []
    if item.genres:
        ordered = [g for g in first if g in item.genres] + [g for g in item.genres if g not in first]
        parts.append("/".join(ordered[:3]))
    if item.people:
        parts.append(f"by {', '.join(item.people[:2])}")
    if item.year is not None:
        parts.append(f"from {item.year}")
    return " ".join(parts) if parts else "from the catalog"


def template_reason(
    bundle: ModelBundle, ranked: RankedRow, matched: tuple[str, ...] = (), wanted: tuple[str, ...] = ()
) -> str:
    """One sentence: what the item is, and why it was picked (seed, match, or popularity)."""
    item = bundle.index.items[ranked.row]
    reason = describe_item(item, wanted)
    reason = reason[0].upper() + reason[1:]
    if ranked.seed_row is not None and ranked.seed_row != ranked.row:
        seed_title = display_title(bundle.index.items[ranked.seed_row].title)
        if "item_knn" in ranked.sources:
            return f"{reason}, liked by people who liked {seed_title}"
        return f"{reason}, similar to {seed_title}"
    if matched:
        reason = f"{reason}, matches {' and '.join(matched)}"
    if "text" in ranked.sources:
        reason = f"{reason}, its story fits what you described"
    count = float(bundle.popularity.counts[ranked.row])
    mean = float(bundle.popularity.mean_ratings[ranked.row])
    if count > 0 and not math.isnan(mean):
        return f"{reason}; {int(count)} people rated it, {mean:.1f}/5 on average"
    if count > 0:
        return f"{reason}; popular ({int(count):,} ratings)"
    return reason
