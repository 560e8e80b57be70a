"""Where an era turn moves the window, given what was already asked and the list just shown.

`eras.find_eras` reads the phrases ("older", "not too recent", "none from the 90s", "the sixties or
seventies"); these decide the years: older than the list (`pivot`), the far end ruled out
(`hedge_bound`), one side of refused years kept (`without_years`), two windows joined by "or" made
one (`either_era`).
"""

from __future__ import annotations

import re
from dataclasses import replace

from recommender.dialogue.acts import SetEra
from recommender.dialogue.eras import EraPhrase
from recommender.dialogue.state import DialogueState
from recommender.dialogue.turn import CatalogView


def either_era(phrases: list[EraPhrase], text: str) -> list[EraPhrase]:
    """Two windows joined by "or" are one that spans both: "the late sixties or early seventies"."""
    out: list[EraPhrase] = []
    for phrase in phrases:
        last = out[-1] if out else None
        if (last is not None and _closed(last) and _closed(phrase)
                and re.fullmatch(r"\s*,?\s*(?:or|or maybe|or even|maybe)\s*", text[last.end : phrase.start])):
            out[-1] = replace(last, end=phrase.end, year_from=min(last.year_from, phrase.year_from),  # type: ignore[type-var]
                              year_to=max(last.year_to, phrase.year_to))  # type: ignore[type-var]
        else:
            out.append(phrase)
    return out


def _closed(phrase: EraPhrase) -> bool:
    return phrase.year_from is not None and phrase.year_to is not None and not phrase.shift and not phrase.clear


def hedge_bound(state: DialogueState, catalog: CatalogView, direction: int) -> int | None:
    """"Not too old" (+1): from the catalog's oldest tenth on, or from the middle of the last list
    when that is older (after classic noir it stays with noir); the window only narrows. "Not too
    recent" (-1) mirrors it. None when the catalog has no years to say what old is."""
    if catalog.era_edges is None:
        return None
    old_until, recent_from = catalog.era_edges
    years = sorted(_list_years(state, catalog))
    middle = years[len(years) // 2] if years else None
    if direction > 0:
        bound = old_until + 1 if middle is None else min(old_until + 1, middle + 1)
        return max(bound, state.year_from) if state.year_from is not None else bound
    bound = recent_from - 1 if middle is None else max(recent_from - 1, middle - 1)
    return min(bound, state.year_to) if state.year_to is not None else bound


def without_years(state: DialogueState, catalog: CatalogView, year_from: int, year_to: int) -> SetEra:
    """"None from the 90s": a window has one range, so it keeps one side of the refused years: the
    side the window already lies on, else the newer side when the refused years are older than most
    of the last list (or, with no list, than the catalog's newest tenth, where most of it is), else
    the older side."""
    if state.year_to is not None and state.year_to <= year_to:
        return SetEra(None, year_from - 1, replace=False)  # a window inside the refused years gives way to the years before
    if state.year_from is not None and state.year_from >= year_from:
        return SetEra(year_to + 1, None, replace=False)
    years = sorted(_list_years(state, catalog))
    reference = years[len(years) // 2] if years else (catalog.era_edges[1] if catalog.era_edges else None)
    if reference is not None and year_to < reference:
        return SetEra(year_to + 1, None, replace=False)
    return SetEra(None, year_from - 1, replace=False)


def _list_years(state: DialogueState, catalog: CatalogView) -> list[int]:
    """The known years of the list just shown."""
    return [y for i in state.last_items if (y := catalog.year_of(i)) is not None]


def pivot(state: DialogueState, catalog: CatalogView, direction: int) -> int | None:
    """"Older" is older than everything in the last list, "newer" newer than all of it, unless the
    list reaches into the catalog's oldest (newest) tenth while most of it does not: after a list
    of 1954-1997, "newer" is newer than most of it, not the catalog's last year alone. With no list
    and no era yet, "an old movie" is from the catalog's oldest tenth and "something recent" from
    its newest."""
    years = sorted(_list_years(state, catalog))
    if not years:
        if catalog.era_edges is None or state.year_from is not None or state.year_to is not None:
            return None
        old_until, recent_from = catalog.era_edges
        return old_until + 1 if direction < 0 else recent_from - 1
    edge, middle = (years[0] if direction < 0 else years[-1]), years[len(years) // 2]
    if catalog.era_edges is not None:
        old_until, recent_from = catalog.era_edges
        if (direction > 0 and edge >= recent_from > middle) or (direction < 0 and edge <= old_until < middle):
            return middle
    return edge
