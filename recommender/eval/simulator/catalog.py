"""The catalog the simulated users pick their hidden targets from, with rating counts.

Read from the MovieLens 100K files with the project's own loader (`eval.datasets`), the data the
running bot ingested; a bot serving another catalog shows up as out-of-catalog items.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from recommender.catalog.movielens import GENRES
from recommender.config import Settings
from recommender.errors import RecommenderError
from recommender.models.base import InteractionData
from recommender.types import Item

POOLS: tuple[str, ...] = ("popular", "all")
POPULAR_MIN_RATINGS = 50
STATABLE_GENRES = frozenset(GENRES)  # "unknown" is not one: the user never states it


class SimulatorError(RecommenderError):
    """The simulation cannot run (stack unreachable, bad option); the message says what to do."""


@dataclass(frozen=True)
class SimCatalog:
    """Items by id and how many ratings each has (the yardstick ranks by it, pools filter by it)."""

    items: dict[str, Item]
    n_ratings: dict[str, int]

    @classmethod
    def build(cls, items: Iterable[Item], n_ratings: dict[str, int] | None = None) -> SimCatalog:
        """The catalog of these items, with their rating counts (popularity)."""
        by_id = {i.item_id: i for i in items}
        counts = {i: int((n_ratings or {}).get(i, 0)) for i in by_id}
        return cls(by_id, counts)

    @classmethod
    def from_interactions(cls, data: InteractionData) -> SimCatalog:
        """The catalog of a dataset, popularity from its interactions."""
        counts = np.bincount(data.item_idx, minlength=data.n_items)
        return cls.build(data.items, {item.item_id: int(c) for item, c in zip(data.items, counts, strict=True)})

    def by_popularity(self) -> list[Item]:
        """Most rated first; ties by id, so the order is reproducible."""
        return sorted(self.items.values(), key=lambda i: (-self.n_ratings.get(i.item_id, 0), _id_key(i.item_id)))


def _id_key(item_id: str) -> tuple[int, str]:
    return (int(item_id), "") if item_id.isdigit() else (1 << 62, item_id)


def load_movielens100k_catalog(settings: Settings) -> SimCatalog:
    """MovieLens 100K (fetched into <var>/data on first use, as `make data` does)."""
    from recommender.eval.datasets import load_movielens100k

    return SimCatalog.from_interactions(load_movielens100k(settings))


@dataclass(frozen=True)
class Target:
    """A hidden target: the user knows its genres and year, never its title."""

    item_id: str
    title: str
    year: int | None
    genres: tuple[str, ...]

    @classmethod
    def of(cls, item: Item) -> Target:
        """The target the user thinks of: what a person could know about `item`."""
        return cls(item.item_id, item.title, item.year, tuple(g for g in item.genres if g in STATABLE_GENRES))


def pool_items(catalog: SimCatalog, pool: str, min_ratings: int = POPULAR_MIN_RATINGS) -> list[Item]:
    """The candidate targets of a pool; items with no statable genre are left out of both pools
    (the user could only open vaguely and state a year)."""
    if pool not in POOLS:
        raise SimulatorError(f"unknown pool {pool!r}; choose one of: {', '.join(POOLS)}")
    items = [i for i in catalog.items.values() if any(g in STATABLE_GENRES for g in i.genres)]
    if pool == "popular":
        items = [i for i in items if catalog.n_ratings.get(i.item_id, 0) >= min_ratings]
    return sorted(items, key=lambda i: _id_key(i.item_id))


def sample_targets(catalog: SimCatalog, pool: str, n: int, seed: int,
                   min_ratings: int = POPULAR_MIN_RATINGS) -> list[Target]:
    """`n` distinct targets drawn with a fixed seed (all of the pool when it is smaller)."""
    items = pool_items(catalog, pool, min_ratings)
    if not items:
        raise SimulatorError(f"pool {pool!r} is empty (min ratings {min_ratings}, {len(catalog.items)} items)")
    chosen = random.Random(seed).sample(items, min(n, len(items)))
    return [Target.of(i) for i in chosen]
