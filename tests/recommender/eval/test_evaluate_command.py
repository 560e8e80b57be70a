"""`python -m recommender evaluate` end to end on the real data sets, in quick mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.catalog.movielens import ensure_movielens100k
from recommender.cli import main
from recommender.config import Settings
from recommender.errors import DataSourceError


@pytest.fixture(scope="module")
def movielens_ready() -> None:
    """MovieLens 100K in the project's data folder (fetched once, as `make data` does), or a skip."""
    try:
        ensure_movielens100k(Settings().data_dir)
    except DataSourceError as exc:
        pytest.skip(f"MovieLens 100K could not be fetched: {exc}")


@pytest.mark.realdata
def test_quick_evaluation_on_movielens100k(movielens_ready: None, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", "--dataset", "ml-100k", "--quick", "--models", "popularity,item_knn,user_knn",
                 "--out", str(tmp_path), "--no-progress"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)  # exactly one JSON object on stdout
    assert report["dataset"] == "ml-100k" and report["quick"] is True
    assert report["data"]["items"] == 1682
    assert set(report["models"]) == {"popularity", "item_knn", "user_knn"}
    for result in report["models"].values():
        assert 0.0 <= result["test"]["ndcg@10"] <= result["test"]["hr@10"] <= 1.0
    assert (tmp_path / "ml-100k.md").is_file() and (tmp_path / "ml-100k.png").is_file()


@pytest.mark.realdata
def test_quick_evaluation_on_ml_latest_small(shared_data: object, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = shared_data("ml-latest-small")  # type: ignore[operator]
    code = main(["evaluate", "--dataset", "ml-latest-small", "--quick", "--models", "popularity,item_knn",
                 "--out", str(tmp_path), "--no-progress"])
    assert code == 0, folder
    report = json.loads(capsys.readouterr().out)
    assert report["data"]["items"] == 9742
    assert report["models"]["item_knn"]["test"]["hr@10"] >= 0.0


def test_unknown_model_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--models", "popularity,nope", "--no-progress"]) == 1
    assert "unknown model 'nope'" in capsys.readouterr().err
