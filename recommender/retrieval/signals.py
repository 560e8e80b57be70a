"""Turn mixed feedback events into per-(user, item) signals for training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender import feedback as fb
from recommender.retrieval.index import CatalogIndex
from recommender.store.repository import Interactions


@dataclass(frozen=True)
class UserItemSignals:
    """Engagement matrix (users x items, 1 where engaged positively) and explicit ratings."""

    user_ids: list[str]
    engaged: sp.csr_matrix  # float32 0/1
    rating_sum: np.ndarray  # per item
    rating_count: np.ndarray  # per item


def build_signals(index: CatalogIndex, events: Interactions) -> UserItemSignals:
    """Aggregate events per user and item; the latest opinion of a user on an item wins."""
    n_items = len(index)
    users: dict[str, int] = {}
    latest: dict[tuple[int, int], float | None] = {}
    for user, item, kind, value in zip(events.user_ids, events.item_ids, events.kinds, events.values, strict=True):
        col = index.position.get(item)
        if col is None:
            continue
        if not fb.is_kind(kind) or not fb.spec(kind).interaction:
            continue
        row = users.setdefault(user, len(users))
        rating = fb.scale_value(kind, value)
        key = (row, col)
        if key not in latest or (rating is not None and not fb.spec(kind).keeps_opinion):
            latest[key] = rating
    rows, cols, engaged_vals = [], [], []
    rating_sum = np.zeros(n_items)
    rating_count = np.zeros(n_items)
    for (row, col), rating in latest.items():
        positive = rating is None or rating >= fb.NEUTRAL_VALUE
        rows.append(row)
        cols.append(col)
        engaged_vals.append(1.0 if positive else 0.0)
        if rating is not None:
            rating_sum[col] += rating
            rating_count[col] += 1
    engaged = sp.csr_matrix(
        (np.asarray(engaged_vals, dtype=np.float32), (rows, cols)), shape=(len(users), n_items)
    )
    engaged.eliminate_zeros()
    return UserItemSignals(list(users), engaged, rating_sum, rating_count)
