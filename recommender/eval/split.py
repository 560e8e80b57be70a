"""Leave-last-out split by time: the last item of each user is the test, the one before it validates.

The unit held out is an item, not an event: every event a user had on a held-out item (a click
and then a rating, say) leaves the training data with it, so no trace of the answer is visible
to a model. Per user, items are ordered by their last event; equal times are broken by a fixed
hash of the (user, item) pair (`models.common.tie_break`, the order `user_histories` uses too), so
the split depends neither on the order of rows in the source file nor on item indices (ties by
index would make the test item the highest index of the user's last burst). Users with fewer
than three distinct items stay in training only (they cannot give up two items and keep one).

Two stages use the split:
- validation: fit on `train`, score `validation` users -> choose hyper-parameters;
- test: refit on `train_validation` (train plus the validation items) with the chosen
  hyper-parameters, score `test` users once.
Other users' events after a test user's last event remain in training, as in every
leave-last-out protocol; the per-user answer itself never does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.models.base import InteractionData
from recommender.models.common import tie_break


@dataclass(frozen=True)
class HeldOut:
    """One held-out item per evaluated user, as parallel index arrays (users ascending)."""

    users: np.ndarray  # int64
    items: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.users)

    def sample(self, limit: int, seed: int = 42) -> HeldOut:
        """At most `limit` of the pairs, a fixed-seed sample (order kept) when there are more."""
        if len(self) <= limit:
            return self
        keep = np.sort(np.random.default_rng(seed).choice(len(self), size=limit, replace=False))
        return HeldOut(self.users[keep], self.items[keep])


@dataclass(frozen=True)
class LeaveLastOutSplit:
    """Training data for both stages and the held-out items they are scored on."""

    train: InteractionData
    validation: HeldOut
    train_validation: InteractionData
    test: HeldOut


def subset(data: InteractionData, mask: np.ndarray) -> InteractionData:
    """The events where `mask` is True; users and catalog stay the same so indices still match."""
    return InteractionData(
        user_idx=data.user_idx[mask],
        item_idx=data.item_idx[mask],
        values=data.values[mask],
        timestamps=data.timestamps[mask],
        kinds=data.kinds[mask],
        user_ids=data.user_ids,
        items=data.items,
    )


def leave_last_out(data: InteractionData, min_items: int = 3) -> LeaveLastOutSplit:
    """Split `data` per user: last item -> test, second to last -> validation, the rest -> train."""
    if min_items < 3:
        raise ValueError(f"min_items must be at least 3 (test + validation + one to train on), got {min_items}")
    users = data.user_idx.astype(np.int64)
    items = data.item_idx.astype(np.int64)
    times = np.asarray(data.timestamps, dtype=np.float64)
    keys = users * data.n_items + items
    pairs, inverse = np.unique(keys, return_inverse=True)
    last_time = np.full(len(pairs), -np.inf)
    np.maximum.at(last_time, inverse, times)
    pair_user, pair_item = pairs // data.n_items, pairs % data.n_items
    order = np.lexsort((tie_break(pair_user, pair_item), last_time, pair_user))  # per user: oldest -> newest
    sorted_user = pair_user[order]
    counts = np.bincount(sorted_user, minlength=data.n_users)
    ends = np.cumsum(counts)  # index after each user's last pair in `order`
    eligible = np.flatnonzero(counts >= min_items)
    test_pairs = order[ends[eligible] - 1]
    valid_pairs = order[ends[eligible] - 2]

    role = np.zeros(len(pairs), dtype=np.int8)  # 0 train, 1 validation, 2 test
    role[valid_pairs] = 1
    role[test_pairs] = 2
    event_role = role[inverse]
    return LeaveLastOutSplit(
        train=subset(data, event_role == 0),
        validation=HeldOut(pair_user[valid_pairs], pair_item[valid_pairs]),
        train_validation=subset(data, event_role <= 1),
        test=HeldOut(pair_user[test_pairs], pair_item[test_pairs]),
    )


def visible_pairs(data: InteractionData) -> set[tuple[int, int]]:
    """Every (user, item) pair that has at least one event in `data` (used by the leakage checks)."""
    return set(zip(data.user_idx.tolist(), data.item_idx.tolist(), strict=True))
