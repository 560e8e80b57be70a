"""Forget users in the kept model versions: every version folder that lists them is rewritten without them.

"Forget me" deletes the user's rows from the store; this removes them from the model files too,
in every version kept under `models_dir` (published, rejected, older ones kept for rollback):
the version is loaded, the model drops the users' own state (`PreferenceModel.forget_users`:
BPR's user vectors, UserKNN's rows, the blend's per-user statistics and the same in each of its
bases), the ids leave the manifest's `user_ids`, and `artifacts.replace_model` writes the new
files, swaps the manifest and deletes the old files, so a reader never sees a torn version.
Versions that do not list the users are not touched. A version that lists a user but does not
load is deleted whole: it cannot be served anyway, and the user's data must not stay in it.

Aggregate state (item counts and similarities, SASRec's weights, the blend's per-item
statistics) is not per user and stays until the next retrain, which counts the version's
`forgotten_users` as forgotten: it trains from scratch (no warm start) and replaces the
published version (the publish policy's privacy rule).

A retrain that read the log before a user was forgotten writes a version that still holds them;
`forget_users_gone_since` is its last step, so that version loses them too. Both take
`versions_lock`, and "forget me" deletes the rows before it takes the lock, so whichever runs
second finds the other's result.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

import numpy as np

from recommender.errors import CorruptModelError
from recommender.store.repository import Store
from recommender.training.artifacts import (
    load_version,
    read_manifest,
    remove_stale_files,
    replace_model,
    version_folders,
    versions_lock,
)

logger = logging.getLogger(__name__)


def forget_users_in_versions(models_dir: Path, user_ids: Collection[str]) -> int:
    """Remove `user_ids` (pseudonymous ids) from every kept version; returns how many versions changed."""
    wanted = set(user_ids)
    if not wanted or not models_dir.is_dir():
        return 0
    changed = []
    with versions_lock(models_dir):
        for path in version_folders(models_dir):
            if _forget_in_version(path, wanted):
                changed.append(path.name)
    if changed:
        logger.info("forgot %d user(s) in model versions %s", len(wanted), ", ".join(changed))
    return len(changed)


def forget_users_gone_since(path: Path, store: Store, forgotten_before: int, read_at: datetime) -> int:
    """After a retrain wrote version `path` from a log read at `read_at`: remove the users forgotten
    since (the store's `users_forgotten_count` was `forgotten_before` then); returns how many.

    A user counts as gone when they have no user row created at or before `read_at` (a user
    forgotten during the run who came back has a newer row, and is not the one trained on).
    """
    with versions_lock(path.parent):
        if store.users_forgotten_count() == forgotten_before:
            return 0  # nobody was forgotten while the retrain ran
        user_ids = list(read_manifest(path).get("user_ids", []))
        gone = set(user_ids) - store.existing_users(user_ids, created_before=read_at)
        if gone:
            _forget_in_version(path, gone)
            logger.info("model version %s: removed %d user(s) forgotten while it was trained", path.name, len(gone))
        return len(gone)


def _forget_in_version(path: Path, wanted: set[str]) -> bool:
    """Rewrite one version without the `wanted` users it lists; True when it changed (or was deleted)."""
    try:
        manifest = read_manifest(path)
    except CorruptModelError:
        logger.warning("model version folder %s has no readable manifest; left as it is", path)
        return False
    user_ids = list(manifest.get("user_ids", []))
    rows = np.array([n for n, user in enumerate(user_ids) if user in wanted], dtype=np.int64)
    if not len(rows):
        remove_stale_files(path)  # what a killed rewrite may have left
        return False
    try:
        models = load_version(path)
        model = models.model
        trained = model.trained_users()
        if models.user_ids != tuple(user_ids) or trained not in (None, len(user_ids)):
            raise CorruptModelError(f"{path}: the model has {trained} users, its manifest {len(user_ids)}")
        model.forget_users(rows)
    except (CorruptModelError, ValueError) as exc:
        logger.warning("model version %s lists a forgotten user but does not load (%s); deleting it", path.name, exc)
        shutil.rmtree(path)
        return True
    replace_model(path, model, [user for user in user_ids if user not in wanted], forgotten=len(rows))
    return True
