"""Versioned serving models on disk: written whole, checked whole.

A version is a folder `<models_dir>/<version>/` holding the preference model (`model/`:
config.json + arrays.npz, no pickle), the Markov action model (`markov.json`) and
`manifest.json`, which names the item and user ids the model's indices refer to and the sha256
of every other file. The folder is assembled under a hidden staging name and renamed into place,
and the manifest is the last file written, so a reader sees either nothing or a complete
version; `load_version` re-checks every checksum, so a file damaged later is refused too.

"Forget me" rewrites kept versions without the user (`training.forget`, through
`replace_model`): the new model files go to a new folder (`model.<n>/`, the manifest's
`model_dir`), the manifest is replaced in one rename, and only then is the old folder deleted.
Files are never changed in place, so a reader that read the old manifest reads the old files
whole or finds them gone; then the manifest has changed, and `load_version` reads the version
again instead of calling it damaged. Writers of kept versions hold `versions_lock`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recommender.atomic import atomic_write_text
from recommender.errors import CorruptModelError
from recommender.models.base import PreferenceModel
from recommender.models.markov import MarkovActionModel

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
MODEL_DIR = "model"  # the model's folder in a version as written; a rewrite names its own (`model_dir`)
LOCK = ".versions.lock"  # in models_dir: held by whoever rewrites or deletes kept versions
LOAD_ATTEMPTS = 5  # reads of a version whose manifest keeps changing under the reader


@dataclass(frozen=True)
class ServingModels:
    """One loaded model version: the preference model, the action model and the ids they index."""

    version: str
    model: PreferenceModel
    markov: MarkovActionModel | None
    item_ids: tuple[str, ...]
    user_ids: tuple[str, ...]
    info: dict[str, Any] = field(default_factory=dict)
    forgotten_users: int = 0  # users removed from this version since it was written (a count, no ids)


def new_version_name() -> str:
    """A sortable, unique version name: UTC time to the millisecond plus 8 random hex digits (4 digits
    collided about once in 50 runs of 50 names in one millisecond)."""
    now = time.time()
    return time.strftime("v%Y%m%d-%H%M%S", time.gmtime(now)) + f"{int(now * 1000) % 1000:03d}-{os.urandom(4).hex()}"


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
    model.save(staging / MODEL_DIR)
    if markov is not None:
        markov.save(staging / "markov.json")
    manifest = {
        "format": FORMAT,
        "version": version,
        "model": model.name,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "item_ids": item_ids,
        "user_ids": user_ids,
        "files": _checksums(staging),
        "info": info or {},
    }
    (staging / MANIFEST).write_text(json.dumps(manifest))
    _set_modes(staging)
    os.replace(staging, final)
    return final


def _checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder` but the manifest, by relative path."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p != folder / MANIFEST)
    return {str(p.relative_to(folder)): _sha256(p) for p in files}


def _set_modes(folder: Path) -> None:
    """Ordinary permissions for everything under `folder` (readable by the serving processes)."""
    for path in [*folder.rglob("*"), folder]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def read_manifest(path: Path) -> dict[str, Any]:
    """A version's manifest; CorruptModelError when it is missing or unreadable."""
    return _parse_manifest(path, _manifest_bytes(path))


def _manifest_bytes(path: Path) -> bytes | None:
    """The manifest's bytes; None when there is none."""
    try:
        return (Path(path) / MANIFEST).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptModelError(f"{Path(path) / MANIFEST}: unreadable ({exc})") from exc


def _parse_manifest(path: Path, raw: bytes | None) -> dict[str, Any]:
    manifest_path = Path(path) / MANIFEST
    if raw is None:
        raise CorruptModelError(f"{path}: no {MANIFEST} (incomplete or not a model version)")
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise CorruptModelError(f"{manifest_path}: unreadable ({exc})") from exc
    if not isinstance(manifest, dict):
        raise CorruptModelError(f"{manifest_path}: not a JSON object")
    return manifest


