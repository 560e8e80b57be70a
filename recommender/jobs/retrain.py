"""Retrain job: logged feedback -> candidate model -> honest evaluation -> publish only if not worse.

One run (`retrain(store, settings)`):

1. Clean up: staging folders (`.<version>.partial`) left by a run that was killed are removed.
2. Skip when nothing changed: no feedback event newer than the published version's watermark
   (`last_event_id`) and no event deleted since (forget, retention); `force` retrains anyway.
3. Read the log up to one event id (the new watermark) and hold out, per user, items that
   neither the candidate nor the published model may see:
   - the **recent slice**: each user's last positive event (like, bookmark, rating >=
     `like_threshold`) among the events newer than the published watermark, on an item the
     user had no event on before it. The published model was trained before these events;
   - the **offline split**: each user's last item (leave-last-out by time, users with >= 3
     items), as in `recommender.eval.split`.
   Every event of a held-out (user, item) pair leaves the candidate's training data.
4. Train the candidate (`retrain_model` with `retrain_params` over the registry defaults) and
   the Markov action model (on every logged conversation).
5. Evaluate NDCG@`retrain_eval_k` with a full ranking over the catalog minus the user's
   history: candidate and published model on the recent slice; candidate and popularity (trained
   on the same data) on the offline split.
6. Decide:
   - first version: publish when the candidate beats popularity on the offline split;
   - with `retrain_min_eval_users` or more users in the recent slice: publish when the candidate
     is not worse than the published model there and beats popularity on the offline split
     (both slices must agree). "Worse" means the mean per-user difference in
     NDCG is below -max(`retrain_tolerance`, `retrain_noise_z` x its paired standard error): a
     few hundred users give NDCG differences of +-0.02 by chance alone, and a rule without the
     noise margin would reject (or accept) on that chance;
   - with fewer: publish when its offline NDCG is not worse (same margin, from both standard
     errors) than the one recorded for the published version when that version was trained;
   - when a user the published version was trained on has been forgotten since (no user row
     any more, or only one created after that version: they came back), the old version holds data it must no longer hold: the candidate is published if
     it beats popularity, even when it scores below the old one (the "privacy" decision). Events
     purged by the retention job only make the run happen (not skipped); it is judged as usual.
   The decision and every number are logged and stored in the version row's `metrics`.
   The LLM score's weight in re-ranked heads is refitted from logged feedback too
   (`recommender.llm.weight`; the `llm_rerank_weight` setting until 30 re-ranked turns got
   positive feedback) and travels with the version.
7. Write the version folder atomically (`write_version`) and add a `published` or `rejected`
   row; the action servers pick up a published one within `model_check_seconds`. Folders of
   old versions beyond `retrain_keep_versions` are removed (the published one never is).

The published model is the candidate as evaluated, i.e. trained without the held-out items
(one or two per user); the next retrain trains on them. That keeps a retrain to one fit,
within the 60 s budget on MovieLens 100K (benchmarks/results/retrain.md).
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recommender.config import Settings
from recommender.errors import CorruptModelError, RecommenderError
from recommender.eval.metrics import ndcg_gains
from recommender.eval.split import leave_last_out, subset
from recommender.feedback import is_positive
from recommender.llm.weight import fit_llm_weight, reranked_requests
from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.common import user_histories
from recommender.models.markov import MarkovActionModel
from recommender.store.repository import FeedbackLog, ModelVersion, Store
from recommender.training.artifacts import ServingModels, load_version, new_version_name, write_version
from recommender.training.data import interaction_data

logger = logging.getLogger(__name__)

SEED = 42


class RetrainError(RecommenderError):
    """The candidate could not be trained (e.g. too little feedback for the model to learn from)."""


@dataclass(frozen=True)
class RetrainOutcome:
    """What one retrain run did: `published`, `rejected` or `skipped`, why, and the numbers."""

    status: str
    reason: str
    version: str | None = None
    events: int = 0
    last_event_id: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    removed_staging: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (what `python -m recommender retrain` prints)."""
        out = asdict(self)
        out["removed_staging"] = list(self.removed_staging)
        return out


