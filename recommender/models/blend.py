"""The design paper's linear preference model, generalised into a learned blend of the other models.

The paper scores R = b0 + b1 * clicks + b2 * bookmarks + b3 * rating + ... with hand-set weights.
Here the weights are learned, and the inputs are the other preference models' opinions of an
item plus behaviour features, so the blend can only add to what its base models know:

    R(u, i) = sum_f w_f * x_f(u, i)        (features standardised on the training rows)

The features are listed in `blend_features` (per base model: rank, reciprocal rank, z-score;
item behaviour; user x item crosses); how the weights are learned without leakage is in
`blend_fit` (each user's last item held out as the positive, the bases fitted on the rest).

Serving: the behaviour statistics are always recomputed on all of `data`; the base models are
refitted on all of it when `refit` is True (else the ones trained without the held-out items are
reused, which halves the fitting time and loses one item per user). `refit_bases(data)` does
that refit on its own, keeping the weights: the retrain job evaluates the blend before it and
publishes it after (`recommender.training.retrain_fit`). A query is scored by computing every
feature for every item; items outside the candidate union are pushed below every candidate (the
blend was trained to order candidates, not the whole catalog).

Warm starts: bases whose `fit` takes a `warm_start` (SASRec) can continue from an earlier fit.
`fit(data, warm_start=WarmStart(previous_blend, item_map))` starts each such base from the
previous blend's `warm_bases`: its bases as fitted WITHOUT the held-out items, so no base that
learns the weights has seen a positive. With `refit_warm_epochs` set, `refit_bases` continues
those bases from their own held-out fit for that many epochs instead of fitting them from scratch.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Self

import numpy as np
from threadpoolctl import threadpool_limits

from recommender.models.base import InteractionData, PreferenceModel, Query
from recommender.models.blend_bases import load_bases, registry_name, save_bases
from recommender.models.blend_features import BehaviourStats, feature_names, features
from recommender.models.blend_fit import LOSSES, LearnedWeights, hold_out_last, learn_weights, training_lists
from recommender.models.common import ModelNotFittedError, kept_users
from recommender.models.torch_utils import DEFAULT_THREADS
from recommender.models.warm_start import WarmStart, supports_warm_start

logger = logging.getLogger(__name__)

DEFAULT_BASE_MODELS: tuple[str, ...] = ("sasrec", "item_knn", "bpr", "user_knn", "popularity", "content")


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
        refit_warm_epochs: int | None = None,
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
        if refit_warm_epochs is not None and refit_warm_epochs < 0:
            raise ValueError(f"refit_warm_epochs must be >= 0 or None (refit from scratch), got {refit_warm_epochs}")
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
        self.refit_warm_epochs = None if refit_warm_epochs is None else int(refit_warm_epochs)
        self.seed = int(seed)
        self.threads = threads
        self.models: dict[str, PreferenceModel] = {}  # the bases the served scores come from
        self.warm_bases: dict[str, PreferenceModel] = {}  # warm-startable bases fitted without the held-out items
        self.stats: BehaviourStats | None = None
        self.coef: np.ndarray | None = None  # float32 [n_features], on standardised features
        self.intercept = 0.0
        self.feature_mean: np.ndarray | None = None
        self.feature_std: np.ndarray | None = None
        self.fit_report: dict[str, Any] = {}
        self._training_loss = 0.0

    def feature_names(self) -> list[str]:
        """Every feature, in the order of the weight vector."""
        return feature_names(self.base_models)

    def _features(self, queries: Sequence[Query], stats: BehaviourStats, n_items: int) -> tuple[np.ndarray, np.ndarray]:
        return features(self.models, queries, stats, n_items, candidates=self.candidates, recent_days=self.recent_days)

    # -- training ---------------------------------------------------------------------------------
    def base_build_params(self, name: str) -> dict[str, Any]:
        """The parameters base model `name` is built with (registry defaults, then `base_params`; plus the seed)."""
        from recommender.models.registry import get_spec

        return {**get_spec(registry_name(name)).params(self.base_params.get(name), quick=self.base_quick),
                "seed": self.seed}

    def _build_base(self, name: str, extra: Mapping[str, Any] | None = None) -> PreferenceModel:
        from recommender.models.registry import get_spec

        overrides = {**self.base_params.get(name, {}), **(extra or {})}
        return get_spec(registry_name(name)).build(overrides, seed=self.seed, quick=self.base_quick)

    @staticmethod
    def _warm_startable(name: str) -> bool:
        from recommender.models.registry import get_spec

        return supports_warm_start(get_spec(registry_name(name)).load_class())

    def _fit_bases(self, data: InteractionData, warm: Mapping[str, WarmStart]) -> dict[str, PreferenceModel]:
        models: dict[str, PreferenceModel] = {}
        for name in self.base_models:
            model = self._build_base(name)
            if name in warm:
                models[name] = model.fit(data, warm_start=warm[name])  # type: ignore[call-arg]
            else:
                models[name] = model.fit(data)
        return models

    def _warm_starts(self, warm_start: WarmStart | None) -> dict[str, WarmStart]:
        """Per base that can take one, the previous blend's held-out fit of it to start from."""
        if warm_start is None:
            return {}
        previous = warm_start.model
        if not isinstance(previous, LinearBlend):
            logger.info("blend: warm start from %s ignored (not a blend)", type(previous).__name__)
            return {}
        out = {}
        for name in self.base_models:
            source = previous.warm_bases.get(name)
            if source is not None and self._warm_startable(name):
                out[name] = WarmStart(source, warm_start.item_map)
        return out

    def fit(
        self,
        data: InteractionData,
        refitted: Mapping[str, PreferenceModel] | None = None,
        warm_start: WarmStart | None = None,
    ) -> Self:
        """Hold out each user's last item, fit the bases on the rest, learn the weights, then refit (optionally).

        `refitted`: base models already fitted on all of `data` with exactly `base_build_params(name)`
        (the `train` command passes the standalone models it has just fitted). With `refit=True` they
        are used as the refitted bases instead of fitting the same models a second time; the caller
        vouches that they match. Without `refit` they are ignored. `warm_start`: a previous blend
        (see the module docstring).
        """
        rest, users, positives = hold_out_last(data)
        if not len(users):
            raise ValueError("the blend needs users with at least 3 items to learn its weights from")
        warm = self._warm_starts(warm_start)
        self.models = self._fit_bases(rest, warm)
        self.warm_bases = {name: model for name, model in self.models.items() if supports_warm_start(model)}
        inner_stats = BehaviourStats.from_data(rest, self.rating_prior)
        # one BLAS thread, as serving runs: a request is a small matrix-vector product, and on two
        # shared cores a second BLAS thread only spins (the content model's 943 training queries
        # took 7.3 s with two threads, well under a second with one)
        with threadpool_limits(limits=1, user_api="blas"):
            lists = training_lists(
                lambda queries: self._features(queries, inner_stats, rest.n_items), rest, users, positives,
                n_features=len(self.feature_names()), hard_negatives=self.hard_negatives,
                random_negatives=self.random_negatives, seed=self.seed,
            )
        self._set_weights(learn_weights(lists, loss=self.loss, epochs=self.epochs, lr=self.lr, l2=self.l2,
                                        batch_users=self.batch_users, seed=self.seed, threads=self.threads))
        self.fit_report = {"training_users": len(users), "positive_in_candidates": lists.positive_in_candidates,
                           "training_loss": self._training_loss, "warm_started": sorted(warm)}
        if self.refit:
            self.refit_bases(data, reuse=refitted)
        else:
            self.stats = BehaviourStats.from_data(data, self.rating_prior)
        self.fit_report.update(self._epochs_report())
        return self

    def fit_warm_bases(self, data: InteractionData, warm_start: WarmStart | None = None) -> Self:
        """Only the part of `fit` a later warm start reads: the warm-startable bases on `data` without
        each user's last item (a chain of retrains simulated offline skips the rest of every step)."""
        rest, _, _ = hold_out_last(data)
        warm = self._warm_starts(warm_start)
        self.warm_bases = {name: self._build_base(name).fit(rest, warm_start=start)  # type: ignore[call-arg]
                           for name, start in warm.items()}
        for name in self.base_models:
            if name not in self.warm_bases and self._warm_startable(name):
                self.warm_bases[name] = self._build_base(name).fit(rest)
        return self

    def refit_bases(self, data: InteractionData, reuse: Mapping[str, PreferenceModel] | None = None) -> Self:
        """Fit the bases again on all of `data`, keeping the learned weights; `warm_bases` stay as they were.

        A warm-startable base continues from its held-out fit for `refit_warm_epochs` epochs when
        that is set, else it is fitted from scratch; `reuse` (see `fit`) replaces fitting a base.
        """
        from recommender.models.registry import get_spec

        if self.coef is None:
            raise ModelNotFittedError(self.name)
        models: dict[str, PreferenceModel] = {}
        for name in self.base_models:
            if reuse and name in reuse:
                expected = get_spec(registry_name(name)).load_class()
                if not isinstance(reuse[name], expected):
                    raise TypeError(f"refitted base {name!r} is a {type(reuse[name]).__name__}, not {expected.__name__}")
                models[name] = reuse[name]
            elif self.refit_warm_epochs is not None and name in self.warm_bases:
                model = self._build_base(name, {"warm_epochs": self.refit_warm_epochs})
                models[name] = model.fit(data, warm_start=WarmStart(self.warm_bases[name]))  # type: ignore[call-arg]
            else:
                models[name] = self._build_base(name).fit(data)
        self.models = models
        self.stats = BehaviourStats.from_data(data, self.rating_prior)
        self.fit_report["reused_bases"] = sorted(set(reuse or {}) & set(self.base_models))
        self.fit_report["refitted"] = True
        self.fit_report.update(self._epochs_report())
        return self

    def keep_warm_bases_of(self, other: LinearBlend) -> Self:
        """Take `other`'s held-out fits as the ones a later warm start continues from (the retrain
        serves a fit on every event but continues from its candidate's, `training.retrain_fit`)."""
        self.warm_bases = dict(other.warm_bases)
        self.fit_report.update(self._epochs_report())
        return self

    def _set_weights(self, learned: LearnedWeights) -> None:
        self.coef, self.intercept = learned.coef, learned.intercept
        self.feature_mean, self.feature_std = learned.feature_mean, learned.feature_std
        self._training_loss = learned.training_loss

    def _epochs_report(self) -> dict[str, int]:
        """Epochs behind each epoch-trained base (warm starts included): served and held-out fits."""
        out = {}
        for label, models in (("epochs_trained", self.models), ("warm_epochs_trained", self.warm_bases)):
            for name, model in models.items():
                if hasattr(model, "epochs_trained"):
                    out[f"{name}:{label}"] = int(model.epochs_trained)
        return out

    # -- scoring ----------------------------------------------------------------------------------
    def score(self, query: Query) -> np.ndarray:
        """The linear score of every item; items outside every base model's top `candidates` rank below all candidates."""
        if self.coef is None or self.stats is None or self.feature_mean is None or self.feature_std is None:
            raise ModelNotFittedError(self.name)
        n_items = len(self.stats.item_users)
        batch_features, batch_candidate = self._features([query], self.stats, n_items)
        row, candidate = batch_features[0], batch_candidate[0]
        scores = ((row - self.feature_mean) / self.feature_std) @ self.coef + self.intercept
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

    # -- forgetting ---------------------------------------------------------------------------------
    def _all_bases(self) -> list[PreferenceModel]:
        """Served bases and held-out fits, each model once (a held-out fit may be the served base)."""
        out: dict[int, PreferenceModel] = {}
        for model in [*self.models.values(), *self.warm_bases.values()]:
            out.setdefault(id(model), model)
        return list(out.values())

    def trained_users(self) -> int | None:
        """The users of the per-user behaviour statistics (every base with per-user state has as many)."""
        if self.stats is None:
            raise ModelNotFittedError(self.name)
        counts = {self.stats.n_users} | {n for n in (m.trained_users() for m in self._all_bases()) if n is not None}
        if len(counts) != 1:
            raise ValueError(f"the blend's parts disagree on the number of training users: {sorted(counts)}")
        return self.stats.n_users

    def forget_users(self, rows: np.ndarray) -> None:
        """Drop those users from the per-user statistics and from every base model and held-out fit."""
        n_users = self.trained_users()
        assert n_users is not None and self.stats is not None
        keep = kept_users(rows, n_users)  # checks the rows before anything changes
        for model in self._all_bases():
            model.forget_users(rows)
        self.stats = self.stats.without_users(keep)

    # -- persistence --------------------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        return {
            "base_models": list(self.base_models), "base_params": self.base_params, "base_quick": self.base_quick,
            "candidates": self.candidates, "hard_negatives": self.hard_negatives,
            "random_negatives": self.random_negatives, "loss": self.loss, "epochs": self.epochs, "lr": self.lr,
            "l2": self.l2, "batch_users": self.batch_users, "recent_days": self.recent_days,
            "rating_prior": self.rating_prior, "refit": self.refit, "refit_warm_epochs": self.refit_warm_epochs,
            "seed": self.seed,
        }

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Settings, weights, behaviour statistics and every base model's own state (`blend_bases`)."""
        if self.coef is None or self.stats is None or self.feature_mean is None or self.feature_std is None:
            raise ModelNotFittedError(self.name)
        base_configs, warm_configs, base_arrays = save_bases(self.models, self.warm_bases)
        arrays: dict[str, np.ndarray] = {
            "coef": self.coef, "feature_mean": self.feature_mean, "feature_std": self.feature_std,
            **{f"stats.{k}": v for k, v in self.stats.arrays().items()}, **base_arrays,
        }
        config = {**self._config(), "intercept": self.intercept, "base_configs": base_configs,
                  "warm_configs": warm_configs, "fit_report": self.fit_report}
        return config, arrays

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        """Rebuild the blend and its base models (through the registry's classes)."""
        config = dict(config)
        intercept = float(config.pop("intercept"))
        base_configs, warm_configs = config.pop("base_configs"), config.pop("warm_configs", {})
        fit_report = config.pop("fit_report", {})
        model = cls(**config)
        model.intercept = intercept
        model.fit_report = dict(fit_report)
        model.coef = arrays["coef"].astype(np.float32)
        model.feature_mean = arrays["feature_mean"].astype(np.float32)
        model.feature_std = arrays["feature_std"].astype(np.float32)
        model.stats = BehaviourStats.from_arrays({k[6:]: v for k, v in arrays.items() if k.startswith("stats.")})
        model.models, model.warm_bases = load_bases(model.base_models, base_configs, warm_configs, arrays)
        return model
