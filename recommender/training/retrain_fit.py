"""The retrain's training procedure, one code path for the retrain job and the offline evaluation.

One retrain, given every event it may use (`data`) and the model published before it:

1. **hold out** (`retrain_split`): per user the last item (leave-last-out by time, users with >= 3
   items, as `recommender.eval.split`) and the recent slice (the last positive event newer than
   the published version, on an item the user had no earlier event on); every event of a
   held-out (user, item) pair leaves `train`, and only the recent pairs leave `contender_train`;
2. **candidate** (`fit_candidate`): the model fitted on `train`, continuing from the published
   version where it can (`WarmStart`: the blend's SASRec base starts from the previous
   version's held-out fit, so its epochs add up across retrains); it is scored on the offline
   items, which nothing it learned from has seen;
3. **contender** (`fit_contender`): what would be published, before its last step: for a blend,
   the same configuration fitted again on `contender_train`, so its weights learn from each user's
   last item (the offline one) as the offline evaluation fits a model; it is scored on the recent
   slice against the published version, which was fitted the same way and has not seen it either.
   Any other model's contender is the candidate;
4. the job decides on both scores (`jobs.publish_policy`);
5. **publish** (`for_serving`): the contender's bases refitted on ALL of `data` (SASRec for
   `refit_warm_epochs` more epochs, the others from scratch; the weights stay), so the served
   model has trained on every event it may see; any other model is fitted again from scratch.
   It keeps the candidate's held-out fits (`warm_bases`) for the next retrain to continue from:
   those never saw an item a later retrain holds out.

Why a contender: the blend's weights learn from the last item its bases did not see. In the
candidate that item is two steps back (the job's offline item, then the blend's own), and
keeping the candidate's weights served 0.1360 validation NDCG@10 on MovieLens 100K; the
contender's serve 0.1404, for one more fit per retrain (docs/evaluation/training-time.md). The
candidate itself would be an unequal rival for a published contender on the recent slice: in the
job's tests it lost to one by more than the noise margin.

`simulate_retrains` replays a chain of such retrains over growing time prefixes of a data set:
the offline evaluation scores the served configuration this way (`recommender.eval.served`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from recommender.eval.split import HeldOut, leave_last_out, subset
from recommender.feedback import is_positive
from recommender.models.base import InteractionData, PreferenceModel
from recommender.models.warm_start import WarmStart, supports_warm_start

logger = logging.getLogger(__name__)

EMPTY = HeldOut(np.array([], dtype=np.int64), np.array([], dtype=np.int64))


@dataclass(frozen=True)
class RetrainSplit:
    """What one retrain trains the candidate on and evaluates it with."""

    data: InteractionData  # every event of the run
    offline: HeldOut  # each user's last item
    recent: HeldOut  # each user's last new positive
    train: InteractionData  # `data` without any event of a held-out pair
    contender_train: InteractionData  # `data` without the recent slice's pairs


def without_pairs(data: InteractionData, *held: HeldOut) -> InteractionData:
    """`data` without any event of a held-out (user, item) pair."""
    keys = data.user_idx.astype(np.int64) * data.n_items + data.item_idx.astype(np.int64)
    held_keys = np.concatenate([h.users * data.n_items + h.items for h in held]) if held else np.array([])
    return subset(data, ~np.isin(keys, held_keys))


def retrain_split(data: InteractionData, recent: HeldOut = EMPTY) -> RetrainSplit:
    """Hold out each user's last item and the given recent slice."""
    offline = leave_last_out(data).test
    return RetrainSplit(data, offline, recent, without_pairs(data, offline, recent), without_pairs(data, recent))


def new_positives(
    user_idx: np.ndarray,
    item_idx: np.ndarray,
    kinds: np.ndarray,
    values: np.ndarray,
    is_new: np.ndarray,
    like_threshold: float,
) -> HeldOut:
    """Per user, the last positive new event on an item the user had no older event on.

    Parallel arrays in time order; indices < 0 (a user or item the data does not know) are skipped.
    """
    old = ~is_new
    seen_before = set(zip(user_idx[old].tolist(), item_idx[old].tolist(), strict=True))
    last: dict[int, int] = {}
    for n in np.flatnonzero(is_new).tolist():  # in time order, so later events overwrite
        user, item = int(user_idx[n]), int(item_idx[n])
        if user < 0 or item < 0 or (user, item) in seen_before:
            continue
        value = float(values[n])
        if is_positive(str(kinds[n]), None if np.isnan(value) else value, like_threshold):
            last[user] = item
    users = np.array(sorted(last), dtype=np.int64)
    return HeldOut(users, np.array([last[u] for u in users.tolist()], dtype=np.int64))