@dataclass(frozen=True)
class _EvalSet:
    """Held-out (user, item) pairs, as indices into the current data."""

    users: np.ndarray
    items: np.ndarray

    def __len__(self) -> int:
        return len(self.users)

    def sample(self, limit: int, seed: int = SEED) -> _EvalSet:
        if len(self) <= limit:
            return self
        keep = np.sort(np.random.default_rng(seed).choice(len(self), size=limit, replace=False))
        return _EvalSet(self.users[keep], self.items[keep])


def clean_stale_staging(models_dir: Path) -> list[str]:
    """Remove `.<version>.partial` folders a killed run left behind; returns their names.

    Only the retrain job writes there and one run holds the retrain lease at a time, so any
    staging folder found at the start of a run is stale.
    """
    if not models_dir.is_dir():
        return []
    removed = []
    for path in sorted(models_dir.glob(".*.partial")):
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
        logger.warning("removed stale staging folder %s (a retrain was interrupted)", path)
    return removed


def prune_versions(models_dir: Path, keep: int, protect: Sequence[str]) -> list[str]:
    """Delete version folders beyond the newest `keep` (names sort by time), never those in `protect`."""
    if not models_dir.is_dir():
        return []
    folders = sorted((p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)
    removed = []
    for path in folders[keep:]:
        if path.name not in protect:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def default_candidate(settings: Settings) -> PreferenceModel:
    """The configured model: registry defaults overridden by `retrain_params`."""
    from recommender.models.registry import get_spec

    return get_spec(settings.retrain_model).build(settings.retrain_params, seed=SEED)


def retrain(
    store: Store,
    settings: Settings,
    *,
    force: bool = False,
    candidate_factory: Callable[[], PreferenceModel] | None = None,
) -> RetrainOutcome:
    """One retrain run (see the module docstring); never leaves a half-written version behind."""
    started, cpu_started = time.perf_counter(), time.process_time()
    seconds: dict[str, float] = {}
    removed = tuple(clean_stale_staging(settings.models_dir))
    published = store.latest_published_version()
    last_id = store.last_feedback_id()
    if last_id == 0:
        return _skipped("no feedback in the log yet", started, removed)
    if (published is not None and not force and last_id <= published.last_event_id
            and store.count_feedback() >= published.trained_on_events):
        return _skipped(f"no new feedback since version {published.version} (event {published.last_event_id})",
                        started, removed, last_event_id=last_id)

    tick = time.perf_counter()
    log = store.feedback_log(upto_id=last_id)
    items = store.load_items()
    data = interaction_data(log.events, items)
    watermark = published.last_event_id if published is not None else 0
    recent = _recent_slice(log, data, watermark, settings.like_threshold)
    offline_split = leave_last_out(data)
    offline = _EvalSet(offline_split.test.users, offline_split.test.items)
    train = _without_pairs(data, recent, offline)
    seconds["load"] = time.perf_counter() - tick
    logger.info(
        "retrain: %d events up to id %d (%d new since %s), %d users; holding out %d recent and %d offline items",
        len(log.ids), last_id, int((log.ids > watermark).sum()), published.version if published else "the start",
        data.n_users, len(recent), len(offline),
    )

    tick = time.perf_counter()
    from recommender.eval.evaluate import seed_everything
    from recommender.models.registry import get_spec

    seed_everything(SEED)
    candidate = candidate_factory() if candidate_factory is not None else default_candidate(settings)
    logger.info("retrain: training candidate %s on %d events", candidate.name, len(train))
    try:
        candidate.fit(train)
    except ValueError as exc:
        raise RetrainError(f"cannot train {candidate.name} on {len(train)} events: {exc}") from exc
    seconds["train"] = time.perf_counter() - tick
    tick = time.perf_counter()
    markov = MarkovActionModel.from_store(store)
    seconds["markov"] = time.perf_counter() - tick

    tick = time.perf_counter()
    popularity = get_spec("popularity").build().fit(train)
    k = settings.retrain_eval_k
    histories = user_histories(train)
    limit = settings.retrain_eval_max_users
    offline_eval, recent_eval = offline.sample(limit), recent.sample(limit)
    metrics: dict[str, Any] = {
        "k": k, "model": candidate.name, "events": len(log.ids), "train_events": len(train),
        "markov_transitions": markov.n_transitions,
        "offline": {"users": len(offline_eval), "candidate_ndcg": None, "popularity_ndcg": None},
        "recent": {"users": len(recent_eval), "candidate_ndcg": None, "published_ndcg": None,
                   "popularity_ndcg": None, "published_version": published.version if published else None},
    }
    gains: dict[str, np.ndarray] = {}

    def evaluate(section: str, label: str, model: PreferenceModel | ServingModels, held: _EvalSet) -> None:
        gains[f"{section}:{label}"] = _gains(model, held, histories, data, k)
        metrics[section].update(_summary(label, gains[f"{section}:{label}"]))

    if len(offline_eval):
        evaluate("offline", "candidate", candidate, offline_eval)
        evaluate("offline", "popularity", popularity, offline_eval)
    published_models = _load_published(published)
    forgotten = 0
    if published_models is not None and published is not None:
        trained_users = published_models.user_ids
        # as the service counts them: a forgotten user who came back has a newer row, not the trained one
        kept = store.existing_users(trained_users, created_before=published.created_at)
        forgotten = len(trained_users) - len(kept)
    metrics["forgotten_users"] = forgotten
    if len(recent_eval):
        evaluate("recent", "candidate", candidate, recent_eval)
        evaluate("recent", "popularity", popularity, recent_eval)
        if published_models is not None:
            evaluate("recent", "published", published_models, recent_eval)
            diff = gains["recent:candidate"] - gains["recent:published"]
            metrics["recent"]["difference"] = round(float(diff.mean()), 5)
            metrics["recent"]["difference_se"] = round(_se(diff), 5)
    seconds["evaluate"] = time.perf_counter() - tick

    publish, reason, decided_on = _decide(settings, published, published_models, metrics, forgotten)
    metrics["decided_on"] = decided_on
    llm_weight = fit_llm_weight(
        reranked_requests(store.logged_llm_turns(), settings.like_threshold), prior=settings.llm_rerank_weight
    )
    metrics["llm_weight"] = llm_weight.as_dict()
    status = "published" if publish else "rejected"

    tick = time.perf_counter()
    version = new_version_name()
    user_ids = list(data.user_ids)
    path = write_version(
        settings.models_dir, version, candidate, markov, [item.item_id for item in data.items], user_ids,
        info={"status": status, "reason": reason, "metrics": metrics, "last_event_id": last_id,
              "llm_weight": llm_weight.weight},
    )
    seconds["write"] = time.perf_counter() - tick
    seconds["total"] = time.perf_counter() - started
    seconds["cpu"] = time.process_time() - cpu_started  # every thread of this process; wall >> cpu means a busy machine
    seconds = {name: round(value, 3) for name, value in seconds.items()}
    store.add_model_version(
        version=version, status=status, path=str(path), trained_on_events=len(log.ids), last_event_id=last_id,
        train_seconds=seconds["train"], metrics={**metrics, "seconds": seconds}, reason=reason,
    )
    current = version if publish else (published.version if published else "")
    prune_versions(settings.models_dir, settings.retrain_keep_versions, protect=[current])
    log_level = logging.WARNING if seconds["total"] > settings.retrain_budget_seconds else logging.INFO
    logger.log(log_level, "retrain: %s %s: %s (%.1f s, budget %.0f s; %s)", status, version, reason,
               seconds["total"], settings.retrain_budget_seconds,
               ", ".join(f"{name} {value:.1f}s" for name, value in seconds.items()))
    return RetrainOutcome(status, reason, version, len(log.ids), last_id, metrics, seconds, removed)


def _skipped(reason: str, started: float, removed: tuple[str, ...], last_event_id: int = 0) -> RetrainOutcome:
    logger.info("retrain: skipped: %s", reason)
    return RetrainOutcome("skipped", reason, last_event_id=last_event_id,
                          seconds={"total": round(time.perf_counter() - started, 3)}, removed_staging=removed)


def _recent_slice(log: FeedbackLog, data: InteractionData, watermark: int, like_threshold: float) -> _EvalSet:
    """Per user, the last positive event newer than `watermark` on an item the user had no older event on."""
    if watermark <= 0:
        return _EvalSet(np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    events = log.events
    old = log.ids <= watermark
    seen_before = set(zip(events.user_ids[old].tolist(), events.item_ids[old].tolist(), strict=True))
    user_position = {u: n for n, u in enumerate(data.user_ids)}
    item_position = {item.item_id: n for n, item in enumerate(data.items)}
    last: dict[int, int] = {}
    for n in np.flatnonzero(~old).tolist():  # the log is ordered by time, so later events overwrite
        user, item = events.user_ids[n], events.item_ids[n]
        if (user, item) in seen_before or user not in user_position or item not in item_position:
            continue
        if is_positive(events.kinds[n], float(events.values[n]), like_threshold):
            last[user_position[user]] = item_position[item]
    users = np.array(sorted(last), dtype=np.int64)
    return _EvalSet(users, np.array([last[u] for u in users.tolist()], dtype=np.int64))


def _without_pairs(data: InteractionData, *held: _EvalSet) -> InteractionData:
    """`data` without any event of a held-out (user, item) pair."""
    keys = data.user_idx.astype(np.int64) * data.n_items + data.item_idx.astype(np.int64)
    held_keys = np.concatenate([h.users * data.n_items + h.items for h in held]) if held else np.array([])
    return subset(data, ~np.isin(keys, held_keys))


def _load_published(published: ModelVersion | None) -> ServingModels | None:
    if published is None:
        return None
    try:
        return load_version(Path(published.path))
    except CorruptModelError:
        logger.exception("retrain: the published version %s cannot be loaded; comparing with popularity only",
                         published.version)
        return None


def _se(values: np.ndarray) -> float:
    """Standard error of the mean (0 for fewer than two values)."""
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0


def _summary(label: str, gains: np.ndarray) -> dict[str, float]:
    """NDCG@k (the mean gain), its standard error and HR@k from per-user gains."""
    return {
        f"{label}_ndcg": round(float(gains.mean()), 5),
        f"{label}_ndcg_se": round(_se(gains), 5),
        f"{label}_hr": round(float((gains > 0).mean()), 5),
    }


def _gains(
    model: PreferenceModel | ServingModels,
    held: _EvalSet,
    histories: list[tuple[np.ndarray, np.ndarray]],
    data: InteractionData,
    k: int,
) -> np.ndarray:
    """Per user, 1/log2(1 + rank) of the held-out item within the top k (0 beyond): NDCG@k is their mean.

    Full ranking over the catalog minus the user's history.

    A `ServingModels` (the published version) indexes items and users by the ids in its
    manifest; queries are mapped to them, and items it does not know rank last.
    """
    from threadpoolctl import threadpool_limits

    recommended = []
    if isinstance(model, ServingModels):
        position = {item_id: n for n, item_id in enumerate(model.item_ids)}
        to_model = np.array([position.get(item.item_id, -1) for item in data.items], dtype=np.int64)
        known = to_model >= 0
        user_position = {user: n for n, user in enumerate(model.user_ids)}
    with threadpool_limits(limits=1, user_api="blas"):
        for user, _ in zip(held.users.tolist(), held.items.tolist(), strict=True):
            items, weights = histories[user]
            if isinstance(model, ServingModels):
                mapped = to_model[items]
                query = Query(history=mapped[mapped >= 0], weights=weights[mapped >= 0],
                              user=user_position.get(data.user_ids[user]))
                scores = np.full(data.n_items, -np.inf)
                scores[known] = model.model.score(query).astype(np.float64)[to_model[known]]
            else:
                scores = model.score(Query(history=items, weights=weights, user=user)).astype(np.float64)
            scores[items] = -np.inf
            top_n = min(k, int(np.isfinite(scores).sum()))
            if top_n <= 0:
                recommended.append(np.array([], dtype=np.int64))
                continue
            top = np.argpartition(-scores, top_n - 1)[:top_n]
            recommended.append(top[np.argsort(-scores[top], kind="stable")])
    return ndcg_gains(recommended, held.items, k)


def _decide(
    settings: Settings,
    published: ModelVersion | None,
    published_models: ServingModels | None,
    metrics: dict[str, Any],
    forgotten: int,
) -> tuple[bool, str, str]:
    """(publish?, the reason with both numbers, which comparison decided)."""
    k = metrics["k"]
    offline, recent = metrics["offline"], metrics["recent"]
    cand_off, pop_off = offline["candidate_ndcg"], offline["popularity_ndcg"]
    tol = settings.retrain_tolerance
    beats_popularity = cand_off is not None and pop_off is not None and cand_off > pop_off
    vs_popularity = (f"offline NDCG@{k} {cand_off} vs popularity {pop_off} on {offline['users']} users"
                     if cand_off is not None else "no user has enough items for the offline split")
    if published is None or published_models is None:
        what = "first version" if published is None else f"published {published.version} unreadable"
        if beats_popularity:
            return True, f"{what}: beats popularity ({vs_popularity})", "popularity"
        return False, f"{what}: does not beat popularity ({vs_popularity})", "popularity"
    if forgotten:
        if beats_popularity:
            return True, (f"{forgotten} user(s) trained into {published.version} were forgotten since, so it must "
                          f"be replaced; the candidate beats popularity ({vs_popularity})"), "privacy"
        logger.warning("retrain: %d user(s) of %s were forgotten but the candidate does not beat popularity; "
                       "the old version keeps serving (the service ignores forgotten users' vectors)",
                       forgotten, published.version)
    if recent["users"] >= settings.retrain_min_eval_users and recent["published_ndcg"] is not None:
        cand, old = recent["candidate_ndcg"], recent["published_ndcg"]
        margin = max(tol, settings.retrain_noise_z * recent["difference_se"])
        numbers = (f"recent-feedback NDCG@{k} {cand} vs published {published.version} {old} "
                   f"on {recent['users']} users (difference {recent['difference']:+.5f}, paired SE "
                   f"{recent['difference_se']:.5f}, worse means below -{margin:.5f}); {vs_popularity}")
        if recent["difference"] < -margin:
            return False, f"worse than the published version: {numbers}", "recent"
        if cand_off is not None and pop_off is not None and not beats_popularity:
            # both slices must agree: not worse on recent feedback is not enough for a model that
            # loses to popularity on the offline split
            return False, f"not worse on recent feedback but does not beat popularity offline: {numbers}", "recent"
        return True, f"not worse than the published version: {numbers}", "recent"
    recorded = (published.metrics.get("offline") or {}).get("candidate_ndcg")
    if recorded is None or cand_off is None:
        if beats_popularity:
            return True, (f"{recent['users']} users in the recent slice (< {settings.retrain_min_eval_users}) and "
                          f"no recorded offline score for {published.version}; beats popularity ({vs_popularity})"), \
                "popularity"
        return False, f"does not beat popularity ({vs_popularity})", "popularity"
    recorded_se = float((published.metrics.get("offline") or {}).get("candidate_ndcg_se") or 0.0)
    spread = float(np.hypot(offline.get("candidate_ndcg_se") or 0.0, recorded_se))
    margin = max(tol, settings.retrain_noise_z * spread)
    numbers = (f"offline NDCG@{k} {cand_off} vs {recorded} recorded for {published.version} "
               f"(worse means below by more than {margin:.5f}; {recent['users']} users in the recent slice, "
               f"< {settings.retrain_min_eval_users}); popularity {pop_off}")
    if cand_off >= recorded - margin:
        return True, f"not worse than the published version: {numbers}", "offline_recorded"
    return False, f"worse than the published version: {numbers}", "offline_recorded"
