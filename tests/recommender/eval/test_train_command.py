"""`python -m recommender train`: every model saved without pickle, swapped in whole, with a manifest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from recommender.catalog.movielens import ensure_movielens100k
from recommender.cli import main
from recommender.commands.train import chosen_params
from recommender.config import Settings
from recommender.errors import DataSourceError, RecommenderError
from recommender.models.item_knn import ItemKNN


def test_chosen_params_come_from_a_full_report_only(tmp_path: Path) -> None:
    report = {"quick": False, "models": {"item_knn": {"params": {"neighbours": 7}}}}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    assert chosen_params(str(path), "x") == {"item_knn": {"neighbours": 7}}
    assert chosen_params(None, "x") == {}  # the default: registry defaults, within the training budget
    assert chosen_params("none", "x") == {}
    path.write_text(json.dumps({**report, "quick": True}))
    with pytest.raises(RecommenderError, match="quick"):
        chosen_params(str(path), "x")
    with pytest.raises(RecommenderError, match="no evaluation report"):
        chosen_params(str(tmp_path / "missing.json"), "x")


@pytest.mark.realdata
def test_train_saves_loadable_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        ensure_movielens100k(Settings().data_dir)
    except DataSourceError as exc:
        pytest.skip(f"MovieLens 100K could not be fetched: {exc}")
    out = tmp_path / "models"
    for _ in range(2):  # the second run replaces the first without leaving staging folders behind
        assert main(["train", "--models", "popularity,item_knn", "--out", str(out), "--params-from", "none"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(summary["models"]) == {"popularity", "item_knn"}
    assert sorted(p.name for p in out.iterdir()) == ["item_knn", "manifest.json", "popularity"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["item_ids"]) == 1682 and manifest["item_ids"][:2] == ["1", "10"]
    model = ItemKNN.load(out / "item_knn")
    assert model.similarity is not None and model.similarity.shape == (1682, 1682)
    with np.load(out / "item_knn" / "arrays.npz", allow_pickle=False) as npz:
        assert "data" in npz.files
