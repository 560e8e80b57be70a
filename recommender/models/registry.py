"""Every preference model by name, with default hyper-parameters and a small validation grid.

Evaluation, training and benchmarks iterate over this one table, so a new model is compared
with the others as soon as it is registered here. Classes are imported lazily by dotted path:
importing the registry costs nothing, and a model whose module is missing (being written, or
needing an optional dependency) is reported as unavailable instead of breaking the others.

Defaults are the grid points the validation split of MovieLens 100K chose (docs/evaluation/
ml-100k.md), so `train` without an evaluation report still uses tuned values, except where the
training-time budget rules the chosen point out (SASRec: the best schedule within it). Grids are
deliberately small (a handful of points): tuning happens on the validation split of every
evaluation run, and the whole `evaluate` run has to stay within minutes on two cores.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from recommender.errors import RecommenderError
from recommender.models.base import PreferenceModel

logger = logging.getLogger(__name__)


class UnknownModelError(RecommenderError, KeyError):
    """A model name that is not registered; the message lists the registered names."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def grid(**axes: Iterable[Any]) -> tuple[dict[str, Any], ...]:
    """The Cartesian product of the given axes as a tuple of parameter dicts."""
    names = list(axes)
    return tuple(dict(zip(names, values, strict=True)) for values in itertools.product(*axes.values()))


@dataclass(frozen=True)
class ModelSpec:
    """How to build one model: where its class lives, its defaults, and what to try on validation.

    `quick` overrides apply in quick runs (tests, smoke checks): fewer epochs, smaller grids.
    `quick_grid`, when given, replaces `grid` in quick runs.
    """

    name: str
    target: str  # "package.module:ClassName"
    defaults: Mapping[str, Any] = field(default_factory=dict)
    grid: tuple[dict[str, Any], ...] = ({},)
    quick: Mapping[str, Any] = field(default_factory=dict)
    quick_grid: tuple[dict[str, Any], ...] | None = None
    description: str = ""

    def load_class(self) -> type[PreferenceModel]:
        """Import the model class (raises ImportError/AttributeError when it is not there)."""
        module_name, _, class_name = self.target.partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        if not (isinstance(cls, type) and issubclass(cls, PreferenceModel)):
            raise TypeError(f"{self.target} is not a PreferenceModel subclass")
        return cls

    def params(self, overrides: Mapping[str, Any] | None = None, *, quick: bool = False) -> dict[str, Any]:
        """Defaults, then quick-run overrides, then `overrides` (e.g. one grid point)."""
        merged = dict(self.defaults)
        if quick:
            merged.update(self.quick)
        merged.update(overrides or {})
        return merged

    def search_space(self, *, quick: bool = False) -> tuple[dict[str, Any], ...]:
        """The grid points to try on validation."""
        if quick and self.quick_grid is not None:
            return self.quick_grid
        return self.grid

    def build(
        self, overrides: Mapping[str, Any] | None = None, *, seed: int | None = None, quick: bool = False
    ) -> PreferenceModel:
        """An unfitted model; `seed` is passed only to classes whose constructor takes one."""
        cls = self.load_class()
        params = self.params(overrides, quick=quick)
        if seed is not None and "seed" in inspect.signature(cls).parameters:
            params.setdefault("seed", seed)
        return cls(**params)


# The longest SASRec schedule on the grids (the standalone model's and the blend's SASRec base).
SASREC_LONG_SCHEDULE: dict[str, Any] = {"epochs": 80, "lr": 2e-3}

SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="popularity",
        target="recommender.models.popularity:Popularity",
        description="Items ranked by how many training users interacted with them.",
    ),
    ModelSpec(
        name="item_knn",
        target="recommender.models.item_knn:ItemKNN",
        defaults={"neighbours": 1000, "shrinkage": 0.0, "recent": 5},
        grid=grid(neighbours=(100, 400, 1000), shrinkage=(0.0, 10.0), recent=(0, 5, 15)),
        quick_grid=grid(neighbours=(100,), shrinkage=(0.0,), recent=(0, 5)),
        description="Cosine item-item similarity with shrinkage, top-k neighbours per item.",
    ),
    ModelSpec(
        name="ease",
        target="recommender.models.ease:EASE",
        defaults={"l2": 500.0, "recent": 15},
        grid=grid(l2=(100.0, 250.0, 500.0, 1000.0), recent=(0, 5, 15)),
        quick_grid=grid(l2=(500.0,), recent=(0,)),
        description="Closed-form linear item-item autoencoder (EASE, Steck 2019) on binary interactions.",
    ),
    ModelSpec(
        name="user_knn",
        target="recommender.models.user_knn:UserKNN",
        defaults={"neighbours": 25, "use_ratings": False},
        grid=grid(neighbours=(10, 25, 50, 100, 200), use_ratings=(False, True)),
        quick_grid=grid(neighbours=(25, 100), use_ratings=(False,)),
        description="The paper's R(u,i) = sum over N(u) of sim(u,v)/|N(u)| * r(v,i).",
    ),
    ModelSpec(
        name="content",
        target="recommender.models.content:ContentBased",
        defaults={"min_weight": 0.0, "weight": 1.0, "recent": 5},
        grid=grid(min_weight=(0.0, 4.0), recent=(0, 5, 20)),
        quick_grid=({},),
        description="The paper's R(u,i) = w_c * sum over liked j of sim(j, i), sentence-embedding cosine.",
    ),
    ModelSpec(
        name="bpr",
        target="recommender.models.bpr:BPR",
        defaults={"factors": 32, "epochs": 15, "lr": 0.02, "reg": 1e-3, "batch_size": 2048},
        grid=grid(factors=(32, 64), reg=(1e-3, 1e-2)),
        quick={"epochs": 2, "factors": 16},
        quick_grid=({},),
        description="Bayesian personalised ranking matrix factorisation (torch).",
    ),
    ModelSpec(
        name="sasrec",
        target="recommender.models.sasrec:SASRec",
        defaults={"dim": 64, "blocks": 1, "max_len": 50, "dropout": 0.2, "epochs": 6, "lr": 5e-3,
                  "batch_size": 32, "loss": "ce"},
        # The defaults fit the training-time budget (every model in <= 60 s); the grid also offers
        # the long schedules, so the baseline the blend is compared with is not weakened by it.
        grid=grid(epochs=(4, 6, 8), lr=(2e-3, 5e-3)) + grid(epochs=(20, 30, 50), lr=(2e-3,)) + (SASREC_LONG_SCHEDULE,),
        quick={"epochs": 1, "dim": 32, "blocks": 1},
        quick_grid=({},),
        description="Self-attentive sequential recommendation (torch).",
    ),
    ModelSpec(
        name="blend",
        target="recommender.models.blend:LinearBlend",
        defaults={"base_models": ("sasrec", "item_knn", "bpr", "user_knn", "popularity", "content"),
                  "candidates": 200, "hard_negatives": 100, "random_negatives": 20, "loss": "softmax",
                  "epochs": 100, "lr": 0.05, "l2": 1e-2, "recent_days": 7.0, "refit": True,
                  "base_params": {}},  # {} = every base with its registry defaults
        # Its SASRec base is tuned like the standalone SASRec: the serving schedule (within the
        # training-time budget) or the grid's long one (+0.009 validation NDCG@10 on ML-100K).
        # refit=False and 200 weight epochs never won on validation (docs/evaluation/ml-100k.md of
        # 2026-12-04) and a long-schedule point costs ~6 min, so the grid leaves them out.
        grid=grid(base_params=({}, {"sasrec": SASREC_LONG_SCHEDULE}), l2=(1e-3, 1e-2)),
        quick={"base_quick": True, "epochs": 20},
        quick_grid=({},),
        description="Learned linear blend of the other models' scores and behaviour features.",
    ),
)

_BY_NAME = {spec.name: spec for spec in SPECS}


def get_spec(name: str) -> ModelSpec:
    """The spec of a registered model; the error lists the names that exist."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownModelError(f"unknown model {name!r}; registered models: {', '.join(_BY_NAME)}") from None


def available_specs(names: Iterable[str] | None = None) -> tuple[list[ModelSpec], dict[str, str]]:
    """(specs whose class imports, {name: why not} for the rest)."""
    wanted = [get_spec(n) for n in names] if names is not None else list(SPECS)
    ok: list[ModelSpec] = []
    missing: dict[str, str] = {}
    for spec in wanted:
        try:
            spec.load_class()
        except (ImportError, AttributeError, TypeError) as exc:
            missing[spec.name] = f"{type(exc).__name__}: {exc}"
            logger.info("model %s unavailable: %s", spec.name, exc)
        else:
            ok.append(spec)
    return ok, missing
