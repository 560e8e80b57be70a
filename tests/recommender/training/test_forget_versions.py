"""Forgetting users in kept model versions: only the versions that list them change, nothing of
theirs stays in the files, and a reader never sees a torn version nor calls one corrupt."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from model_files import per_user_lengths, version_model_dir

from recommender.errors import CorruptModelError
from recommender.models.base import InteractionData, Query
from recommender.models.bpr import BPR
from recommender.models.markov import MarkovActionModel
from recommender.training import artifacts
from recommender.training.artifacts import load_version, write_version
from recommender.training.forget import forget_users_in_versions
from recommender.types import Item

N_USERS, N_ITEMS = 12, 10
USERS = [f"u_{n:02d}" for n in range(N_USERS)]


def _data(users: list[str]) -> InteractionData:
    rng = np.random.default_rng(0)
    rows = [(u, int(i)) for u in range(len(users)) for i in rng.choice(N_ITEMS, size=4, replace=False)]
    return InteractionData(
        user_idx=np.array([u for u, _ in rows]), item_idx=np.array([i for _, i in rows]),
        values=np.full(len(rows), np.nan, np.float32), timestamps=np.arange(len(rows), dtype=np.float64),
        kinds=np.array(["click"] * len(rows), dtype=object), user_ids=users,
        items=[Item(str(i), f"t{i}") for i in range(N_ITEMS)],
    )


def _write(models_dir: Path, version: str, users: list[str]) -> Path:
    model = BPR(factors=4, epochs=2, batch_size=16, seed=0).fit(_data(users))
    markov = MarkovActionModel().fit([["click", "like", "ignore"]])
    return write_version(models_dir, version, model, markov, [str(i) for i in range(N_ITEMS)], users, {"status": "x"})


def _manifest(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((path / "manifest.json").read_text())


def _files(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_every_version_listing_the_user_is_rewritten_without_them_and_no_other(tmp_path: Path) -> None:
    gone = USERS[3]
    with_user = [_write(tmp_path, f"v{n}", USERS) for n in (1, 2)]
    without = _write(tmp_path, "v3", [u for u in USERS if u != gone])
    untouched = _files(without)
    before = load_version(with_user[0])

    assert forget_users_in_versions(tmp_path, [gone]) == 2

    assert _files(without) == untouched  # a version that never knew the user: not a byte changed
    for path in with_user:
        manifest = _manifest(path)
        assert gone not in manifest["user_ids"] and manifest["forgotten_users"] == 1
        assert manifest["info"] == {"status": "x"} and "markov.json" in manifest["files"]
        assert set(per_user_lengths(version_model_dir(path)).values()) == {N_USERS - 1}
        assert sorted(p.name for p in path.iterdir()) == ["manifest.json", "markov.json", "model.1"]  # old files gone
        loaded = load_version(path)
        assert loaded.user_ids == tuple(u for u in USERS if u != gone) and loaded.forgotten_users == 1
        assert loaded.markov is not None
        for user in (0, 5, N_USERS - 1):  # everyone else keeps their own vector under their new index
            query = Query(history=np.array([1, 2]), user=loaded.user_ids.index(USERS[user]))
            np.testing.assert_array_equal(loaded.model.score(query), before.model.score(Query(np.array([1, 2]), user=user)))
    assert forget_users_in_versions(tmp_path, [gone]) == 0  # nothing left to forget


def test_forgetting_twice_and_several_users_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "v1", USERS)
    assert forget_users_in_versions(tmp_path, [USERS[0]]) == 1
    assert forget_users_in_versions(tmp_path, [USERS[5], USERS[11], "u_unknown"]) == 1
    loaded = load_version(path)
    assert loaded.user_ids == tuple(USERS[n] for n in range(1, 11) if n != 5)
    assert loaded.forgotten_users == 3 and loaded.model.trained_users() == N_USERS - 3
    assert sorted(p.name for p in path.iterdir()) == ["manifest.json", "markov.json", "model.2"]


def test_leftovers_of_a_killed_rewrite_are_replaced_and_removed(tmp_path: Path) -> None:
    path = _write(tmp_path, "v1", USERS)
    (path / "model.1").mkdir()  # renamed into place, but the manifest was never swapped
    (path / "model.1" / "arrays.npz").write_bytes(b"half")
    (path / ".model.1.partial").mkdir()
    (path / ".manifest.json.abc.partial").write_text("{")
    assert forget_users_in_versions(tmp_path, [USERS[2]]) == 1
    assert sorted(p.name for p in path.iterdir()) == ["manifest.json", "markov.json", "model.1"]
    assert load_version(path).model.trained_users() == N_USERS - 1


def test_a_version_that_lists_the_user_but_does_not_load_is_deleted(tmp_path: Path) -> None:
    damaged = _write(tmp_path, "v1", USERS)
    (damaged / "model" / "arrays.npz").write_bytes(b"damaged")
    other = _write(tmp_path, "v2", USERS[:3])
    (other / "model" / "arrays.npz").write_bytes(b"damaged too, but it never knew the user")
    assert forget_users_in_versions(tmp_path, [USERS[7]]) == 1
    assert not damaged.exists() and other.exists()


def test_no_models_dir_means_nothing_to_do(tmp_path: Path) -> None:
    assert forget_users_in_versions(tmp_path / "missing", ["u_x"]) == 0
    assert not (tmp_path / "missing").exists()


def test_a_reader_whose_version_is_rewritten_under_it_reads_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst moment: the reader has the old manifest and has checked some files when the
    rewrite swaps the manifest and deletes the old files."""
    path = _write(tmp_path, "v1", USERS)
    real_sha256 = artifacts._sha256
    rewritten = []

    def sha256_then_rewrite(file: Path) -> str:
        digest = real_sha256(file)
        if not rewritten:
            rewritten.append(True)
            assert forget_users_in_versions(tmp_path, [USERS[4]]) == 1  # mid-read
        return digest

    monkeypatch.setattr(artifacts, "_sha256", sha256_then_rewrite)
    loaded = load_version(path)
    assert rewritten and USERS[4] not in loaded.user_ids
    assert loaded.model.trained_users() == len(loaded.user_ids) == N_USERS - 1


def test_a_damaged_version_is_still_refused_when_nothing_rewrote_it(tmp_path: Path) -> None:
    path = _write(tmp_path, "v1", USERS)
    (path / "model" / "arrays.npz").write_bytes(b"damaged")
    with pytest.raises(CorruptModelError, match="checksum"):
        load_version(path)


def test_readers_never_see_a_torn_or_corrupt_version_while_users_are_forgotten(tmp_path: Path) -> None:
    path = _write(tmp_path, "v1", USERS)
    done = threading.Event()
    failures: list[BaseException] = []
    loads = [0]

    def read() -> None:
        while not done.is_set():
            try:
                loaded = load_version(path)
                assert loaded.model.trained_users() == len(loaded.user_ids)  # ids and rows always agree
                loads[0] += 1
            except BaseException as exc:  # recorded; the test thread asserts there were none
                failures.append(exc)
                return

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for user in USERS[:8]:
            assert forget_users_in_versions(tmp_path, [user]) == 1
    finally:
        done.set()
        for thread in readers:
            thread.join()
    assert not failures, failures
    assert loads[0] > 0
    assert load_version(path).user_ids == tuple(USERS[8:])
