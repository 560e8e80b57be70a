"""The learned blend's base models in its saved files: served bases under `base.<name>.`, held-out fits under `warm.<name>.`.

A held-out fit is saved apart only when it is not also the served base (the blend was refitted);
otherwise its config says "served" and it is the same model, saved once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from recommender.models.base import PreferenceModel

SAME_AS_SERVED = "served"


def registry_name(base: str) -> str:
    """The registry name of a base model entry: "item_knn/last" is a second ItemKNN, named apart."""
    return base.split("/", 1)[0]


def save_bases(
    models: Mapping[str, PreferenceModel], warm_bases: Mapping[str, PreferenceModel]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, np.ndarray]]:
    """(served configs, held-out fit configs, every array under its prefix)."""
    arrays: dict[str, np.ndarray] = {}
    configs: dict[str, dict[str, Any]] = {"base": {}, "warm": {}}
    for prefix, group in (("base", models), ("warm", warm_bases)):
        for name, model in group.items():
            if prefix == "warm" and model is models.get(name):
                configs[prefix][name] = SAME_AS_SERVED
                continue
            config, base_arrays = model.state()
            configs[prefix][name] = config
            arrays.update({f"{prefix}.{name}.{k}": v for k, v in base_arrays.items()})
    return configs["base"], configs["warm"], arrays


def load_bases(
    base_models: Sequence[str], base_configs: Mapping[str, Any], warm_configs: Mapping[str, Any],
    arrays: Mapping[str, np.ndarray],
) -> tuple[dict[str, PreferenceModel], dict[str, PreferenceModel]]:
    """Inverse of `save_bases`: (served bases, held-out fits), rebuilt through the registry's classes."""
    from recommender.models.registry import get_spec

    def load(prefix: str, name: str, config: Mapping[str, Any]) -> PreferenceModel:
        start = f"{prefix}.{name}."
        base_arrays = {k[len(start) :]: v for k, v in arrays.items() if k.startswith(start)}
        return get_spec(registry_name(name)).load_class().from_state(dict(config), base_arrays)

    models = {name: load("base", name, base_configs[name]) for name in base_models}
    warm = {name: models[name] if config == SAME_AS_SERVED else load("warm", name, config)
            for name, config in warm_configs.items()}
    return models, warm
