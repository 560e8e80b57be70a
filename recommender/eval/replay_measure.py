"""What the models make of replayed chat feedback: held-out NDCG@k of model versions, paired over users.

Public interfaces only. A version's files are loaded with `training.artifacts.load_version` (as
the retrain job loads the published one); a replayed user's profile is read back with
`profile.load_profile` (what the service folds their stored feedback into); a control user's is
built by `profile.build_profile` from the feedback replaying them would have sent. The version's
preference model then ranks the whole catalog minus the user's history (the retrain job's own
evaluation protocol) and the top `k` are compared with the user's held-out liked items. Nothing
is written or logged: measuring leaves the log the retrain reads untouched.

A replayed user is scored as the service scores them: with their trained representation when
the version was trained on them, else from their history alone. A control user, whose feedback
was never sent, is always scored from the history alone: what a version gained for them comes
from the rest of the cohort (shared tastes, popularity among the replayed users), not from
having been trained on their own feedback.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from recommender.eval.metrics import ndcg_at_k_sets
from recommender.eval.replay import planned_feedback
from recommender.eval.replay_data import ReplayUser
from recommender.identity import pseudonymous_id, rest_user_key
from recommender.models.base import Query
from recommender.profile import FeedbackSource, Profile, build_profile, load_profile
from recommender.training.artifacts import ServingModels

_BATCH = 32  # queries scored together (the blend builds [batch, items, features] at once)


@dataclass(frozen=True)
class Cohort:
    """Users to measure: their held-out items, profiles, and the id a trained version may know them by."""

    name: str
    held_out: tuple[frozenset[str], ...]
    profiles: tuple[Profile, ...]
    user_ids: tuple[str | None, ...]  # None: score from the history alone

    def __len__(self) -> int:
        """How many users."""
        return len(self.held_out)


def replayed_cohort(store: FeedbackSource, users: Sequence[ReplayUser], secret: str, like_threshold: float) -> Cohort:
    """Replayed users with the profiles the store holds for them now."""
    ids = [pseudonymous_id(rest_user_key(u.sender), secret) for u in users]
    return Cohort("replayed", tuple(u.held_out for u in users),
                  tuple(load_profile(store, uid, like_threshold) for uid in ids), tuple(ids))


def history_only(cohort: Cohort) -> Cohort:
    """The same users and profiles, scored from their history alone even by a version trained on them."""
    return replace(cohort, name=f"{cohort.name} (history only)", user_ids=tuple(None for _ in cohort.user_ids))


def cold_cohort(users: Sequence[ReplayUser]) -> Cohort:
    """Replayed users before any feedback: no history, unknown to every version."""
    return Cohort("replayed (cold)", tuple(u.held_out for u in users), tuple(Profile() for _ in users),
                  tuple(None for _ in users))


def control_cohort(users: Sequence[ReplayUser], like_threshold: float) -> Cohort:
    """Users never replayed, with the profiles their (unsent) feedback would have built."""
    profiles = tuple(
        build_profile([(f.item_id, f.kind, f.value) for f in planned_feedback(u, like_threshold)], like_threshold)
        for u in users
    )
    return Cohort("control", tuple(u.held_out for u in users), profiles, tuple(None for _ in users))


def rankings(models: ServingModels, cohort: Cohort, k: int) -> list[list[str]]:
    """Each user's top `k` catalog ids by the version's model, never an item of their history."""
    position = {item_id: n for n, item_id in enumerate(models.item_ids)}
    known_users = {user_id: n for n, user_id in enumerate(models.user_ids)}
    queries, seen = [], []
    for profile, user_id in zip(cohort.profiles, cohort.user_ids, strict=True):
        pairs = [(position[i], w) for i, w in profile.history if i in position]
        queries.append(Query(history=np.array([i for i, _ in pairs], dtype=np.int64),
                             weights=np.array([w for _, w in pairs], dtype=np.float32),
                             user=known_users.get(user_id) if user_id is not None else None))
        seen.append(np.array([position[i] for i in profile.seen if i in position], dtype=np.int64))
    ranked: list[list[str]] = []
    for start in range(0, len(queries), _BATCH):
        scores = np.asarray(models.model.score_many(queries[start : start + _BATCH]), dtype=np.float64)
        for row, exclude in zip(scores, seen[start : start + _BATCH], strict=True):
            row[exclude] = -np.inf
            top_n = min(k, int(np.isfinite(row).sum()))
            top = np.argpartition(-row, top_n - 1)[:top_n] if top_n > 0 else np.array([], dtype=np.int64)
            ranked.append([models.item_ids[i] for i in top[np.argsort(-row[top], kind="stable")]])
    return ranked


def measure(models: ServingModels, cohort: Cohort, k: int = 10) -> dict[str, Any]:
    """Held-out NDCG@k (mean, standard error, per user) and hit rate@k of `cohort` with one version."""
    ranked = rankings(models, cohort, k) if len(cohort) else []
    per_user = [ndcg_at_k_sets([r], [set(h)], k) for r, h in zip(ranked, cohort.held_out, strict=True)]
    hits = [bool(set(r[:k]) & h) for r, h in zip(ranked, cohort.held_out, strict=True)]
    trained = set(models.user_ids)
    return {
        "model_version": models.version, "cohort": cohort.name, "users": len(cohort),
        "trained_on_users": sum(1 for u in cohort.user_ids if u is not None and u in trained),
        f"ndcg@{k}": round(float(np.mean(per_user)), 5) if per_user else None,
        f"ndcg@{k}_se": round(_se(np.asarray(per_user)), 5) if per_user else None,
        f"hit_rate@{k}": round(float(np.mean(hits)), 5) if hits else None,
        "per_user_ndcg": [round(x, 5) for x in per_user],
    }


def without_features(models: ServingModels, features: Sequence[str]) -> ServingModels | None:
    """The version with the blend's weights of `features` set to 0; None when its model is no blend.

    A name ending in ":" stands for every feature of that base model ("popularity:"). The weights
    act on standardised features, so a zero weight is the feature held at its training mean for
    every item: the ranking no longer depends on it. The loaded version is left as it was.
    """
    from recommender.models.blend import LinearBlend

    model = models.model
    if not isinstance(model, LinearBlend) or model.coef is None:
        return None
    names = model.feature_names()
    drop = [n for n, name in enumerate(names) if any(name == f or (f.endswith(":") and name.startswith(f))
                                                     for f in features)]
    ablated = copy.copy(model)
    ablated.coef = model.coef.copy()
    ablated.coef[drop] = 0.0
    return replace(models, model=ablated)


def paired_difference(after: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    """Mean per-user NDCG difference of two measurements of the same users, with its standard error."""
    return _describe(np.asarray(after["per_user_ndcg"]) - np.asarray(before["per_user_ndcg"]))


def seed_averaged_gain(runs: Sequence[Mapping[str, Any]], before: Mapping[str, Any]) -> dict[str, Any]:
    """The gain of several runs (one per seed) over `before`, on the same users: see `seed_averaged`."""
    return seed_averaged([(run, before) for run in runs])


def seed_averaged(pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> dict[str, Any]:
    """(after, before) measurements of the same users, one pair per seed: the mean difference.

    Each user's differences are averaged over the seeds first, then the mean and its standard
    error are taken over users (the users are the noise that does not average away); each seed's
    own mean difference is listed too.
    """
    if not pairs:
        return {}
    diffs = np.stack([np.asarray(a["per_user_ndcg"]) - np.asarray(b["per_user_ndcg"]) for a, b in pairs])
    out = _describe(diffs.mean(axis=0))
    out["seeds"] = len(pairs)
    out["per_seed"] = [_describe(d)["mean"] for d in diffs]
    return out


def difference_of_gains(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, float]:
    """Gain `a` minus gain `b` measured on two different sets of users (standard errors combine)."""
    return {"mean": round(a["mean"] - b["mean"], 5), "se": round(float(np.hypot(a["se"], b["se"])), 5),
            "z": round((a["mean"] - b["mean"]) / float(np.hypot(a["se"], b["se"])), 2) if a["se"] or b["se"] else 0.0}


def without_lists(measured: object) -> object:
    """A measurement (or a structure of them) without the per-user lists, for logs and messages."""
    if isinstance(measured, Mapping):
        return {k: without_lists(v) for k, v in measured.items() if k != "per_user_ndcg"}
    if isinstance(measured, list):
        return [without_lists(v) for v in measured]
    return measured


def _describe(diff: np.ndarray) -> dict[str, Any]:
    se = _se(diff)
    return {"mean": round(float(diff.mean()), 5) if len(diff) else 0.0, "se": round(se, 5), "users": len(diff),
            "z": round(float(diff.mean()) / se, 2) if se > 0 else 0.0,
            "better": int((diff > 0).sum()), "worse": int((diff < 0).sum())}


def _se(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
