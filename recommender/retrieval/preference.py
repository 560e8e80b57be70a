"""`PreferenceScorer`: a published model version, scoring the live catalog for one user.

The version's model indexes items and users by the ids in its manifest; the catalog may have
changed since (items added or removed), so scores are mapped onto catalog rows by id, and rows
the model never saw get -inf (the caller falls back to its other signals for them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recommender.models.base import Query
from recommender.models.markov import ActionPolicy
from recommender.retrieval.index import CatalogIndex
from recommender.training.artifacts import ServingModels


class PreferenceScorer:
    """Scores every catalog row with the published model, from a user's (item id, weight) history."""

    def __init__(self, models: ServingModels, index: CatalogIndex) -> None:
        self.version = models.version
        self.model = models.model
        self.policy = ActionPolicy(models.markov) if models.markov is not None else None
        # the LLM score's weight in the re-ranked head, learned from feedback by the retrain job
        llm_weight = models.info.get("llm_weight")
        self.llm_weight: float | None = float(llm_weight) if llm_weight is not None else None
        self._user_index = {user: n for n, user in enumerate(models.user_ids)}
        self._model_index = {item: n for n, item in enumerate(models.item_ids)}
        rows = np.array([index.position.get(item, -1) for item in models.item_ids], dtype=np.int64)
        self._known = rows >= 0
        self._rows = rows[self._known]
        self._n_rows = len(index)
        self.coverage = float(self._known.sum()) / max(len(index), 1)

    def knows_user(self, user_id: str) -> bool:
        """Whether the model was trained on this user's events."""
        return user_id in self._user_index

    @property
    def user_ids(self) -> tuple[str, ...]:
        """The users whose trained representation is still used (forgotten ones are not)."""
        return tuple(self._user_index)

    def forget_user(self, user_id: str) -> None:
        """Stop using the trained representation of a user who asked to be forgotten."""
        self._user_index.pop(user_id, None)

    def score(self, history: Sequence[tuple[str, float]], user_id: str | None) -> np.ndarray:
        """float64 [catalog rows]: the model's score, -inf for rows the model does not know.

        `history` is the user's items with weights on the 1-5 scale, oldest first; items the
        model does not know are skipped.
        """
        known = [(self._model_index[i], w) for i, w in history if i in self._model_index]
        user = self._user_index.get(user_id) if user_id is not None else None
        query = Query(
            history=np.array([i for i, _ in known], dtype=np.int64),
            weights=np.array([w for _, w in known], dtype=np.float32),
            user=user,
        )
        model_scores = self.model.score(query).astype(np.float64)
        out = np.full(self._n_rows, -np.inf)
        out[self._rows] = model_scores[self._known]
        return out
