"""The retrain's training procedure, one code path for the retrain job and the offline evaluation.

One retrain, given every event it may use (`data`) and the model published before it:

1. **hold out** (`retrain_split`): per user the last item (leave-last-out by time, users with >= 3
   items, as `recommender.eval.split`) and the recent slice (the last positive event newer than
   the published version, on an item the user had no earlier event on); every event of a
   held-out (user, item) pair leaves `train`;
2. **candidate** (`fit_candidate`): the model fitted on `train`, continuing from the published
   version where it can (`WarmStart`: the blend's SASRec base starts from the previous
   version's held-out fit, so its epochs add up across retrains);
3. the job evaluates the candidate on both held-out sets and decides (`jobs.publish_policy`);
4. **publish** (`for_serving`): the candidate refitted on ALL of `data`, so the served model has
   trained on every event it may see. The blend keeps the weights it learned in step 2 and
   refits its bases (SASRec continues from its held-out fit for `refit_warm_epochs` epochs); any
   other model is fitted again from scratch.

The decision is made on the candidate, not on the refitted model (which has seen the held-out
items): the refit only adds each user's newest one or two items to the bases' training.

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


def without_pairs(data: InteractionData, *held: HeldOut) -> InteractionData:
    """`data` without any event of a held-out (user, item) pair."""
    keys = data.user_idx.astype(np.int64) * data.n_items + data.item_idx.astype(np.int64)
    held_keys = np.concatenate([h.users * data.n_items + h.items for h in held]) if held else np.array([])
    return subset(data, ~np.isin(keys, held_keys))


def retrain_split(data: InteractionData, recent: HeldOut = EMPTY) -> RetrainSplit:
    """Hold out each user's last item and the given recent slice."""
    offline = leave_last_out(data).test
    return RetrainSplit(data, offline, recent, without_pairs(data, offline, recent))


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


def for_serving(
    candidate: PreferenceModel, data: InteractionData, factory: Callable[[], PreferenceModel]
) -> PreferenceModel:
    """The candidate trained on every event of `data` (see the module docstring); may reuse `candidate`."""
    refit_bases = getattr(candidate, "refit_bases", None)
    if callable(refit_bases):
        refitted: PreferenceModel = refit_bases(data)
        return refitted
    return factory().fit(data)


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
            served = for_serving(fit_candidate(model, split.train, previous), prefix, factory)
        log.append({"events": len(prefix), "new_events": int(is_new.sum()) if previous is not None else 0,
                    "offline_held_out": len(split.offline), "recent_held_out": len(split.recent),
                    "seconds": round(time.perf_counter() - started, 1)})
        logger.info("simulated retrain %d/%d: %s", n + 1, len(cuts), log[-1])
        previous = WarmStart(served)
        before = cut
    assert served is not None
    return SimulatedRetrains(served, tuple(log))

