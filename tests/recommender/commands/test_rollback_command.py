"""`python -m recommender rollback`: the previous published version serves again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synthetic_log import QUICK_PARAMS, seed_synthetic

from recommender.cli import main
from recommender.config import Settings
from recommender.jobs.retrain import retrain
from recommender.service import RecommenderService
from recommender.store import Store


def test_rollback_withdraws_the_newest_version_and_the_service_swaps_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(var_dir=tmp_path, user_id_secret="test-secret", default_k=3, retrain_params=QUICK_PARAMS,
                        retrain_tolerance=1.0)
    store = Store(settings.resolved_database_url)
    store.migrate()
    seed_synthetic(store)
    first = retrain(store, settings)
    second = retrain(store, settings, force=True)
    assert (first.status, second.status) == ("published", "published")
    service = RecommenderService(store=store, settings=settings)
    assert service.bundles.wait_for_swap() == second.version
    url = settings.resolved_database_url

    assert main(["rollback", "--database-url", url, "--reason", "bad replies"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"withdrawn": [second.version], "serving": first.version}
    assert service.bundles.wait_for_swap() == first.version
    withdrawn = next(v for v in store.model_versions() if v.version == second.version)
    assert withdrawn.status == "rejected" and "withdrawn: bad replies" in withdrawn.reason

    # nothing older to go back to: a clear error, nothing changed
    assert main(["rollback", "--database-url", url]) == 1
    assert "nothing to roll back to" in capsys.readouterr().err
    assert main(["rollback", "--database-url", url, "--to", "v-nope"]) == 1
    assert store.latest_published_version().version == first.version  # type: ignore[union-attr]