def version_folders(models_dir: Path) -> list[Path]:
    """Every version folder under `models_dir`, oldest first (hidden staging folders are not versions)."""
    if not models_dir.is_dir():
        return []
    return sorted(p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


@contextlib.contextmanager
def versions_lock(models_dir: Path) -> Iterator[None]:
    """Hold the lock on `models_dir`'s kept versions (an OS file lock, so across processes).

    Taken by whoever rewrites a kept version or deletes one, so two rewrites of one version
    never race and a version is not deleted under a rewrite. Readers never take it.
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    with (models_dir / LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def replace_model(path: Path, model: PreferenceModel, user_ids: list[str], forgotten: int) -> None:
    """Rewrite version `path` with `model` (same kind, now indexing `user_ids`), `forgotten` users fewer.

    Safe for concurrent readers (see the module docstring): the model is saved under a new folder
    name, the manifest is replaced in one rename, then the old model folder is deleted. The
    caller holds `versions_lock`. Nothing but the model files, the user ids and the count of
    forgotten users changes; the Markov model's file and the other entries stay as they are.
    """
    manifest = read_manifest(path)
    if manifest.get("model") != model.name:
        raise ValueError(f"{path} holds a {manifest.get('model')!r} model, not {model.name!r}")
    old_dir = manifest.get("model_dir", MODEL_DIR)
    generation = int(manifest.get("rewrites", 0)) + 1
    new_dir = f"{MODEL_DIR}.{generation}"
    staging = path / f".{new_dir}.partial"
    for leftover in (staging, path / new_dir):  # of a rewrite that was killed before its manifest
        shutil.rmtree(leftover, ignore_errors=True)
    model.save(staging)
    _set_modes(staging)
    os.replace(staging, path / new_dir)
    files = {name: digest for name, digest in manifest["files"].items() if not name.startswith(f"{old_dir}/")}
    files.update({f"{new_dir}/{name}": digest for name, digest in _checksums(path / new_dir).items()})
    manifest.update({
        "model_dir": new_dir, "rewrites": generation, "user_ids": user_ids, "files": files,
        "forgotten_users": int(manifest.get("forgotten_users", 0)) + forgotten,
    })
    atomic_write_text(path / MANIFEST, json.dumps(manifest))
    (path / MANIFEST).chmod(0o644)
    remove_stale_files(path)


def remove_stale_files(path: Path) -> list[str]:
    """Delete the model folders of version `path` that its manifest no longer names (the one a
    rewrite replaced, or one a killed rewrite left), and temporary files; returns their names.

    Deleting is not optional: the replaced folder holds the forgotten users' rows, so an error
    is raised, not ignored. The caller holds `versions_lock`.
    """
    manifest = read_manifest(path)
    current = manifest.get("model_dir", MODEL_DIR)
    removed = []
    for entry in sorted(path.iterdir()):
        name = entry.name
        stale_model = (name == MODEL_DIR or name.startswith(f"{MODEL_DIR}.")) and name != current
        temporary = name.startswith((f".{MODEL_DIR}.", f".{MANIFEST}.")) and name.endswith(".partial")
        if not (stale_model or temporary):
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink(missing_ok=True)
        removed.append(name)
    return removed


def load_version(path: Path) -> ServingModels:
    """Load and verify a version folder; CorruptModelError names what is wrong.

    A version rewritten while it is read ("forget me", `replace_model`) is read again: a check
    that fails while the manifest has changed since it was read is no damage.
    """
    raw = _manifest_bytes(path)
    for _ in range(LOAD_ATTEMPTS - 1):
        try:
            return _load_checked(path, raw)
        except CorruptModelError:
            again = _manifest_bytes(path)
            if again is None or again == raw:
                raise
            logger.info("model version %s was rewritten while it was read; reading it again", path)
            raw = again
    return _load_checked(path, raw)


def _load_checked(path: Path, raw: bytes | None) -> ServingModels:
    """Verify and load the version the manifest `raw` describes."""
    from recommender.models.registry import get_spec

    manifest_path = Path(path) / MANIFEST
    manifest = _parse_manifest(path, raw)
    if manifest.get("format") != FORMAT:
        raise CorruptModelError(f"{manifest_path}: format {manifest.get('format')!r}, expected {FORMAT}")
    for name, expected in manifest["files"].items():
        file = Path(path) / name
        try:
            actual = _sha256(file)
        except FileNotFoundError:
            raise CorruptModelError(f"{path}: file {name} is missing") from None
        except OSError as exc:
            raise CorruptModelError(f"{path}: file {name} is unreadable ({exc})") from exc
        if actual != expected:
            raise CorruptModelError(f"{path}: file {name} does not match its checksum (damaged or partial)")
    try:
        model = get_spec(manifest["model"]).load_class().load(Path(path) / manifest.get("model_dir", MODEL_DIR))
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
        forgotten_users=int(manifest.get("forgotten_users", 0)),
    )
