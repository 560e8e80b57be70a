"""The store's feedback log as `InteractionData`, the format every preference model trains on.

Every logged kind becomes an interaction with a weight on the 1-5 rating scale: a rating keeps
its value, a like counts as 5 and a dislike as 1 (as in `InteractionData`), clicks and bookmarks
are implicit (NaN: no opinion attached). "unbookmark" only undoes a bookmark and is not an
interaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recommender.models.base import InteractionData
from recommender.store.repository import Interactions, Store
from recommender.types import Item

VALUE_OF_KIND: dict[str, float] = {"like": 5.0, "dislike": 1.0, "click": np.nan, "bookmark": np.nan}


def interaction_data(events: Interactions, items: Sequence[Item]) -> InteractionData:
    """Index `events` against `items` (catalog order); events on unknown items and unbookmarks are dropped."""
    position = {item.item_id: i for i, item in enumerate(items)}
    keep: list[int] = []
    values: list[float] = []
    for n, (item_id, kind, value) in enumerate(zip(events.item_ids, events.kinds, events.values, strict=True)):
        if item_id not in position or kind == "unbookmark":
            continue
        if kind == "rating":
            if not np.isfinite(value):
                continue
            values.append(float(value))
        elif kind in VALUE_OF_KIND:
            values.append(VALUE_OF_KIND[kind])
        else:
            continue
        keep.append(n)
    rows = np.asarray(keep, dtype=np.int64)
    users = events.user_ids[rows] if len(rows) else np.array([], dtype=object)
    user_ids = sorted(set(users.tolist()))
    user_position = {u: i for i, u in enumerate(user_ids)}
    return InteractionData(
        user_idx=np.array([user_position[u] for u in users.tolist()], dtype=np.int64),
        item_idx=np.array([position[i] for i in events.item_ids[rows].tolist()], dtype=np.int64)
        if len(rows) else np.array([], dtype=np.int64),
        values=np.asarray(values, dtype=np.float32),
        timestamps=events.timestamps[rows].astype(np.float64) if len(rows) else np.array([], dtype=np.float64),
        kinds=events.kinds[rows] if len(rows) else np.array([], dtype=object),
        user_ids=user_ids,
        items=list(items),
    )


def store_interaction_data(store: Store) -> InteractionData:
    """Every feedback event in the store (imported and live), indexed against the whole catalog."""
    return interaction_data(store.load_interactions(), store.load_items())
