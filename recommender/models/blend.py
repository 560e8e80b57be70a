"""The design paper's linear preference model, generalised into a learned blend of the other models.

The paper scores R = b0 + b1 * clicks + b2 * bookmarks + b3 * rating + ... with hand-set weights.
Here the weights are learned, and the inputs are the other preference models' opinions of an
item plus behaviour features, so the blend can only add to what its base models know:

    R(u, i) = sum_f w_f * x_f(u, i)        (features standardised on the training rows)

Features (`feature_names()` lists them in order):
- per base model m (`base_models`: registry names; "item_knn/last" names a second ItemKNN
  with its own `base_params["item_knn/last"]`):
  `m:log_rank` = -log(1 + rank of i in m's ranking of the user's unseen items),
  `m:recip_rank` = 1 / (1 + rank) (all weight at the very top),
  `m:z` = m's score of i standardised over the user's unseen items (clipped to +-8), and
  `m:z*user_activity` = that z times the user's centred log history length (lets the blend
  trust a model more for heavy or for light users). Ranks make differently scaled models
  comparable; the z-score keeps how far ahead an item is;
- item behaviour: `item_popularity` (log distinct users), `item_recent_popularity` (log events
  in the `recent_days` before the user's last event: a user is never shown later events
  through it), `item_age` (log days the item had been in the log at that time),
  `item_mean_rating` (shrunk to the global mean by `rating_prior` pseudo-ratings),
  `item_clicks`, `item_likes`, `item_bookmarks` (log distinct users with that event kind);
- user x item crosses (a user-only feature cannot change one user's ranking):
  `user_activity*item_popularity` (log history length, centred, times item popularity),
  `user_mean_rating*item_mean_rating` (the user's mean rating minus 3, times the item's),
  `user_clicks*item_clicks`, `user_likes*item_likes`, `user_bookmarks*item_bookmarks` (the
  paper's clicks/bookmarks/likes, as the user's log count times the item's),
  `user_genres*item_genres` (mean share of the history having each of the item's genres),
  `user_year*item_year` (-log(1 + |item year - median year of the history|)),
  `recent_items->item` (how often i directly followed each of the last 3 history items in
  other histories, log counts weighted 1, 1/2, 1/4: a first-order item Markov chain).
On MovieLens every event is a rating, so the click/like/bookmark features are constant and
their weights stay 0; with chat feedback in the log they come alive.

Training (no leakage): each user's last item is held out as the positive; the base models and
the behaviour statistics are fitted on the remaining events only, so no feature has seen the
positive. Negatives are the user's candidates (the union of every base model's top
`candidates` unseen items: the hard negatives the blend must beat at serving time, at most
`hard_negatives` of them, sampled) plus `random_negatives` uniform unseen items. The weights
minimise the softmax loss of the positive within its list (or the logistic loss with an
intercept, `loss="logistic"`), with L2, by mini-batch Adam in torch.

Serving: the behaviour statistics are always recomputed on all of `data`; the base models are
refitted on all of it when `refit` is True (else the ones trained without the held-out items are
reused, which halves the fitting time and loses one item per user). A query is scored by
computing every feature for every item; items outside the candidate union are pushed below
every candidate (the blend was trained to order candidates, not the whole catalog).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

from recommender import feedback as fb
from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.common import (
    NEUTRAL_WEIGHT,
    ModelNotFittedError,
    history_items,
    user_histories,
)
from recommender.models.torch_utils import DEFAULT_THREADS, generator, torch_threads

logger = logging.getLogger(__name__)

DEFAULT_BASE_MODELS: tuple[str, ...] = ("sasrec", "item_knn", "bpr", "user_knn", "popularity", "content")
LOSSES = ("softmax", "logistic")
_KINDS = (fb.CLICK, fb.LIKE, fb.BOOKMARK)  # the paper's clicks, likes and bookmarks
_DAY = 86400.0
_MAX_BINS = 512
_Z_CLIP = 8.0
_FEATURE_BATCH = 64  # users whose features are computed together while training (~30 MB of features)

ITEM_FEATURES: tuple[str, ...] = (
    "item_popularity", "item_recent_popularity", "item_age", "item_mean_rating",
    "item_clicks", "item_likes", "item_bookmarks",
)
CROSS_FEATURES: tuple[str, ...] = (
    "user_activity*item_popularity", "user_mean_rating*item_mean_rating",
    "user_clicks*item_clicks", "user_likes*item_likes", "user_bookmarks*item_bookmarks",
    "user_genres*item_genres", "user_year*item_year", "recent_items->item",
)
PER_MODEL_FEATURES: tuple[str, ...] = ("log_rank", "recip_rank", "z", "z*user_activity")


# -- behaviour statistics of the data the base models were fitted on --------------------------
@dataclass
class BehaviourStats:
    """Per-item and per-user counts the behaviour features are computed from (arrays only)."""

    item_users: np.ndarray  # float32 [n_items], distinct users per item
    item_mean_rating: np.ndarray  # float32 [n_items], shrunk mean rating minus the global mean
    item_kind_users: np.ndarray  # float32 [3, n_items], distinct users per kind in _KINDS
    user_kind_counts: np.ndarray  # float32 [3, n_users], events per kind in _KINDS
    user_last_time: np.ndarray  # float64 [n_users], NaN for users without events
    item_first_time: np.ndarray  # float64 [n_items], inf for items without events
    bin_edges: np.ndarray  # float64 [n_bins + 1], time bins of the cumulative counts
    item_cumulative: np.ndarray  # int32 [n_items, n_bins + 1], events per item before each edge
    item_genres: np.ndarray  # float32 [n_items, n_genres], 1 where the item has the genre
    item_year: np.ndarray  # float32 [n_items], NaN where unknown
    follows: sp.csr_matrix  # float32 [n_items, n_items], how often j directly followed i in a history
    end_time: float
    _log_follows: sp.csr_matrix | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_data(cls, data: InteractionData, rating_prior: float) -> BehaviourStats:
        """Count everything the features need from `data` alone."""
        n_users, n_items = data.n_users, data.n_items
        users = data.user_idx.astype(np.int64)
        items = data.item_idx.astype(np.int64)
        times = np.asarray(data.timestamps, dtype=np.float64)
        values = np.asarray(data.values, dtype=np.float64)
        kinds = np.asarray(data.kinds, dtype=object)
        pairs = np.unique(users * n_items + items) if len(items) else np.array([], dtype=np.int64)
        item_users = np.bincount(pairs % n_items, minlength=n_items).astype(np.float32)
        rated = ~np.isnan(values)
        global_mean = float(values[rated].mean()) if rated.any() else NEUTRAL_WEIGHT
        sums = np.bincount(items[rated], weights=values[rated], minlength=n_items)
        counts = np.bincount(items[rated], minlength=n_items)
        shrunk = (sums + rating_prior * global_mean) / (counts + rating_prior) - global_mean
        item_kind = np.zeros((len(_KINDS), n_items), dtype=np.float32)
        user_kind = np.zeros((len(_KINDS), n_users), dtype=np.float32)
        for k, kind in enumerate(_KINDS):
            mask = kinds == kind
            if mask.any():
                kind_pairs = np.unique(users[mask] * n_items + items[mask])
                item_kind[k] = np.bincount(kind_pairs % n_items, minlength=n_items)
                user_kind[k] = np.bincount(users[mask], minlength=n_users)
        user_last = np.full(n_users, np.nan)
        item_first = np.full(n_items, np.inf)
        if len(times):
            np.fmax.at(user_last, users, times)
            np.minimum.at(item_first, items, times)
            start, end = float(times.min()), float(times.max())
        else:
            start = end = 0.0
        width = max(_DAY, (end - start) / _MAX_BINS)
        edges = start + width * np.arange(int(np.ceil((end - start) / width)) + 2)
        cumulative = np.zeros((n_items, len(edges)), dtype=np.int32)
        if len(times):
            bins = np.searchsorted(edges, times, side="right")  # event counts before edge b for b >= bin
            hist = np.zeros((n_items, len(edges) + 1), dtype=np.int32)
            np.add.at(hist, (items, bins), 1)
            cumulative = np.cumsum(hist, axis=1)[:, : len(edges)].astype(np.int32)
        genre_names = sorted({g for item in data.items for g in item.genres})
        genre_column = {g: n for n, g in enumerate(genre_names)}
        genres = np.zeros((n_items, max(len(genre_names), 1)), dtype=np.float32)
        for i, item in enumerate(data.items):
            for g in item.genres:
                genres[i, genre_column[g]] = 1.0
        years = np.array([np.nan if item.year is None else float(item.year) for item in data.items], dtype=np.float32)
        sources, targets = [], []
        for seq, _ in user_histories(data):
            sources.append(seq[:-1])
            targets.append(seq[1:])
        src = np.concatenate(sources) if sources else np.array([], dtype=np.int64)
        dst = np.concatenate(targets) if targets else np.array([], dtype=np.int64)
        follows = sp.csr_matrix((np.ones(len(src), dtype=np.float32), (src, dst)), shape=(n_items, n_items))
        follows.sum_duplicates()
        return cls(item_users, shrunk.astype(np.float32), item_kind, user_kind, user_last, item_first,
                   edges, cumulative, genres, years, follows, end)

    def events_before(self, when: float) -> np.ndarray:
        """Events per item up to the last bin edge at or before `when` (bin resolution)."""
        b = int(np.searchsorted(self.bin_edges, when, side="right")) - 1
        b = min(max(b, 0), len(self.bin_edges) - 1)
        return self.item_cumulative[:, b].astype(np.float64)

    def events_before_many(self, when: np.ndarray) -> np.ndarray:
        """`events_before` for several times at once: [len(when), n_items]."""
        b = np.searchsorted(self.bin_edges, np.asarray(when, dtype=np.float64), side="right") - 1
        b = np.clip(b, 0, len(self.bin_edges) - 1)
        return self.item_cumulative[:, b].T.astype(np.float64)

    def log_follows(self) -> sp.csr_matrix:
        """`follows` with log(1 + count) entries (computed once)."""
        if self._log_follows is None:
            logged = self.follows.copy().astype(np.float64)
            logged.data = np.log1p(logged.data)
            self._log_follows = logged
        return self._log_follows

    def arrays(self) -> dict[str, np.ndarray]:
        """Named arrays for saving."""
        return {
            "item_users": self.item_users, "item_mean_rating": self.item_mean_rating,
            "item_kind_users": self.item_kind_users, "user_kind_counts": self.user_kind_counts,
            "user_last_time": self.user_last_time, "item_first_time": self.item_first_time,
            "bin_edges": self.bin_edges, "item_cumulative": self.item_cumulative,
            "item_genres": self.item_genres, "item_year": self.item_year, "end_time": np.array([self.end_time]),
            "follows_data": self.follows.data, "follows_indices": self.follows.indices,
            "follows_indptr": self.follows.indptr,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> BehaviourStats:
        """Inverse of `arrays`."""
        return cls(
            arrays["item_users"], arrays["item_mean_rating"], arrays["item_kind_users"], arrays["user_kind_counts"],
            arrays["user_last_time"], arrays["item_first_time"], arrays["bin_edges"], arrays["item_cumulative"],
            arrays["item_genres"], arrays["item_year"],
            sp.csr_matrix((arrays["follows_data"], arrays["follows_indices"], arrays["follows_indptr"]),
                          shape=(len(arrays["item_users"]), len(arrays["item_users"]))),
            float(arrays["end_time"][0]),
        )


def registry_name(base: str) -> str:
    """The registry name of a base model entry: "item_knn/last" is a second ItemKNN, named apart."""
    return base.split("/", 1)[0]


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


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Per row: 0 for the best item; tied items share the best rank of their tie (-inf scores rank last)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ordered = np.take_along_axis(scores, order, axis=1)
    position = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    starts = np.ones(scores.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    ranks = np.empty(scores.shape, dtype=np.float64)
    np.put_along_axis(ranks, order, first, axis=1)
    return ranks


class LinearBlend(PreferenceModel):
    """A linear ranker over base-model scores and behaviour features, trained on held-out last items."""

    name = "blend"

    def __init__(
        self,
        base_models: Sequence[str] = DEFAULT_BASE_MODELS,
        base_params: Mapping[str, Mapping[str, Any]] | None = None,
        base_quick: bool = False,
        candidates: int = 200,
        hard_negatives: int = 100,
        random_negatives: int = 20,
        loss: str = "softmax",
        epochs: int = 100,
        lr: float = 0.05,
        l2: float = 1e-3,
        batch_users: int = 128,
        recent_days: float = 7.0,
        rating_prior: float = 10.0,
        refit: bool = True,
        seed: int = 42,
        threads: int | None = DEFAULT_THREADS,
    ) -> None:
        if not base_models:
            raise ValueError("the blend needs at least one base model")
        if len(set(base_models)) != len(base_models) or "blend" in {registry_name(b) for b in base_models}:
            raise ValueError(f"base_models must be distinct registry names other than 'blend', got {list(base_models)}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        if candidates < 1 or hard_negatives < 0 or random_negatives < 0 or hard_negatives + random_negatives < 1:
            raise ValueError("candidates >= 1 and at least one hard or random negative per user are required")
        if epochs < 1 or lr <= 0 or l2 < 0 or batch_users < 1 or recent_days <= 0 or rating_prior < 0:
            raise ValueError("epochs >= 1, lr > 0, l2 >= 0, batch_users >= 1, recent_days > 0, rating_prior >= 0")
        self.base_models = tuple(base_models)
        self.base_params = {k: dict(v) for k, v in (base_params or {}).items()}
        unknown = set(self.base_params) - set(self.base_models)
        if unknown:
            raise ValueError(f"base_params names models that are not in base_models: {sorted(unknown)}")
        self.base_quick = bool(base_quick)
        self.candidates = int(candidates)
        self.hard_negatives = int(hard_negatives)
        self.random_negatives = int(random_negatives)
        self.loss = loss
        self.epochs = int(epochs)
        self.lr = float(lr)
        self.l2 = float(l2)
        self.batch_users = int(batch_users)
        self.recent_days = float(recent_days)
        self.rating_prior = float(rating_prior)
        self.refit = bool(refit)
        self.seed = int(seed)
        self.threads = threads
        self.models: dict[str, PreferenceModel] = {}
        self.stats: BehaviourStats | None = None
        self.coef: np.ndarray | None = None  # float32 [n_features], on standardised features
        self.intercept = 0.0
        self.feature_mean: np.ndarray | None = None
        self.feature_std: np.ndarray | None = None
        self.fit_report: dict[str, Any] = {}

    # -- features -------------------------------------------------------------------------------
    def feature_names(self) -> list[str]:
        """Every feature, in the order of the weight vector."""
        per_model = [f"{m}:{kind}" for m in self.base_models for kind in PER_MODEL_FEATURES]
        return per_model + list(ITEM_FEATURES) + list(CROSS_FEATURES)

    def _base_scores(self, queries: Sequence[Query]) -> np.ndarray:
        """[n_models, n_queries, n_items] float64 scores, non-finite values replaced by their row's minimum - 1."""
        out = []
        for name in self.base_models:
            s = np.asarray(self.models[name].score_many(queries), dtype=np.float64)
            finite = np.isfinite(s)
            if not finite.all():
                row_min = np.where(finite, s, np.inf).min(axis=1, keepdims=True)
                s = np.where(finite, s, np.where(np.isfinite(row_min), row_min - 1.0, 0.0))
            out.append(s)
        return np.stack(out)

    def _features(self, queries: Sequence[Query], stats: BehaviourStats, n_items: int) -> tuple[np.ndarray, np.ndarray]:
        """(features [n_queries, n_items, n_features] float32, candidate mask [n_queries, n_items]).

        Computed for a batch of queries at once (training scores every user; serving passes one).
        """
        histories = [history_items(query, n_items) for query in queries]
        n = len(queries)
        unseen = np.ones((n, n_items), dtype=bool)
        for row, (items, _) in enumerate(histories):
            unseen[row, items] = False
        n_unseen = unseen.sum(axis=1, keepdims=True)
        # centred near a typical MovieLens history (~55 items)
        activity = np.array([np.log1p(len(items)) - 4.0 for items, _ in histories])[:, None]
        x = np.empty((n, n_items, len(self.feature_names())), dtype=np.float32)
        candidate = np.zeros((n, n_items), dtype=bool)
        column = 0

        def put(values: np.ndarray | float) -> None:
            nonlocal column
            x[:, :, column] = values
            column += 1

        for s in self._base_scores(queries):
            rank = _ranks(np.where(unseen, s, -np.inf))
            candidate |= unseen & (rank < self.candidates)
            put(-np.log1p(np.minimum(rank, n_items)))
            put(1.0 / (1.0 + rank))
            count = np.maximum(n_unseen, 1)
            mean = np.where(unseen, s, 0.0).sum(axis=1, keepdims=True) / count
            std = np.sqrt(np.where(unseen, (s - mean) ** 2, 0.0).sum(axis=1, keepdims=True) / count)
            usable = (n_unseen > 1) & (std > 0)
            z = np.where(usable, np.clip((s - mean) / np.where(usable, std, 1.0), -_Z_CLIP, _Z_CLIP), 0.0)
            put(z)
            put(z * activity)
        # the time each user is ranked at: their last event (known users), else the end of the log
        when = np.full(n, stats.end_time)
        for row, query in enumerate(queries):
            if query.user is not None and 0 <= query.user < len(stats.user_last_time):
                last = stats.user_last_time[query.user]
                when[row] = float(last) if np.isfinite(last) else stats.end_time
        popularity = np.log1p(stats.item_users.astype(np.float64))
        item_rating = stats.item_mean_rating.astype(np.float64)
        kind_items = np.log1p(stats.item_kind_users.astype(np.float64))
        put(popularity)
        put(np.log1p(stats.events_before_many(when) - stats.events_before_many(when - self.recent_days * _DAY)))
        first = stats.item_first_time[None, :]
        put(np.log1p(np.where(first <= when[:, None], (when[:, None] - first) / _DAY, 0.0)))
        put(item_rating)
        for k in range(len(_KINDS)):
            put(kind_items[k])
        mean_rating = np.array([float(w.mean()) - NEUTRAL_WEIGHT if len(w) else 0.0 for _, w in histories])
        user_kinds = np.zeros((n, len(_KINDS)))
        for row, query in enumerate(queries):
            if query.user is not None and 0 <= query.user < stats.user_kind_counts.shape[1]:
                user_kinds[row] = np.log1p(stats.user_kind_counts[:, query.user].astype(np.float64))
        put(activity * popularity)
        put(mean_rating[:, None] * item_rating)
        for k in range(len(_KINDS)):
            put(user_kinds[:, k : k + 1] * kind_items[k])
        items_only = [items for items, _ in histories]
        put(self._genre_match(items_only, stats))
        put(self._year_gap(items_only, stats))
        put(self._follows(items_only, stats))
        return x, candidate

    @staticmethod
    def _genre_match(histories: Sequence[np.ndarray], stats: BehaviourStats) -> np.ndarray:
        """Mean share of each history that has each of the item's genres (0 without a history); [n, n_items]."""
        profiles = np.zeros((len(histories), stats.item_genres.shape[1]))
        for row, items in enumerate(histories):
            if len(items):
                profiles[row] = stats.item_genres[items].mean(axis=0)
        counts = stats.item_genres.sum(axis=1).astype(np.float64)
        return (profiles @ stats.item_genres.T.astype(np.float64)) / np.maximum(counts, 1.0)

    @staticmethod
    def _follows(histories: Sequence[np.ndarray], stats: BehaviourStats, recent: int = 3) -> np.ndarray:
        """sum over the last `recent` history items h_k (k = 1 newest) of 2^(1-k) * log(1 + #times i followed h_k)."""
        rows, cols, vals = [], [], []
        for row, items in enumerate(histories):
            last = items[::-1][:recent].astype(np.int64)
            rows.append(np.full(len(last), row))
            cols.append(last)
            vals.append(0.5 ** np.arange(len(last)))
        n_items = stats.follows.shape[0]
        weights = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                shape=(len(histories), n_items))
        return np.asarray((weights @ stats.log_follows()).todense(), dtype=np.float64)

    @staticmethod
    def _year_gap(histories: Sequence[np.ndarray], stats: BehaviourStats) -> np.ndarray:
        """-log(1 + |item year - median year of the history|); 0 where either is unknown; [n, n_items]."""
        years = stats.item_year.astype(np.float64)
        out = np.zeros((len(histories), len(years)))
        for row, items in enumerate(histories):
            known = years[items][np.isfinite(years[items])] if len(items) else np.array([])
            if len(known):
                gap = -np.log1p(np.abs(years - float(np.median(known))))
                out[row] = np.where(np.isfinite(gap), gap, 0.0)
        return out

    # -- training ---------------------------------------------------------------------------------
    def base_build_params(self, name: str) -> dict[str, Any]:
        """The parameters base model `name` is built with (registry defaults, then `base_params`; plus the seed)."""
        from recommender.models.registry import get_spec

        return {**get_spec(registry_name(name)).params(self.base_params.get(name), quick=self.base_quick),
                "seed": self.seed}

    def _fit_bases(
        self, data: InteractionData, reuse: Mapping[str, PreferenceModel] | None = None
    ) -> dict[str, PreferenceModel]:
        from recommender.models.registry import get_spec

        models: dict[str, PreferenceModel] = {}
        for name in self.base_models:
            spec = get_spec(registry_name(name))
            if reuse and name in reuse:
                if not isinstance(reuse[name], spec.load_class()):
                    raise TypeError(f"refitted base {name!r} is a {type(reuse[name]).__name__}, not {spec.target}")
                models[name] = reuse[name]
                continue
            model = spec.build(self.base_params.get(name), seed=self.seed, quick=self.base_quick)
            models[name] = model.fit(data)
        return models

    def fit(self, data: InteractionData, refitted: Mapping[str, PreferenceModel] | None = None) -> Self:
        """Hold out each user's last item, fit the bases on the rest, learn the weights, then refit (optionally).

        `refitted`: base models already fitted on all of `data` with exactly `base_build_params(name)`
        (the `train` command passes the standalone models it has just fitted). With `refit=True` they
        are used as the refitted bases instead of fitting the same models a second time; the caller
        vouches that they match. Without `refit` they are ignored.
        """
        rest, users, positives = hold_out_last(data)
        if not len(users):
            raise ValueError("the blend needs users with at least 3 items to learn its weights from")
        self.models = self._fit_bases(rest)
        inner_stats = BehaviourStats.from_data(rest, self.rating_prior)
        # one BLAS thread, as serving runs: a request is a small matrix-vector product, and on two
        # shared cores a second BLAS thread only spins (the content model's 943 training queries
        # took 7.3 s with two threads, well under a second with one)
        with threadpool_limits(limits=1, user_api="blas"):
            x, valid = self._training_lists(rest, users, positives, inner_stats)
        self._learn(x, valid)
        if self.refit:
            self.models = self._fit_bases(data, reuse=refitted)
            self.fit_report["reused_bases"] = sorted(set(refitted or {}) & set(self.base_models))
        self.stats = BehaviourStats.from_data(data, self.rating_prior)
        return self

    def _training_lists(
        self, rest: InteractionData, users: np.ndarray, positives: np.ndarray, stats: BehaviourStats
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per user a list [positive, negatives...] of feature rows, padded; (x [U, L, F], valid [U, L])."""
        rng = np.random.default_rng(self.seed)
        histories = user_histories(rest)
        n_items = rest.n_items
        width = 1 + self.hard_negatives + self.random_negatives
        x = np.zeros((len(users), width, len(self.feature_names())), dtype=np.float32)
        valid = np.zeros((len(users), width), dtype=bool)
        in_candidates = 0
        for first in range(0, len(users), _FEATURE_BATCH):
            batch_users = users[first : first + _FEATURE_BATCH].tolist()
            queries = [Query(history=histories[u][0], weights=histories[u][1], user=u) for u in batch_users]
            features, candidates = self._features(queries, stats, n_items)
            for offset, user in enumerate(batch_users):
                row = first + offset
                positive = int(positives[row])
                items = histories[user][0]
                candidate = candidates[offset]
                in_candidates += bool(candidate[positive])
                candidate[positive] = False
                hard = np.flatnonzero(candidate)
                if len(hard) > self.hard_negatives:
                    hard = rng.choice(hard, size=self.hard_negatives, replace=False)
                pool = np.ones(n_items, dtype=bool)
                pool[items] = False
                pool[positive] = False
                pool[hard] = False
                pool_items = np.flatnonzero(pool)
                randoms = rng.choice(pool_items, size=min(self.random_negatives, len(pool_items)), replace=False)
                chosen = np.concatenate([[positive], hard, randoms]).astype(np.int64)
                x[row, : len(chosen)] = features[offset, chosen]
                valid[row, : len(chosen)] = True
        self.fit_report = {
            "training_users": len(users),
            "positive_in_candidates": round(in_candidates / max(len(users), 1), 4),
        }
        return x, valid

    def _learn(self, x: np.ndarray, valid: np.ndarray) -> None:
        """Standardise on the training rows, then minimise the list loss with Adam."""
        rows = x[valid]
        mean = rows.mean(axis=0)
        std = rows.std(axis=0)
        std = np.where(std > 1e-8, std, 1.0)
        self.feature_mean, self.feature_std = mean.astype(np.float32), std.astype(np.float32)
        xs = torch.from_numpy(((x - mean) / std).astype(np.float32)) * torch.from_numpy(valid[..., None].astype(np.float32))
        mask = torch.from_numpy(valid)
        gen = generator(self.seed)
        with torch_threads(self.threads):
            w = torch.zeros(x.shape[2], requires_grad=True)
            b = torch.zeros(1, requires_grad=True)
            optimiser = torch.optim.Adam([w, b], lr=self.lr)
            n = len(xs)
            for _ in range(self.epochs):
                order = torch.randperm(n, generator=gen)
                for start in range(0, n, self.batch_users):
                    batch = order[start : start + self.batch_users]
                    logits = xs[batch] @ w + b  # [B, L]
                    loss = self._list_loss(logits, mask[batch]) + self.l2 * w.pow(2).sum()
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
            with torch.no_grad():
                final = float(self._list_loss(xs @ w + b, mask))
        self.coef = w.detach().numpy().astype(np.float32).copy()
        self.intercept = float(b.detach()[0]) if self.loss == "logistic" else 0.0
        self.fit_report["training_loss"] = round(final, 5)

    def _list_loss(self, logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.loss == "softmax":
            return -torch.log_softmax(logits.masked_fill(~mask, float("-inf")), dim=1)[:, 0].mean()
        labels = torch.zeros_like(logits)
        labels[:, 0] = 1.0
        per = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
        # the positive weighs as much as all of its list's negatives together
        negatives = (mask.sum(dim=1, keepdim=True) - 1).clamp(min=1)
        weight = torch.where(labels > 0, torch.ones_like(logits), 1.0 / negatives) * mask
        return (per * weight).sum() / mask.shape[0]

    # -- scoring ----------------------------------------------------------------------------------
    def score(self, query: Query) -> np.ndarray:
        """The linear score of every item; items outside every base model's top `candidates` rank below all candidates."""
        if self.coef is None or self.stats is None or self.feature_mean is None or self.feature_std is None:
            raise ModelNotFittedError(self.name)
        n_items = len(self.stats.item_users)
        batch_features, batch_candidate = self._features([query], self.stats, n_items)
        features, candidate = batch_features[0], batch_candidate[0]
        scores = ((features - self.feature_mean) / self.feature_std) @ self.coef + self.intercept
        scores = scores.astype(np.float64)
        if candidate.any() and (~candidate).any():
            floor = scores[candidate].min()
            outside = ~candidate
            scores[outside] = floor - 1.0 - (scores[outside].max() - scores[outside])
        return scores.astype(np.float32)

    def weights(self) -> dict[str, float]:
        """The learned weight of every (standardised) feature, plus the intercept."""
        if self.coef is None:
            raise ModelNotFittedError(self.name)
        out = {"intercept": round(self.intercept, 5)}
        out.update({name: round(float(w), 5) for name, w in zip(self.feature_names(), self.coef, strict=True)})
        return out

    def describe(self) -> dict[str, Any]:
        """What the evaluation report prints: base models, weights and how training went."""
        return {"base_models": list(self.base_models), "refit": self.refit, "loss": self.loss,
                "weights": self.weights(), **self.fit_report}

    # -- persistence --------------------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        return {
            "base_models": list(self.base_models), "base_params": self.base_params, "base_quick": self.base_quick,
            "candidates": self.candidates, "hard_negatives": self.hard_negatives,
            "random_negatives": self.random_negatives, "loss": self.loss, "epochs": self.epochs, "lr": self.lr,
            "l2": self.l2, "batch_users": self.batch_users, "recent_days": self.recent_days,
            "rating_prior": self.rating_prior, "refit": self.refit, "seed": self.seed,
        }

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Settings, weights, behaviour statistics and every base model's own state (prefixed arrays)."""
        if self.coef is None or self.stats is None or self.feature_mean is None or self.feature_std is None:
            raise ModelNotFittedError(self.name)
        arrays: dict[str, np.ndarray] = {
            "coef": self.coef, "feature_mean": self.feature_mean, "feature_std": self.feature_std,
            **{f"stats.{k}": v for k, v in self.stats.arrays().items()},
        }
        base_configs: dict[str, Any] = {}
        for name, model in self.models.items():
            config, base_arrays = model.state()
            base_configs[name] = config
            arrays.update({f"base.{name}.{k}": v for k, v in base_arrays.items()})
        config = {**self._config(), "intercept": self.intercept, "base_configs": base_configs,
                  "fit_report": self.fit_report}
        return config, arrays

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild the blend and its base models (through the registry's classes)."""
        from recommender.models.registry import get_spec

        config = dict(config)
        intercept = float(config.pop("intercept"))
        base_configs = config.pop("base_configs")
        fit_report = config.pop("fit_report", {})
        model = cls(**config)
        model.intercept = intercept
        model.fit_report = dict(fit_report)
        model.coef = arrays["coef"].astype(np.float32)
        model.feature_mean = arrays["feature_mean"].astype(np.float32)
        model.feature_std = arrays["feature_std"].astype(np.float32)
        model.stats = BehaviourStats.from_arrays({k[6:]: v for k, v in arrays.items() if k.startswith("stats.")})
        for name in model.base_models:
            prefix = f"base.{name}."
            base_arrays = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            model.models[name] = get_spec(registry_name(name)).load_class().from_state(dict(base_configs[name]), base_arrays)
        return model
