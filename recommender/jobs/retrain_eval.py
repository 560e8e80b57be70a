"""How the retrain job scores models: NDCG@k on held-out items, ranked the way `recommender.eval` ranks.

Full ranking over the catalog minus the user's history (`eval.ranking.rank_held_out`). The
published version indexes items and users by the ids in its manifest; `PublishedRanker` maps
queries to them, and items it does not know rank last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from recommender.eval.ranking import Ranker, held_out_gains
from recommender.jobs.publish_policy import OfflineEvidence, RecentEvidence
from recommender.models.base import InteractionData, PreferenceModel, Query, top_k
from recommender.models.common import user_histories
from recommender.training.artifacts import ServingModels
from recommender.training.retrain_fit import RetrainSplit

SAMPLE_SEED = 42


class PublishedRanker:
    """A published version, ranking items of the current data by their ids."""

    def __init__(self, serving: ServingModels, data: InteractionData) -> None:
        position = {item_id: n for n, item_id in enumerate(serving.item_ids)}
        self.model = serving.model
        self.n_items = data.n_items
        self.to_model = np.array([position.get(item.item_id, -1) for item in data.items], dtype=np.int64)
        self.known = self.to_model >= 0
        users = {user: n for n, user in enumerate(serving.user_ids)}
        self.user_map = [users.get(user) for user in data.user_ids]

    def score(self, query: Query) -> np.ndarray:
        """Scores over the current catalog; items the version does not know get -inf."""
        history = np.asarray(query.history, dtype=np.int64)
        mapped = self.to_model[history]
        weights = None if query.weights is None else np.asarray(query.weights)[mapped >= 0]
        user = self.user_map[query.user] if query.user is not None else None
        scores = np.full(self.n_items, -np.inf)
        model_scores = self.model.score(Query(history=mapped[mapped >= 0], weights=weights, user=user))
        scores[self.known] = model_scores.astype(np.float64)[self.to_model[self.known]]
        return scores

    def recommend(self, query: Query, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
        """Top-k by score, never an item in `exclude` or one the version does not know."""
        return top_k(self.score(query), k, exclude)


def standard_error(values: np.ndarray) -> float:
    """Standard error of the mean (0 for fewer than two values)."""
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0


def summary(label: str, gains: np.ndarray) -> dict[str, float]:
    """NDCG@k (the mean gain), its standard error and HR@k from per-user gains."""
    return {
        f"{label}_ndcg": round(float(gains.mean()), 5),
        f"{label}_ndcg_se": round(standard_error(gains), 5),
        f"{label}_hr": round(float((gains > 0).mean()), 5),
    }


@dataclass(frozen=True)
class Scores:
    """Both slices' evidence for the publish policy, and the same numbers for the version row."""

    offline: OfflineEvidence
    recent: RecentEvidence
    metrics: dict[str, dict[str, Any]]


def score_slices(
    split: RetrainSplit,
    candidate: PreferenceModel,
    contender: PreferenceModel,
    popularity: PreferenceModel,
    published: Ranker | None,
    *,
    k: int,
    max_users: int,
) -> Scores:
    """NDCG@k on both slices: the candidate and popularity on the offline items (histories of
    `split.train`); the contender, popularity and the published version on the recent slice
    (histories of `split.contender_train`, every event but the recent slice: what the published
    version and the contender were trained on). In the results the contender is the recent slice's
    "candidate" (`training.retrain_fit`). Each slice is a fixed-seed sample of at most `max_users` users.
    """
    offline, recent = split.offline.sample(max_users, SAMPLE_SEED), split.recent.sample(max_users, SAMPLE_SEED)
    metrics: dict[str, dict[str, Any]] = {
        "offline": {"users": len(offline), "candidate_ndcg": None, "popularity_ndcg": None},
        "recent": {"users": len(recent), "candidate_ndcg": None, "published_ndcg": None, "popularity_ndcg": None},
    }
    gains: dict[str, np.ndarray] = {}
    for section, held, train, models in (
        ("offline", offline, split.train, {"candidate": candidate, "popularity": popularity}),
        ("recent", recent, split.contender_train, {"candidate": contender, "popularity": popularity,
                                                   "published": published}),
    ):
        if not len(held):
            continue
        histories = user_histories(train)
        for label, model in models.items():
            if model is not None:
                gains[f"{section}:{label}"] = held_out_gains(model, held, histories, k)
                metrics[section].update(summary(label, gains[f"{section}:{label}"]))
    difference = None
    if "recent:published" in gains:
        difference = gains["recent:candidate"] - gains["recent:published"]
        metrics["recent"]["difference"] = round(float(difference.mean()), 5)
        metrics["recent"]["difference_se"] = round(standard_error(difference), 5)
    off, rec = metrics["offline"], metrics["recent"]
    return Scores(
        offline=OfflineEvidence(users=len(offline), candidate=off["candidate_ndcg"],
                                candidate_se=float(off.get("candidate_ndcg_se") or 0.0),
                                popularity=off["popularity_ndcg"]),
        recent=RecentEvidence(users=len(recent), candidate=rec["candidate_ndcg"], published=rec["published_ndcg"],
                              difference=float(rec.get("difference", 0.0)),
                              difference_se=float(rec.get("difference_se", 0.0))),
        metrics=metrics,
    )
