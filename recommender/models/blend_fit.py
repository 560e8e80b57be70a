"""How the learned blend's weights are fitted: held-out last items, candidate lists, a list loss.

No leakage: each user's last item is held out as the positive (`hold_out_last`); the base
models and the behaviour statistics are fitted on the remaining events only, so no feature has
seen the positive. Negatives are the user's candidates (the union of every base model's top
`candidates` unseen items: the hard negatives the blend must beat at serving time, at most
`hard_negatives` of them, sampled) plus `random_negatives` uniform unseen items. The weights
minimise the softmax loss of the positive within its list (or the logistic loss with an
intercept, `loss="logistic"`), with L2, by mini-batch Adam in torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from recommender.models.base import InteractionData, Query
from recommender.models.common import user_histories
from recommender.models.torch_utils import generator, torch_threads

LOSSES = ("softmax", "logistic")
FEATURE_BATCH = 64  # users whose features are computed together while training (~30 MB of features)

Featurize = Callable[[Sequence[Query]], tuple[np.ndarray, np.ndarray]]


def hold_out_last(data: InteractionData, min_items: int = 3) -> tuple[InteractionData, np.ndarray, np.ndarray]:
    """(data without each user's last item, users, their held-out items) for users with >= min_items items.

    "Last" is the order `user_histories` gives (by each item's last event, ties by `tie_break`),
    the same order the evaluation split uses. Every event on a held-out pair leaves the data.
    """
    histories = user_histories(data)
    users = np.array([u for u, (items, _) in enumerate(histories) if len(items) >= min_items], dtype=np.int64)
    held = np.array([histories[u][0][-1] for u in users], dtype=np.int64)
    drop = np.zeros(len(data), dtype=bool)
    if len(users):
        keys = data.user_idx.astype(np.int64) * data.n_items + data.item_idx.astype(np.int64)
        drop = np.isin(keys, users * data.n_items + held)
    keep = ~drop
    rest = InteractionData(
        user_idx=data.user_idx[keep], item_idx=data.item_idx[keep], values=data.values[keep],
        timestamps=data.timestamps[keep], kinds=data.kinds[keep], user_ids=data.user_ids, items=data.items,
    )
    return rest, users, held


@dataclass(frozen=True)
class TrainingLists:
    """Per user a list [positive, negatives...] of feature rows, padded: x [U, L, F], valid [U, L]."""

    x: np.ndarray
    valid: np.ndarray
    positive_in_candidates: float


def training_lists(
    featurize: Featurize,
    rest: InteractionData,
    users: np.ndarray,
    positives: np.ndarray,
    *,
    n_features: int,
    hard_negatives: int,
    random_negatives: int,
    seed: int,
) -> TrainingLists:
    """Feature rows of each user's held-out positive, sampled hard negatives and random negatives."""
    rng = np.random.default_rng(seed)
    histories = user_histories(rest)
    n_items = rest.n_items
    width = 1 + hard_negatives + random_negatives
    x = np.zeros((len(users), width, n_features), dtype=np.float32)
    valid = np.zeros((len(users), width), dtype=bool)
    in_candidates = 0
    for first in range(0, len(users), FEATURE_BATCH):
        batch_users = users[first : first + FEATURE_BATCH].tolist()
        queries = [Query(history=histories[u][0], weights=histories[u][1], user=u) for u in batch_users]
        features, candidates = featurize(queries)
        for offset, user in enumerate(batch_users):
            row = first + offset
            positive = int(positives[row])
            items = histories[user][0]
            candidate = candidates[offset]
            in_candidates += bool(candidate[positive])
            candidate[positive] = False
            hard = np.flatnonzero(candidate)
            if len(hard) > hard_negatives:
                hard = rng.choice(hard, size=hard_negatives, replace=False)
            pool = np.ones(n_items, dtype=bool)
            pool[items] = False
            pool[positive] = False
            pool[hard] = False
            pool_items = np.flatnonzero(pool)
            randoms = rng.choice(pool_items, size=min(random_negatives, len(pool_items)), replace=False)
            chosen = np.concatenate([[positive], hard, randoms]).astype(np.int64)
            x[row, : len(chosen)] = features[offset, chosen]
            valid[row, : len(chosen)] = True
    return TrainingLists(x, valid, round(in_candidates / max(len(users), 1), 4))


@dataclass(frozen=True)
class LearnedWeights:
    """Weights on standardised features, the standardisation, and the final training loss."""

    coef: np.ndarray  # float32 [n_features]
    intercept: float
    feature_mean: np.ndarray  # float32 [n_features]
    feature_std: np.ndarray  # float32 [n_features]
    training_loss: float


def learn_weights(
    lists: TrainingLists,
    *,
    loss: str,
    epochs: int,
    lr: float,
    l2: float,
    batch_users: int,
    seed: int,
    threads: int | None,
) -> LearnedWeights:
    """Standardise on the training rows, then minimise the list loss with Adam."""
    x, valid = lists.x, lists.valid
    rows = x[valid]
    mean = rows.mean(axis=0)
    std = rows.std(axis=0)
    std = np.where(std > 1e-8, std, 1.0)
    xs = torch.from_numpy(((x - mean) / std).astype(np.float32)) * torch.from_numpy(valid[..., None].astype(np.float32))
    mask = torch.from_numpy(valid)
    gen = generator(seed)
    with torch_threads(threads):
        w = torch.zeros(x.shape[2], requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        optimiser = torch.optim.Adam([w, b], lr=lr)
        n = len(xs)
        for _ in range(epochs):
            order = torch.randperm(n, generator=gen)
            for start in range(0, n, batch_users):
                batch = order[start : start + batch_users]
                logits = xs[batch] @ w + b  # [B, L]
                value = list_loss(loss, logits, mask[batch]) + l2 * w.pow(2).sum()
                optimiser.zero_grad()
                value.backward()
                optimiser.step()
        with torch.no_grad():
            final = float(list_loss(loss, xs @ w + b, mask))
    return LearnedWeights(
        coef=w.detach().numpy().astype(np.float32).copy(),
        intercept=float(b.detach()[0]) if loss == "logistic" else 0.0,
        feature_mean=mean.astype(np.float32),
        feature_std=std.astype(np.float32),
        training_loss=round(final, 5),
    )


def list_loss(loss: str, logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax: -log p(positive) within its list. Logistic: the positive weighs as much as its negatives together."""
    if loss == "softmax":
        return -torch.log_softmax(logits.masked_fill(~mask, float("-inf")), dim=1)[:, 0].mean()
    labels = torch.zeros_like(logits)
    labels[:, 0] = 1.0
    per = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    negatives = (mask.sum(dim=1, keepdim=True) - 1).clamp(min=1)
    weight = torch.where(labels > 0, torch.ones_like(logits), 1.0 / negatives) * mask
    return (per * weight).sum() / mask.shape[0]
