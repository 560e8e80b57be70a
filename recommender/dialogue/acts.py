"""Typed dialogue acts: what one user turn does to the search.

`understand` turns words into acts; `reduce` applies them to the state. Item references are
already resolved to catalog ids here, so the reducer never needs the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class AddGenres:
    """Narrow: every genre must hold ("it should also be a drama"); `any_of` for "comedy or drama"."""

    genres: tuple[str, ...]
    any_of: bool = False


@dataclass(frozen=True)
class ReplaceGenres:
    """"Actually, a comedy instead": the wanted genres become these."""

    genres: tuple[str, ...]
    any_of: bool = False


@dataclass(frozen=True)
class ExcludeGenres:
    """"No horror", "anything but westerns", "not too scary"."""

    genres: tuple[str, ...]


@dataclass(frozen=True)
class AllowGenres:
    """"Romance is fine after all" of an excluded genre: no longer excluded, not required either."""

    genres: tuple[str, ...]


@dataclass(frozen=True)
class DropGenres:
    """"Doesn't have to be a drama": no longer wanted, but not excluded either."""

    genres: tuple[str, ...]


@dataclass(frozen=True)
class AddMood:
    """A soft wish standing for any of several genres ("something exciting")."""

    word: str
    genres: tuple[str, ...]


@dataclass(frozen=True)
class SetEra:
    """A year window. `None` on a side leaves that side as it was unless `replace` is set."""

    year_from: int | None
    year_to: int | None
    replace: bool = True


@dataclass(frozen=True)
class ShiftEra:
    """"Older" (-1) or "newer" (+1), relative to the window or, without one, to `pivot` (the
    oldest year of the last list for "older", its newest for "newer"; its middle year when only
    its far end reaches the catalog's oldest or newest tenth)."""

    direction: int
    pivot: int | None = None


@dataclass(frozen=True)
class WidenEra:
    """"Older is fine" (-1), "newer is fine too" (+1): that side of the window opens, nothing moves."""

    direction: int


@dataclass(frozen=True)
class ClearEra:
    """"Any decade is fine"."""


@dataclass(frozen=True)
class AddPerson:
    """An actor, director or author to look for."""

    name: str


@dataclass(frozen=True)
class ExcludePerson:
    """An actor, director or author to rule out ("no Tom Cruise", "anything but Stephen King")."""

    name: str


@dataclass(frozen=True)
class LikeItems:
    """Recommend more like these catalog items ("like Heat", "more like the second one")."""

    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class RejectItems:
    """Steer away from these shown items ("not the first one")."""

    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class SeenItems:
    """"We already saw the first two": never shown again; not a rating."""

    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class OtherOptions:
    """Same search, new items (the shown ones are never repeated anyway)."""


@dataclass(frozen=True)
class SetCount:
    """How many items to show from now on ("give me three comedies", "just one")."""

    count: int


@dataclass(frozen=True)
class Wish:
    """Free text the structured acts do not cover ("a heist with a twist")."""

    text: str


@dataclass(frozen=True)
class Avoid:
    """What a complaint or refusal names that no genre or era covers ("too gory" -> "gory", "no
    subtitles" -> "subtitles"): descriptions like it go lower, never a filter."""

    text: str


@dataclass(frozen=True)
class Reset:
    """"Start over": a clean search (items already shown stay shown)."""


@dataclass(frozen=True)
class Undo:
    """"Undo that", "go back": the search as it was before the last turn that changed it."""


@dataclass(frozen=True)
class Surprise:
    """"Surprise me", "I don't mind": recommend now, ask nothing."""


@dataclass(frozen=True)
class Unknown:
    """A word the NLU took for an attribute that the catalog does not know (mentioned once)."""

    word: str
    attribute: str = "genre"


Act = (
    AddGenres | ReplaceGenres | ExcludeGenres | DropGenres | AllowGenres | AddMood | SetEra | ShiftEra | WidenEra | ClearEra
    | AddPerson | ExcludePerson | LikeItems | RejectItems | SeenItems | OtherOptions | SetCount | Wish | Avoid | Reset | Surprise
    | Unknown | Undo
)


SEARCH_ACTS = (AddGenres, ReplaceGenres, ExcludeGenres, DropGenres, AllowGenres, AddMood, SetEra, ShiftEra, WidenEra, ClearEra,
               AddPerson, ExcludePerson, LikeItems, Reset, Undo)


def is_search(acts: Sequence[Act]) -> bool:
    """Whether the acts say something about what to look for (not just "more" or free text)."""
    return any(isinstance(a, SEARCH_ACTS) for a in acts)


def describe(act: Act) -> str:
    """A compact form for logs: 'AddGenres(Drama)', 'SetEra(1980, 1989)'."""
    values = []
    for value in vars(act).values():
        if value in (None, (), False, ""):
            continue
        values.append("/".join(map(str, value)) if isinstance(value, tuple) else str(value))
    return f"{type(act).__name__}({', '.join(values)})"
