"""Read saved model files the way an auditor would: how many users each per-user array holds.

Straight from config.json and arrays.npz, not through the model classes, so a test that counts
what is on disk does not trust the code it checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def per_user_lengths(model_dir: Path) -> dict[str, int]:
    """{array: users it holds} for every per-user array of a saved model (a blend's bases included):
    BPR's `user_factors`, UserKNN's r(v, i) (its row pointer and its shape), the blend's per-user
    statistics. Empty for a model without per-user arrays."""
    config: dict[str, Any] = json.loads((model_dir / "config.json").read_text())
    with np.load(model_dir / "arrays.npz", allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    lengths: dict[str, int] = {}
    for key, array in arrays.items():
        if key.endswith(("user_factors", "user_last_time")):
            lengths[key] = int(array.shape[0])
        elif key.endswith("user_kind_counts"):
            lengths[key] = int(array.shape[1])
    user_knn = [("", config)] if config.get("model") == "user_knn" else []
    for prefix in ("base", "warm"):
        for name, base in (config.get(f"{prefix}_configs") or {}).items():
            if name.split("/", 1)[0] == "user_knn" and isinstance(base, dict):
                user_knn.append((f"{prefix}.{name}.", base))
    for prefix, base in user_knn:
        lengths[f"{prefix}indptr"] = len(arrays[f"{prefix}indptr"]) - 1
        lengths[f"{prefix}shape"] = int(base["shape"][0])
    return lengths


def version_model_dir(version: Path) -> Path:
    """The folder a version's manifest names for its model."""
    manifest = json.loads((version / "manifest.json").read_text())
    return version / manifest.get("model_dir", "model")
