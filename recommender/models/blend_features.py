"""The learned blend's features: behaviour statistics of the training data and one row per (user, item).

Features (`feature_names()` lists them in order):
- per base model m (registry names; "item_knn/last" names a second ItemKNN with its own
  parameters): `m:log_rank` = -log(1 + rank of i in m's ranking of the user's unseen items),
  `m:recip_rank` = 1 / (1 + rank) (all weight at the very top), `m:z` = m's score of i
  standardised over the user's unseen items (clipped to +-8), and `m:z*user_activity` = that z
  times the user's centred log history length (lets the blend trust a model more for heavy or
  for light users). Ranks make differently scaled models comparable; the z-score keeps how far
  ahead an item is;
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

A query's candidates are the union of every base model's top `candidates` unseen items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from recommender import feedback as fb
from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.common import NEUTRAL_WEIGHT, history_items, user_histories

_KINDS = (fb.CLICK, fb.LIKE, fb.BOOKMARK)  # the paper's clicks, likes and bookmarks
_DAY = 86400.0
_MAX_BINS = 512
_Z_CLIP = 8.0

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

    @property
    def n_users(self) -> int:
        """How many training users the per-user statistics cover."""
        return len(self.user_last_time)

    def without_users(self, keep: np.ndarray) -> BehaviourStats:
        """These statistics with only the users `keep` (indices, in order) in the per-user arrays.

        The per-item counts are sums over users and stay as they are (until the next retrain).
        """
        return replace(self, user_kind_counts=self.user_kind_counts[:, keep], user_last_time=self.user_last_time[keep])

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


def ranks(scores: np.ndarray) -> np.ndarray:
    """Per row: 0 for the best item; tied items share the best rank of their tie (-inf scores rank last)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ordered = np.take_along_axis(scores, order, axis=1)
    position = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    starts = np.ones(scores.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    out = np.empty(scores.shape, dtype=np.float64)
    np.put_along_axis(out, order, first, axis=1)
    return out


def feature_names(base_models: Sequence[str]) -> list[str]:
    """Every feature, in the order of the weight vector."""
    per_model = [f"{m}:{kind}" for m in base_models for kind in PER_MODEL_FEATURES]
    return per_model + list(ITEM_FEATURES) + list(CROSS_FEATURES)


def base_scores(models: Mapping[str, PreferenceModel], queries: Sequence[Query]) -> np.ndarray:
    """[n_models, n_queries, n_items] float64 scores, non-finite values replaced by their row's minimum - 1."""
    out = []
    for model in models.values():
        s = np.asarray(model.score_many(queries), dtype=np.float64)
        finite = np.isfinite(s)
        if not finite.all():
            row_min = np.where(finite, s, np.inf).min(axis=1, keepdims=True)
            s = np.where(finite, s, np.where(np.isfinite(row_min), row_min - 1.0, 0.0))
        out.append(s)
    return np.stack(out)


def features(
    models: Mapping[str, PreferenceModel],
    queries: Sequence[Query],
    stats: BehaviourStats,
    n_items: int,
    *,
    candidates: int,
    recent_days: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(features [n_queries, n_items, n_features] float32, candidate mask [n_queries, n_items]).

    `models`: the fitted base models by name, in feature order. Computed for a batch of queries
    at once (training scores every user; serving passes one).
    """
    histories = [history_items(query, n_items) for query in queries]
    n = len(queries)
    unseen = np.ones((n, n_items), dtype=bool)
    for row, (items, _) in enumerate(histories):
        unseen[row, items] = False
    n_unseen = unseen.sum(axis=1, keepdims=True)
    # centred near a typical MovieLens history (~55 items)
    activity = np.array([np.log1p(len(items)) - 4.0 for items, _ in histories])[:, None]
    x = np.empty((n, n_items, len(feature_names(list(models)))), dtype=np.float32)
    candidate = np.zeros((n, n_items), dtype=bool)
    column = 0

    def put(values: np.ndarray | float) -> None:
        nonlocal column
        x[:, :, column] = values
        column += 1

    for s in base_scores(models, queries):
        rank = ranks(np.where(unseen, s, -np.inf))
        candidate |= unseen & (rank < candidates)
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
    put(np.log1p(stats.events_before_many(when) - stats.events_before_many(when - recent_days * _DAY)))
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
    put(genre_match(items_only, stats))
    put(year_gap(items_only, stats))
    put(follows(items_only, stats))
    return x, candidate


def genre_match(histories: Sequence[np.ndarray], stats: BehaviourStats) -> np.ndarray:
    """Mean share of each history that has each of the item's genres (0 without a history); [n, n_items]."""
    profiles = np.zeros((len(histories), stats.item_genres.shape[1]))
    for row, items in enumerate(histories):
        if len(items):
            profiles[row] = stats.item_genres[items].mean(axis=0)
    counts = stats.item_genres.sum(axis=1).astype(np.float64)
    return (profiles @ stats.item_genres.T.astype(np.float64)) / np.maximum(counts, 1.0)


def follows(histories: Sequence[np.ndarray], stats: BehaviourStats, recent: int = 3) -> np.ndarray:
    """Sum over the last `recent` history items h_k (k = 1 newest) of 2^(1-k) * log(1 + #times i followed h_k)."""
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


def year_gap(histories: Sequence[np.ndarray], stats: BehaviourStats) -> np.ndarray:
    """-log(1 + |item year - median year of the history|); 0 where either is unknown; [n, n_items]."""
    years = stats.item_year.astype(np.float64)
    out = np.zeros((len(histories), len(years)))
    for row, items in enumerate(histories):
        known = years[items][np.isfinite(years[items])] if len(items) else np.array([])
        if len(known):
            gap = -np.log1p(np.abs(years - float(np.median(known))))
            out[row] = np.where(np.isfinite(gap), gap, 0.0)
    return out
