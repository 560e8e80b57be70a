"""The store's feedback log as `InteractionData`, the format every preference model trains on.

Every logged kind that is an interaction (`recommender.feedback`) becomes one with its weight on
the 1-5 rating scale: a rating keeps its value, a like counts as 5, a dislike as 1, a bookmark as
4 unless the user already gave that item an opinion (then, like a click, it carries none: NaN).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recommender import feedback as fb
from recommender.models.base import InteractionData
from recommender.store.repository import Interactions, Store
from recommender.types import Item


def event_values(events: Interactions) -> np.ndarray:
    """Each event's rating-scale weight (NaN: no opinion, or not an interaction), in the log's order."""
    values = np.full(len(events), np.nan)
    opinionated: set[tuple[str, str]] = set()
    for n, (user, item_id, kind, value) in enumerate(
        zip(events.user_ids, events.item_ids, events.kinds, events.values, strict=True)
    ):
        if not fb.is_kind(kind):
            continue
        weight = fb.scale_value(kind, value)
        if weight is None or (fb.spec(kind).keeps_opinion and (user, item_id) in opinionated):
            continue
        values[n] = weight
        opinionated.add((user, item_id))
    return values


def interaction_data(events: Interactions, items: Sequence[Item]) -> InteractionData:
    """Index `events` against `items` (catalog order); events on unknown items and non-interactions are dropped."""
    position = {item.item_id: i for i, item in enumerate(items)}
    weights = event_values(events)
    keep: list[int] = []
    values: list[float] = []
    for n, (item_id, kind) in enumerate(zip(events.item_ids, events.kinds, strict=True)):
        if item_id not in position or not fb.is_kind(kind) or not fb.spec(kind).interaction:
            continue
        if kind == fb.RATING and np.isnan(weights[n]):
            continue  # a rating without a value says nothing
        keep.append(n)
        values.append(float(weights[n]))
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
