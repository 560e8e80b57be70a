"""Warm starts: a model that trains from a previously fitted model's weights instead of from scratch.

The retrain job fits the learned blend every time new feedback arrives. Its sequential base
(SASRec) is the part worth keeping between runs: its quality grows with the epochs it has seen
(docs/evaluation/training-time.md), and a warm start lets those epochs add up across retrains
while each run stays within its time budget.

Models index items by position in the catalog of the data they were fitted on; the catalog can
change between two versions, so a warm start carries `item_map`: for every item of the new
data, its index in the old model, or -1 for an item the old model did not know (it starts from
a fresh embedding).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recommender.models.base import PreferenceModel


@dataclass(frozen=True)
class WarmStart:
    """A fitted model to continue training from, and where each new item sits in it."""

    model: PreferenceModel
    item_map: np.ndarray | None = None  # int64 [n_items of the new data]: old index or -1; None = same catalog

    def mapped(self, n_items: int) -> np.ndarray:
        """`item_map`, or the identity over `n_items` when the catalog did not change."""
        if self.item_map is None:
            return np.arange(n_items, dtype=np.int64)
        item_map = np.asarray(self.item_map, dtype=np.int64)
        if item_map.shape != (n_items,):
            raise ValueError(f"item_map has {item_map.shape} entries, the data has {n_items} items")
        return item_map


def item_map(old_ids: Sequence[str], new_ids: Sequence[str]) -> np.ndarray:
    """For every id in `new_ids`, its position in `old_ids` (-1 when absent)."""
    position = {item_id: n for n, item_id in enumerate(old_ids)}
    return np.array([position.get(item_id, -1) for item_id in new_ids], dtype=np.int64)


def supports_warm_start(model: PreferenceModel | type[PreferenceModel]) -> bool:
    """Whether the model's `fit` takes a `warm_start` (a previous fit to continue from)."""
    cls = model if isinstance(model, type) else type(model)
    return "warm_start" in inspect.signature(cls.fit).parameters
