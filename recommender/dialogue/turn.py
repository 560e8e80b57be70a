"""What `understand` reads: one user message (`Turn`, with the NLU's `EntityHint`s) and the
little it needs to know of the catalog (`CatalogView`).

Kept apart from the reading itself so every part of it (references, genres, the service that
builds a turn) can name these types without importing the orchestration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class EntityHint:
    """One entity the NLU found in this message (raw words; role 'exclude' for "no horror")."""

    entity: str
    value: str
    role: str | None = None


@dataclass(frozen=True)
class Turn:
    """One user message as the recommender sees it."""

    text: str
    intent: str | None = None
    entities: tuple[EntityHint, ...] = ()


@dataclass(frozen=True)
class CatalogView:
    """What understanding needs to know of the catalog."""

    genre_names: tuple[str, ...]
    find_title: Callable[[str], str | None] = lambda _text: None  # strict title -> item id
    year_of: Callable[[str], int | None] = lambda _item_id: None
    # (old until, recent from): what "an old movie" / "something recent" mean before anything is
    # shown, the catalog's oldest and newest tenth (MovieLens 100K: 1967, 1997)
    era_edges: tuple[int, int] | None = None
    newest_year: int | None = None  # what "the last 10 years" counts back from (MovieLens 100K: 1998)
    title_of: Callable[[str], str | None] = lambda _item_id: None