def fit_candidate(model: PreferenceModel, train: InteractionData, previous: WarmStart | None = None) -> PreferenceModel:
    """Fit `model` on `train`, continuing from `previous` when the model can."""
    if previous is not None and supports_warm_start(model):
        return model.fit(train, warm_start=previous)  # type: ignore[call-arg]
    return model.fit(train)


def has_bases(model: PreferenceModel) -> bool:
    """Whether the model refits its own bases for serving (the blend)."""
    return callable(getattr(model, "refit_bases", None))


def fit_contender(
    candidate: PreferenceModel,
    split: RetrainSplit,
    factory: Callable[[], PreferenceModel],
    previous: WarmStart | None = None,
) -> PreferenceModel:
    """What would be published, before its refit (see the module docstring, step 3)."""
    if not has_bases(candidate):
        return candidate
    return fit_candidate(factory(), split.contender_train, previous)


def for_serving(
    candidate: PreferenceModel,
    contender: PreferenceModel,
    data: InteractionData,
    factory: Callable[[], PreferenceModel],
) -> PreferenceModel:
    """The contender trained on every event of `data`, keeping the candidate's held-out fits (step 5)."""
    if not has_bases(contender):
        return factory().fit(data)
    served: PreferenceModel = contender.refit_bases(data)  # type: ignore[attr-defined]
    return served.keep_warm_bases_of(candidate)  # type: ignore[attr-defined,no-any-return]


@dataclass(frozen=True)
class SimulatedRetrains:
    """The model the last of a chain of retrains published, and what each step trained on."""

    served: PreferenceModel
    steps: tuple[dict[str, float], ...]


def time_cuts(data: InteractionData, steps: int, step_share: float) -> list[float]:
    """Event times after which each of `steps` retrains ran, each adding `step_share` of the events, the last at the end."""
    if steps < 1 or step_share < 0 or step_share * (steps - 1) >= 1:
        raise ValueError(f"need steps >= 1 and 0 <= step_share * (steps - 1) < 1, got {steps} and {step_share}")
    times = np.sort(np.asarray(data.timestamps, dtype=np.float64))
    shares = [1.0 - step_share * (steps - 1 - n) for n in range(steps)]
    return [float(times[min(len(times) - 1, round(share * len(times)) - 1)]) for share in shares[:-1]] + [
        float(times[-1])
    ]


def simulate_retrains(
    data: InteractionData,
    factory: Callable[[], PreferenceModel],
    *,
    steps: int,
    step_share: float,
    like_threshold: float,
) -> SimulatedRetrains:
    """The model a deployment serves after `steps` retrains over growing time prefixes of `data`.

    The first retrain sees the oldest 1 - (steps - 1) x step_share of the events (no previous
    version: a cold start), each later one `step_share` more, the last all of `data`; each
    continues from the one before. Every retrain publishes (the chain shows what the training
    procedure reaches; the job's decision is tested on its own). Intermediate retrains fit only
    what the next one warm-starts from (`fit_warm_bases`, where the model has it): the same
    fits as the full retrain, without the parts nothing reads later.
    """
    times = np.asarray(data.timestamps, dtype=np.float64)
    previous: WarmStart | None = None
    before = -np.inf
    served: PreferenceModel | None = None
    log: list[dict[str, float]] = []
    cuts = time_cuts(data, steps, step_share)
    for n, cut in enumerate(cuts):
        prefix = subset(data, times <= cut)
        is_new = prefix.timestamps > before
        recent = EMPTY if previous is None else new_positives(
            prefix.user_idx, prefix.item_idx, prefix.kinds, prefix.values, is_new, like_threshold)
        started = time.perf_counter()
        split = retrain_split(prefix, recent)
        model = factory()
        last = n == len(cuts) - 1
        fit_warm = getattr(model, "fit_warm_bases", None)
        if not last and callable(fit_warm):
            fit_warm(split.train, warm_start=previous)
            served = model
        else:
            candidate = fit_candidate(model, split.train, previous)
            contender = fit_contender(candidate, split, factory, previous)
            served = for_serving(candidate, contender, prefix, factory)
        log.append({"events": len(prefix), "new_events": int(is_new.sum()) if previous is not None else 0,
                    "offline_held_out": len(split.offline), "recent_held_out": len(split.recent),
                    "seconds": round(time.perf_counter() - started, 1)})
        logger.info("simulated retrain %d/%d: %s", n + 1, len(cuts), log[-1])
        previous = WarmStart(served)
        before = cut
    assert served is not None
    return SimulatedRetrains(served, tuple(log))

