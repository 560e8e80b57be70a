"""The one interface every preference model implements, so evaluation and serving treat them alike.

Models work on integer indices (users 0..n_users-1, items 0..n_items-1). A query is a
user's history (items with weights, oldest first) plus, when the user was in the training
data, their index: conversational users who were never trained on are served from history
alone, so every model must score a history without a user index.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from recommender.atomic import atomic_file, atomic_write_text
from recommender.types import Item


@dataclass(frozen=True)
class InteractionData:
    """Training interactions as parallel integer arrays, plus the catalog they index into.

    `values` are explicit ratings on a 1-5 scale where known (likes count as 5, dislikes as 1)
    and NaN for implicit events; `kinds` keep the event kind ("rating", "click", ...).
    """

    user_idx: np.ndarray  # int64 [n]
    item_idx: np.ndarray  # int64 [n]
    values: np.ndarray  # float32 [n]
    timestamps: np.ndarray  # float64 [n], seconds since epoch
    kinds: np.ndarray  # object [n]
    user_ids: list[str]
    items: list[Item]

    @property
    def n_users(self) -> int:
        """Number of users the arrays index."""
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        """Number of catalog items the arrays index."""
        return len(self.items)

    def __len__(self) -> int:
        return len(self.user_idx)


@dataclass(frozen=True)
class Query:
    """What is known about the user being scored."""

    history: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))  # item idx, oldest first
    weights: np.ndarray | None = None  # per history item; None = all 1.0 (ratings 1-5 may be given)
    user: int | None = None  # training user index, when the user was trained on

    def history_weights(self) -> np.ndarray:
        """Weights aligned with `history` (1.0 where none were given)."""
        if self.weights is None:
            return np.ones(len(self.history), dtype=np.float32)
        return np.asarray(self.weights, dtype=np.float32)


class PreferenceModel(ABC):
    """fit -> score/recommend -> save/load. Scores are higher-is-better over all items."""

    name: ClassVar[str]

    @abstractmethod
    def fit(self, data: InteractionData) -> Self:
        """Train on `data`; returns self."""

    @abstractmethod
    def score(self, query: Query) -> np.ndarray:
        """A score for every item (float32 [n_items]); unknown items may get -inf or 0."""

    def score_many(self, queries: Sequence[Query]) -> np.ndarray:
        """`score` of each query, stacked: float32 [len(queries), n_items] (models may batch the work)."""
        if not queries:
            raise ValueError("score_many needs at least one query")
        return np.stack([self.score(query) for query in queries]).astype(np.float32, copy=False)

    def recommend(self, query: Query, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
        """Top-k item indices by score, never items in `exclude` (the history is not excluded implicitly)."""
        return top_k(self.score(query), k, exclude)

    # -- forgetting training users ("forget me") ---------------------------------------------
    def trained_users(self) -> int | None:
        """How many training users the model keeps state of their own for (rows `Query.user`
        indexes); None for a model with only item or aggregate state (the default)."""
        return None

    def forget_users(self, rows: np.ndarray) -> None:
        """Remove the per-user state of training users `rows` (indices into the training users).

        The remaining users are renumbered in order: user r of the rest is the r-th one kept, as
        if the forgotten users had never been in the training user list; a version file written
        afterwards holds nothing of theirs of their own. Aggregate state (item counts,
        similarities, network weights) is not per user and stays until the next retrain. The
        default does nothing: a model without per-user state has nothing to remove.
        """
        return None

    # -- persistence: arrays in .npz (no pickle) or safetensors, settings in JSON ---------
    @abstractmethod
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(JSON-able config, named arrays) that fully describe the fitted model."""

    @classmethod
    @abstractmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild a fitted model from `state()`."""

    def save(self, directory: Path) -> None:
        """Write config.json + arrays.npz atomically (temp files renamed into place)."""
        directory.mkdir(parents=True, exist_ok=True)
        config, arrays = self.state()
        atomic_write_text(directory / "config.json", json.dumps({"model": self.name, **config}, indent=2))
        with atomic_file(directory / "arrays.npz") as out:
            np.savez(out, allow_pickle=False, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, directory: Path) -> Self:
        """Read a model written by `save`; refuses pickled arrays."""
        config = json.loads((directory / "config.json").read_text())
        if config.pop("model") != cls.name:
            raise ValueError(f"{directory} holds a {config.get('model')!r} model, not {cls.name!r}")
        with np.load(directory / "arrays.npz", allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        return cls.from_state(config, arrays)


def top_k(scores: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indices of the `k` highest finite scores, best first (stable on ties), never one in `exclude`."""
    scores = np.asarray(scores, dtype=np.float64).copy()
    if exclude is not None and len(exclude):
        scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return np.array([], dtype=np.int64)
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top], kind="stable")]
