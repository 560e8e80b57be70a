"""Template reasons built only from an item's real attributes and the signals that chose it.

These are the grounded fallback the LLM-written explanations are checked against.
"""

from __future__ import annotations

import math

from recommender.context import display_title
from recommender.phrases import genre_name, join, mood_name, say
from recommender.ranking import RankedRow
from recommender.retrieval.bundle import ModelBundle
from recommender.types import Item


def describe_item(item: Item, first: tuple[str, ...] = (), lang: str = "en") -> str:
    """'Comedy/Romance from 1995' or 'by Suzanne Collins, 2008' from whatever the item has
    ('1995年的喜剧/爱情片' in Chinese).

    Genres in `first` (what the person asked for) come first, so the genre they asked for is
    never hidden behind the three shown.
    """
    genres = ""
    if item.genres:
        ordered = [g for g in first if g in item.genres] + [g for g in item.genres if g not in first]
        genres = say("genre_film", lang, genres="/".join(genre_name(g, lang) for g in ordered[:3]))
    people = say("by_people", lang, people=", ".join(item.people[:2])) if item.people else ""
    year = say("from_year", lang, year=item.year) if item.year is not None else ""
    if lang == "zh":  # 1995年的喜剧/爱情片（某某作品）
        text = say("reason_join", lang).join(p for p in (year, genres) if p)
        text = text + (f"（{people}）" if people and text else people)
    else:
        text = " ".join(p for p in (genres, people, year) if p)
    return text or say("from_catalog", lang)


def template_reason(
    bundle: ModelBundle, ranked: RankedRow, matched: tuple[str, ...] = (), wanted: tuple[str, ...] = (),
    lang: str = "en",
) -> str:
    """One sentence: what the item is, and why it was picked (seed, match, or popularity)."""
    item = bundle.index.items[ranked.row]
    reason = describe_item(item, wanted, lang)
    reason = reason[0].upper() + reason[1:]
    if ranked.seed_row is not None and ranked.seed_row != ranked.row:
        seed_title = display_title(bundle.index.items[ranked.seed_row].title)
        if "item_knn" in ranked.sources:
            return say("liked_by_fans_of", lang, reason=reason, title=seed_title)
        return say("similar_to", lang, reason=reason, title=seed_title)
    if matched:
        reason = say("matches", lang, reason=reason, moods=join([mood_name(m, lang) for m in matched], lang))
    if "text" in ranked.sources:
        reason = say("story_fits", lang, reason=reason)
    count = float(bundle.popularity.counts[ranked.row])
    mean = float(bundle.popularity.mean_ratings[ranked.row])
    if count > 0 and not math.isnan(mean):
        return say("rated_by", lang, reason=reason, count=int(count), mean=f"{mean:.1f}")
    if count > 0:
        return say("popular", lang, reason=reason, count=f"{int(count):,}")
    return reason
