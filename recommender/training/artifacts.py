"""Versioned serving models on disk: written whole, checked whole.

A version is a folder `<models_dir>/<version>/` holding the learned blend (`blend/`: config.json
+ arrays.npz, no pickle), the Markov action model (`markov.json`) and `manifest.json`, which
names the item and user ids the model's indices refer to and the sha256 of every other file.
The folder is assembled under a hidden staging name and renamed into place, and the manifest is
the last file written, so a reader sees either nothing or a complete version; `load_version`
re-checks every checksum, so a file damaged later is refused too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recommender.errors import CorruptModelError
from recommender.models.base import PreferenceModel
from recommender.models.markov import MarkovActionModel

MANIFEST = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class ServingModels:
    """One loaded model version: the preference model, the action model and the ids they index."""

    version: str
    model: PreferenceModel
    markov: MarkovActionModel | None
    item_ids: tuple[str, ...]
    user_ids: tuple[str, ...]
    info: dict[str, Any] = field(default_factory=dict)


def new_version_name() -> str:
    """A sortable, unique version name: UTC time to the millisecond plus 4 random hex digits."""
    now = time.time()
    return time.strftime("v%Y%m%d-%H%M%S", time.gmtime(now)) + f"{int(now * 1000) % 1000:03d}-{os.urandom(2).hex()}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_version(
    models_dir: Path,
    version: str,
    model: PreferenceModel,
    markov: MarkovActionModel | None,
    item_ids: list[str],
    user_ids: list[str],
    info: dict[str, Any] | None = None,
) -> Path:
    """Save a complete version folder atomically; returns its final path."""
    models_dir.mkdir(parents=True, exist_ok=True)
    final = models_dir / version
    if final.exists():
        raise FileExistsError(f"model version {version} already exists at {final}")
    staging = models_dir / f".{version}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    model.save(staging / "model")
    if markov is not None:
        markov.save(staging / "markov.json")
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    manifest = {
        "format": FORMAT,
        "version": version,
        "model": model.name,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "item_ids": item_ids,
        "user_ids": user_ids,
        "files": {str(p.relative_to(staging)): _sha256(p) for p in files},
        "info": info or {},
    }
    (staging / MANIFEST).write_text(json.dumps(manifest))
    for path in [*staging.rglob("*"), staging]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    os.replace(staging, final)
    return final


def load_version(path: Path) -> ServingModels:
    """Load and verify a version folder; CorruptModelError names what is wrong."""
    from recommender.models.registry import get_spec

    manifest_path = Path(path) / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise CorruptModelError(f"{path}: no {MANIFEST} (incomplete or not a model version)") from None
    except (OSError, ValueError) as exc:
        raise CorruptModelError(f"{manifest_path}: unreadable ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise CorruptModelError(f"{manifest_path}: format {manifest.get('format')!r}, expected {FORMAT}")
    for name, expected in manifest["files"].items():
        file = Path(path) / name
        if not file.is_file():
            raise CorruptModelError(f"{path}: file {name} is missing")
        if _sha256(file) != expected:
            raise CorruptModelError(f"{path}: file {name} does not match its checksum (damaged or partial)")
    try:
        model = get_spec(manifest["model"]).load_class().load(Path(path) / "model")
        markov_file = Path(path) / "markov.json"
        markov = MarkovActionModel.load(markov_file) if "markov.json" in manifest["files"] else None
    except (OSError, ValueError, KeyError) as exc:
        raise CorruptModelError(f"{path}: files pass their checksums but do not load ({exc})") from exc
    return ServingModels(
        version=manifest["version"],
        model=model,
        markov=markov,
        item_ids=tuple(manifest["item_ids"]),
        user_ids=tuple(manifest["user_ids"]),
        info=dict(manifest.get("info", {})),
    )
