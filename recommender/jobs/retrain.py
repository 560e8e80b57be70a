"""Retrain job: logged feedback -> candidate model -> honest evaluation -> publish only if not worse.

One run (`retrain(store, settings)`; docs/feedback-loop.md has the whole story):

1. Clean up: staging folders (`.<version>.partial`) left by a run that was killed are removed.
2. Skip when nothing changed: no feedback event newer than the published version's watermark
   (`last_event_id`) and no event deleted since (forget, retention); `force` retrains anyway.
3. Read the log up to one event id (the new watermark) and hold out, per user, items that
   neither the candidate nor the published model may see (`training.retrain_fit.retrain_split`):
   - the **recent slice**: each user's last positive event (`feedback.is_positive`) among the
     events newer than the published watermark, on an item the user had no event on before it;
   - the **offline split**: each user's last item (leave-last-out by time, users with >= 3
     items), as in `recommender.eval.split`.
4. Train the candidate (`retrain_model` with `retrain_params` over the registry defaults) on the
   rest, warm-starting from the published version where the model can (the blend's SASRec base;
   not when a user it was trained on has been forgotten since: then everything starts from
   scratch, so no weight carries their data), and the Markov action model (every logged
   conversation).
5. Evaluate NDCG@`retrain_eval_k` with a full ranking over the catalog minus the user's history
   (`jobs.retrain_eval`, through `recommender.eval`): candidate and published model on the recent
   slice; candidate and popularity (trained on the same data) on the offline split.
6. Decide (`jobs.publish_policy.PublishPolicy`); the reason and every number are logged and stored
   in the version row's `metrics`. The LLM score's weight in re-ranked heads is refitted from
   logged feedback too (`recommender.llm.weight`) and travels with the version.
7. Publish: the candidate's configuration is fitted again on ALL events
   (`training.retrain_fit.for_serving`: the blend's weights learn from each user's last item, then
   its bases are refitted on everything), so the served model has trained on every event it may
   see, the held-out ones included. A rejected candidate is stored as evaluated, for audit.
8. Write the version folder atomically (`write_version`), remove from it the users forgotten
   while the run trained (`training.forget.forget_users_gone_since`: "forget me" rewrites the
   versions that exist when it runs, this one did not yet), and add a `published` or `rejected`
   row; the action servers pick up a published one within `model_check_seconds`. Folders of
   old versions beyond `retrain_keep_versions` are removed (the published one never is).

"Forgotten since" (step 4 and the publish policy's privacy rule) counts the published version's
trained users who have no user row any more, plus the users "forget me" removed from its files
(the manifest's `forgotten_users`): their vectors are gone from it, their share of the weights
and item statistics is not.
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
from recommender.eval.split import HeldOut
from recommender.jobs.publish_policy import Evidence, PublishedEvidence, PublishPolicy
from recommender.jobs.retrain_eval import PublishedRanker, score_slices
from recommender.llm.weight import fit_llm_weight, reranked_requests
from recommender.models.base import InteractionData, PreferenceModel
from recommender.models.markov import MarkovActionModel
from recommender.models.warm_start import WarmStart, item_map
from recommender.store.models import utcnow
from recommender.store.repository import FeedbackLog, ModelVersion, Store
from recommender.training.artifacts import ServingModels, load_version, new_version_name, versions_lock, write_version
from recommender.training.data import interaction_data
from recommender.training.forget import forget_users_gone_since
from recommender.training.retrain_fit import (
    EMPTY,
    fit_candidate,
    fit_contender,
    for_serving,
    new_positives,
    retrain_split,
)

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
    """Delete version folders beyond the newest `keep` (names sort by time), never those in `protect`.

    Under `versions_lock`, so a folder "forget me" is rewriting is not deleted under it.
    """
    if not models_dir.is_dir():
        return []
    removed = []
    with versions_lock(models_dir):
        folders = sorted((p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)
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
    from recommender.eval.ranking import seed_everything
    from recommender.models.registry import get_spec

    started, cpu_started = time.perf_counter(), time.process_time()
    seconds: dict[str, float] = {}
    removed = tuple(clean_stale_staging(settings.models_dir))
    published = store.latest_published_version()
    last_id = store.last_feedback_id()
    if last_id == 0:
        return _skipped("no feedback in the log yet", started, removed)
    deleted_since = published is not None and store.count_feedback() < published.trained_on_events
    if published is not None and not force and last_id <= published.last_event_id and not deleted_since:
        return _skipped(f"no new feedback since version {published.version} (event {published.last_event_id})",
                        started, removed, last_event_id=last_id)

    tick = time.perf_counter()
    # who had been forgotten when the log was read: users forgotten from now on leave the version at the end
    forgotten_before, read_at = store.users_forgotten_count(), utcnow()
    log = store.feedback_log(upto_id=last_id)
    data = interaction_data(log.events, store.load_items())
    watermark = published.last_event_id if published is not None else 0
    split = retrain_split(data, _recent_slice(log, data, watermark, settings.like_threshold))
    published_models = _load_published(published)
    forgotten = 0
    if published_models is not None and published is not None:
        trained_users = published_models.user_ids
        # as the service counts them: a forgotten user who came back has a newer row, not the trained one
        forgotten = len(trained_users) - len(store.existing_users(trained_users, created_before=published.created_at))
        forgotten += published_models.forgotten_users  # removed from its files: their vectors went, not their share
    warm = None
    if published_models is not None and not forgotten:  # a forgotten user's data must not live on in weights
        warm = WarmStart(published_models.model, item_map(published_models.item_ids, [i.item_id for i in data.items]))
    seconds["load"] = time.perf_counter() - tick
    logger.info(
        "retrain: %d events up to id %d (%d new since %s), %d users; holding out %d recent and %d offline items; %s",
        len(log.ids), last_id, int((log.ids > watermark).sum()), published.version if published else "the start",
        data.n_users, len(split.recent), len(split.offline),
        f"warm start from {published.version}" if warm and published else "training from scratch",
    )

    tick = time.perf_counter()
    seed_everything(SEED)
    factory = candidate_factory or (lambda: default_candidate(settings))
    candidate = factory()
    logger.info("retrain: training candidate %s on %d events", candidate.name, len(split.train))
    try:
        candidate = fit_candidate(candidate, split.train, warm)
    except ValueError as exc:
        raise RetrainError(f"cannot train {candidate.name} on {len(split.train)} events: {exc}") from exc
    seconds["train"] = time.perf_counter() - tick
    tick = time.perf_counter()
    contender = fit_contender(candidate, split, factory, warm)
    seconds["contender"] = time.perf_counter() - tick
    tick = time.perf_counter()
    markov = MarkovActionModel.from_store(store)
    seconds["markov"] = time.perf_counter() - tick

    tick = time.perf_counter()
    popularity = get_spec("popularity").build().fit(split.train)
    ranker = PublishedRanker(published_models, data) if published_models is not None else None
    scores = score_slices(split, candidate, contender, popularity, ranker,
                          k=settings.retrain_eval_k, max_users=settings.retrain_eval_max_users)
    seconds["evaluate"] = time.perf_counter() - tick
    evidence = Evidence(k=settings.retrain_eval_k, offline=scores.offline, recent=scores.recent,
                        published=_published_evidence(published, published_models), forgotten_users=forgotten)
    decision = PublishPolicy.from_settings(settings).decide(evidence)
    metrics: dict[str, Any] = {
        "k": settings.retrain_eval_k, "model": candidate.name, "events": len(log.ids), "train_events": len(split.train),
        "markov_transitions": markov.n_transitions, **scores.metrics, "forgotten_users": forgotten,
        "decided_on": decision.basis.value, "warm_start": _warm_start_report(candidate, warm, published),
    }
    metrics["recent"]["published_version"] = published.version if published else None

    model = candidate
    if decision.publish:
        tick = time.perf_counter()
        model = for_serving(candidate, contender, data, factory)  # trained on every event, the held-out ones too
        seconds["refit"] = time.perf_counter() - tick
    metrics["serving_events"] = len(data) if decision.publish else len(split.train)
    llm_weight = fit_llm_weight(
        reranked_requests(store.logged_llm_turns(), settings.like_threshold), prior=settings.llm_rerank_weight
    )
    metrics["llm_weight"] = llm_weight.as_dict()
    status = "published" if decision.publish else "rejected"

    tick = time.perf_counter()
    version = new_version_name()
    path = write_version(
        settings.models_dir, version, model, markov, [item.item_id for item in data.items], list(data.user_ids),
        info={"status": status, "reason": decision.reason, "metrics": metrics, "last_event_id": last_id,
              "llm_weight": llm_weight.weight},
    )
    metrics["forgotten_while_training"] = forget_users_gone_since(path, store, forgotten_before, read_at)
    seconds["write"] = time.perf_counter() - tick
    seconds["total"] = time.perf_counter() - started
    seconds["cpu"] = time.process_time() - cpu_started  # every thread of this process; wall >> cpu means a busy machine
    seconds = {name: round(value, 3) for name, value in seconds.items()}
    store.add_model_version(
        version=version, status=status, path=str(path), trained_on_events=len(log.ids), last_event_id=last_id,
        train_seconds=seconds["train"] + seconds["contender"] + seconds.get("refit", 0.0), metrics={**metrics, "seconds": seconds},
        reason=decision.reason,
    )
    current = version if decision.publish else (published.version if published else "")
    prune_versions(settings.models_dir, settings.retrain_keep_versions, protect=[current])
    log_level = logging.WARNING if seconds["total"] > settings.retrain_budget_seconds else logging.INFO
    logger.log(log_level, "retrain: %s %s: %s (%.1f s, budget %.0f s; %s)", status, version, decision.reason,
               seconds["total"], settings.retrain_budget_seconds,
               ", ".join(f"{name} {value:.1f}s" for name, value in seconds.items()))
    return RetrainOutcome(status, decision.reason, version, len(log.ids), last_id, metrics, seconds, removed)


def _skipped(reason: str, started: float, removed: tuple[str, ...], last_event_id: int = 0) -> RetrainOutcome:
    logger.info("retrain: skipped: %s", reason)
    return RetrainOutcome("skipped", reason, last_event_id=last_event_id,
                          seconds={"total": round(time.perf_counter() - started, 3)}, removed_staging=removed)


def _recent_slice(log: FeedbackLog, data: InteractionData, watermark: int, like_threshold: float) -> HeldOut:
    """Per user, the last positive event newer than `watermark` on an item the user had no older event on."""
    if watermark <= 0:
        return EMPTY
    events = log.events
    users = {u: n for n, u in enumerate(data.user_ids)}
    items = {item.item_id: n for n, item in enumerate(data.items)}
    return new_positives(
        np.array([users.get(u, -1) for u in events.user_ids.tolist()], dtype=np.int64),
        np.array([items.get(i, -1) for i in events.item_ids.tolist()], dtype=np.int64),
        events.kinds, np.asarray(events.values, dtype=np.float64), log.ids > watermark, like_threshold,
    )


def _load_published(published: ModelVersion | None) -> ServingModels | None:
    if published is None:
        return None
    try:
        return load_version(Path(published.path))
    except CorruptModelError:
        logger.exception("retrain: the published version %s cannot be loaded; comparing with popularity only",
                         published.version)
        return None


def _published_evidence(published: ModelVersion | None, models: ServingModels | None) -> PublishedEvidence | None:
    if published is None:
        return None
    offline = published.metrics.get("offline") or {}
    return PublishedEvidence(version=published.version, readable=models is not None,
                             recorded_offline=offline.get("candidate_ndcg"),
                             recorded_offline_se=float(offline.get("candidate_ndcg_se") or 0.0))


def _warm_start_report(candidate: PreferenceModel, warm: WarmStart | None,
                       published: ModelVersion | None) -> dict[str, Any] | None:
    """Which version the candidate continued from, and which of its parts did (None: trained from scratch)."""
    bases = list(getattr(candidate, "fit_report", {}).get("warm_started", []))
    if warm is None or published is None or not bases:
        return None
    return {"from": published.version, "bases": bases}
