"""Model version folders: written whole, refused when damaged, never pickled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.errors import CorruptModelError
from recommender.models.markov import MarkovActionModel
from recommender.models.popularity import Popularity
from recommender.store.repository import Interactions
from recommender.training.artifacts import load_version, new_version_name, write_version
from recommender.training.data import interaction_data
from recommender.types import Item

ITEMS = [Item(str(i), f"t{i}") for i in range(5)]


def _events() -> Interactions:
    return Interactions(
        user_ids=np.array(["u1", "u1", "u2", "u2", "u2", "u3"], dtype=object),
        item_ids=np.array(["0", "1", "1", "2", "404", "3"], dtype=object),
        kinds=np.array(["rating", "like", "dislike", "click", "like", "unbookmark"], dtype=object),
        values=np.array([4.0, np.nan, np.nan, np.nan, np.nan, np.nan]),
        timestamps=np.arange(6, dtype=float),
    )


def test_feedback_kinds_become_weights_on_the_rating_scale() -> None:
    data = interaction_data(_events(), ITEMS)
    assert data.user_ids == ["u1", "u2"]  # u3 only unbookmarked; unknown item 404 dropped
    assert data.item_idx.tolist() == [0, 1, 1, 2]
    assert data.values[:3].tolist() == [4.0, 5.0, 1.0] and np.isnan(data.values[3])


def _model() -> Popularity:
    return Popularity().fit(interaction_data(_events(), ITEMS))


def test_round_trip_keeps_scores_ids_and_markov(tmp_path: Path) -> None:
    markov = MarkovActionModel().fit([["click", "like", "ignore"]])
    version = new_version_name()
    path = write_version(tmp_path, version, _model(), markov, [i.item_id for i in ITEMS], ["u1", "u2"], {"a": 1})
    assert path == tmp_path / version and not list(tmp_path.glob(".*"))
    loaded = load_version(path)
    assert loaded.version == version and loaded.item_ids == tuple(i.item_id for i in ITEMS)
    assert loaded.markov is not None and loaded.markov.n_transitions == markov.n_transitions
    from recommender.models.base import Query

    np.testing.assert_allclose(loaded.model.score(Query()), _model().score(Query()))
    assert oct(path.stat().st_mode & 0o777) == "0o755"


@pytest.mark.parametrize("damage", ["flip", "missing_file", "no_manifest", "bad_manifest"])
def test_damaged_versions_are_refused_with_the_reason(tmp_path: Path, damage: str) -> None:
    path = write_version(tmp_path, "v1", _model(), None, [i.item_id for i in ITEMS], [])
    arrays = path / "model" / "arrays.npz"
    if damage == "flip":
        data = bytearray(arrays.read_bytes())
        data[len(data) // 2] ^= 0xFF
        arrays.write_bytes(bytes(data))
    elif damage == "missing_file":
        arrays.unlink()
    elif damage == "no_manifest":
        (path / "manifest.json").unlink()
    else:
        (path / "manifest.json").write_text("{not json")
    with pytest.raises(CorruptModelError, match="v1"):
        load_version(path)


def test_an_existing_version_is_never_overwritten(tmp_path: Path) -> None:
    write_version(tmp_path, "v1", _model(), None, [], [])
    with pytest.raises(FileExistsError):
        write_version(tmp_path, "v1", _model(), None, [], [])


def test_version_names_sort_by_time_and_are_unique() -> None:
    names = [new_version_name() for _ in range(50)]
    assert len(set(names)) == 50
    assert all(n.startswith("v") for n in names)
