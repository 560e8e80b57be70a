"""Hard filters: applied as boolean masks over the catalog, never as prose to a model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.retrieval.index import CatalogIndex


@dataclass(frozen=True)
class HardFilters:
    """What an item must satisfy. Each genre group must be met by at least one of its genres."""

    genre_groups: tuple[tuple[str, ...], ...] = ()
    exclude_genres: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    exclude_item_ids: frozenset[str] = frozenset()

    def mask(self, index: CatalogIndex) -> np.ndarray:
        """Boolean mask of the catalog rows that pass every filter."""
        keep = np.ones(len(index), dtype=bool)
        for group in self.genre_groups:
            keep &= index.genre_mask(group)
        if self.exclude_genres:
            keep &= ~index.genre_mask(self.exclude_genres)
        with np.errstate(invalid="ignore"):
            if self.year_from is not None:
                keep &= index.years >= self.year_from
            if self.year_to is not None:
                keep &= index.years <= self.year_to
        for item_id in self.exclude_item_ids:
            row = index.position.get(item_id)
            if row is not None:
                keep[row] = False
        return keep

    def describe(self) -> dict[str, object]:
        """A JSON-able form, logged with each request."""
        return {
            "genre_groups": [list(g) for g in self.genre_groups],
            "exclude_genres": list(self.exclude_genres),
            "year_from": self.year_from,
            "year_to": self.year_to,
            "excluded_items": len(self.exclude_item_ids),
        }
