"""The retrain job: first publish, skip, honest evaluation, reject a worse candidate, privacy retrain,
stale staging clean-up, and the service serving (or refusing) what the job wrote."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from recommender.config import Settings
from recommender.jobs.retrain import RetrainError, retrain
from recommender.models.base import Query
from recommender.models.registry import get_spec
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.types import ConversationContext

ASK = ConversationContext(user="alice", text="recommend me something")


def test_first_retrain_publishes_a_version_that_the_service_serves(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]]
) -> None:
    service = RecommenderService(store=job_store, settings=job_settings)
    assert service.bundles.current().version.startswith("popknn-")
    outcome = retrain(job_store, job_settings)
    assert outcome.status == "published", outcome.reason
    assert outcome.metrics["decided_on"] == "popularity"
    offline = outcome.metrics["offline"]
    assert offline["users"] == len(synthetic) and offline["candidate_ndcg"] > offline["popularity_ndcg"]
    assert "beats popularity" in outcome.reason and str(offline["candidate_ndcg"]) in outcome.reason
    row = job_store.latest_published_version()
    assert row is not None and row.version == outcome.version and row.last_event_id == outcome.last_event_id
    assert row.metrics["offline"]["candidate_ndcg"] == offline["candidate_ndcg"]
    folder = job_settings.models_dir / outcome.version
    assert json.loads((folder / "manifest.json").read_text())["version"] == outcome.version
    assert not list(job_settings.models_dir.glob(".*.partial"))  # no staging left behind (.versions.lock stays)
    assert service.bundles.wait_for_swap() == outcome.version
    result = service.recommend(ASK)
    assert result.model_version == outcome.version and result.items


def test_nothing_new_is_skipped_unless_forced(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]]
) -> None:
    first = retrain(job_store, job_settings)
    assert first.status == "published"
    again = retrain(job_store, job_settings)
    assert again.status == "skipped" and first.version in again.reason
    assert len(job_store.model_versions()) == 1
    forced = retrain(job_store, job_settings, force=True)
    assert forced.status in ("published", "rejected") and forced.version != first.version


def test_a_worse_candidate_is_rejected_and_the_old_version_keeps_serving(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]], chat_likes: Callable[..., int]
) -> None:
    service = RecommenderService(store=job_store, settings=job_settings)
    good = retrain(job_store, job_settings)
    assert good.status == "published" and service.bundles.wait_for_swap() == good.version
    chat_likes(job_store, synthetic, 60)  # new positive feedback the published model has not seen
    worse = retrain(job_store, job_settings, candidate_factory=lambda: get_spec("popularity").build())
    recent = worse.metrics["recent"]
    assert worse.status == "rejected", worse.reason
    assert worse.metrics["decided_on"] == "recent" and recent["users"] == 60
    assert recent["candidate_ndcg"] < recent["published_ndcg"]
    assert f"{recent['candidate_ndcg']} vs published {good.version} {recent['published_ndcg']}" in worse.reason
    rows = {v.version: v.status for v in job_store.model_versions()}
    assert rows == {good.version: "published", worse.version: "rejected"}
    assert job_store.latest_published_version().version == good.version  # type: ignore[union-attr]
    assert service.bundles.wait_for_swap() == good.version
    assert service.recommend(ASK).model_version == good.version


def test_a_candidate_that_is_not_worse_is_published(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]], chat_likes: Callable[..., int]
) -> None:
    first = retrain(job_store, job_settings)
    chat_likes(job_store, synthetic, 60)
    settings = job_settings.model_copy(update={"retrain_tolerance": 0.05})
    second = retrain(job_store, settings)
    recent = second.metrics["recent"]
    assert second.status == "published", second.reason
    assert recent["published_version"] == first.version
    assert recent["candidate_ndcg"] >= recent["published_ndcg"] - 0.05
    assert recent["candidate_ndcg"] > recent["popularity_ndcg"]
    assert job_store.latest_published_version().version == second.version  # type: ignore[union-attr]


def test_with_few_recent_users_the_recorded_offline_score_decides(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]], chat_likes: Callable[..., int]
) -> None:
    first = retrain(job_store, job_settings)
    chat_likes(job_store, synthetic, 5)  # < retrain_min_eval_users
    worse = retrain(job_store, job_settings, candidate_factory=lambda: get_spec("popularity").build())
    assert worse.metrics["decided_on"] == "offline_recorded" and worse.status == "rejected"
    assert str(first.metrics["offline"]["candidate_ndcg"]) in worse.reason


def test_deleted_feedback_forces_a_retrain_that_drops_the_user(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]]
) -> None:
    first = retrain(job_store, job_settings)
    user = next(iter(synthetic))
    assert user in json.loads((job_settings.models_dir / first.version / "manifest.json").read_text())["user_ids"]
    job_store.forget_user(user)
    after = retrain(job_store, job_settings)  # no new feedback, but rows were deleted: not skipped
    assert after.status == "published" and after.metrics["decided_on"] == "privacy", after.reason
    manifest = json.loads((job_settings.models_dir / after.version / "manifest.json").read_text())
    assert user not in manifest["user_ids"]


def test_a_forgotten_user_who_came_back_still_forces_the_privacy_retrain(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]]
) -> None:
    first = retrain(job_store, job_settings)
    user = next(iter(synthetic))
    job_store.forget_user(user)
    job_store.ensure_user_session(user, user)  # they write again: a new row, not the user the version knew
    after = retrain(job_store, job_settings)
    assert after.metrics["forgotten_users"] == 1
    assert after.status == "published" and after.metrics["decided_on"] == "privacy", after.reason
    assert user not in json.loads((job_settings.models_dir / after.version / "manifest.json").read_text())["user_ids"]
    assert first.version != after.version


def test_stale_staging_folders_are_removed_and_old_versions_pruned(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]]
) -> None:
    stale = job_settings.models_dir / ".v20200101-000000000-dead.partial"
    (stale / "model").mkdir(parents=True)
    (stale / "model" / "arrays.npz").write_bytes(b"half a file")
    settings = job_settings.model_copy(update={"retrain_keep_versions": 2})
    first = retrain(job_store, settings)
    assert first.removed_staging == (stale.name,) and not stale.exists()
    versions = [first.version] + [retrain(job_store, settings, force=True).version for _ in range(2)]
    folders = sorted(p.name for p in settings.models_dir.iterdir() if p.is_dir())
    published = job_store.latest_published_version()
    assert published is not None and published.version in folders and len(folders) <= 3
    assert versions[-1] in folders


def test_a_corrupt_new_version_is_refused_by_the_service(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]], chat_likes: Callable[..., int]
) -> None:
    service = RecommenderService(store=job_store, settings=job_settings)
    good = retrain(job_store, job_settings)
    assert service.bundles.wait_for_swap() == good.version
    chat_likes(job_store, synthetic, 30)
    newer = retrain(job_store, job_settings.model_copy(update={"retrain_tolerance": 1.0}))
    assert newer.status == "published"
    arrays = job_settings.models_dir / newer.version / "model" / "arrays.npz"
    arrays.write_bytes(arrays.read_bytes()[:100])  # damaged on disk after publishing
    assert service.bundles.wait_for_swap() == good.version
    assert service.recommend(ASK).model_version == good.version


def test_too_little_data_is_a_clear_error(job_store: Store, job_settings: Settings) -> None:
    seed = job_store
    seed.upsert_items([{"item_id": "1", "title": "One (2000)", "year": 2000, "genres": [], "people": [],
                        "description": "", "url": "", "attributes": {}}])
    seed.add_feedback(user_id="u1", item_id="1", kind="like")
    with pytest.raises(RetrainError, match="cannot train blend"):
        retrain(job_store, job_settings)
    assert job_store.model_versions() == []
    assert not list(job_settings.models_dir.glob("*")) if job_settings.models_dir.exists() else True


def test_an_empty_log_is_skipped(job_store: Store, job_settings: Settings) -> None:
    outcome = retrain(job_store, job_settings)
    assert outcome.status == "skipped" and "no feedback" in outcome.reason


def test_purged_events_trigger_a_retrain_judged_as_usual(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]], chat_likes: Callable[..., int]
) -> None:
    from datetime import timedelta

    from recommender.jobs.retention import purge_old_events
    from recommender.store.models import utcnow

    retrain(job_store, job_settings)
    chat_likes(job_store, synthetic, 30)
    second = retrain(job_store, job_settings.model_copy(update={"retrain_tolerance": 1.0}))
    assert second.status == "published"
    purged = purge_old_events(job_store, job_settings.model_copy(update={"retention_days": 1}),
                              now=utcnow() + timedelta(days=2))
    assert purged.deleted["feedback_events"] == 30
    after = retrain(job_store, job_settings)  # nothing new, but rows went: not skipped
    assert after.status in ("published", "rejected") and after.metrics["forgotten_users"] == 0
    assert after.metrics["decided_on"] != "privacy"


WARM_PARAMS = {
    "base_models": ["sasrec", "item_knn", "popularity"],
    "base_params": {"sasrec": {"dim": 16, "max_len": 10, "epochs": 2, "warm_epochs": 1, "batch_size": 32},
                    "item_knn": {"neighbours": 20, "recent": 5}},
    "candidates": 20, "hard_negatives": 10, "random_negatives": 5, "epochs": 30, "refit": False,
    "refit_warm_epochs": 1,
}


def test_the_published_model_trained_on_every_event_and_the_next_one_continues_from_it(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]], chat_likes: Callable[..., int]
) -> None:
    from recommender.training.artifacts import load_version

    settings = job_settings.model_copy(update={"retrain_params": WARM_PARAMS, "retrain_tolerance": 1.0})
    first = retrain(job_store, settings)
    assert first.status == "published" and first.metrics["warm_start"] is None
    # evaluated without the held-out items, published after a refit on all of them
    assert first.metrics["train_events"] < first.metrics["serving_events"] == first.events
    blend = load_version(settings.models_dir / first.version).model
    n_items = sum(len(items) for items in synthetic.values())
    assert float(blend.models["popularity"].score(Query()).sum()) == n_items  # type: ignore[attr-defined]
    assert blend.fit_report["sasrec:epochs_trained"] == 3  # type: ignore[attr-defined]
    chat_likes(job_store, synthetic, 30)
    second = retrain(job_store, settings)
    assert second.metrics["warm_start"] == {"from": first.version, "bases": ["sasrec"]}
    assert load_version(settings.models_dir / second.version).model.fit_report["sasrec:epochs_trained"] == 4  # type: ignore[attr-defined]
    # after a user is forgotten no weight may carry their data: the next candidate starts from scratch
    job_store.forget_user(next(iter(synthetic)))
    third = retrain(job_store, settings)
    assert third.metrics["decided_on"] == "privacy" and third.metrics["warm_start"] is None


def test_a_user_removed_from_the_published_files_still_forces_a_retrain_from_scratch(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]]
) -> None:
    """"Forget me" removes the user's id and vectors from the version, not their share of its
    weights: the version still counts as trained on a forgotten user."""
    from recommender.training.forget import forget_users_in_versions

    first = retrain(job_store, job_settings)
    user = next(iter(synthetic))
    job_store.forget_user(user)
    assert forget_users_in_versions(job_settings.models_dir, [user]) == 1
    after = retrain(job_store, job_settings)
    assert after.metrics["forgotten_users"] == 1 and after.metrics["warm_start"] is None
    assert after.status == "published" and after.metrics["decided_on"] == "privacy", after.reason
    assert first.version != after.version


def test_a_user_forgotten_while_the_retrain_trains_is_not_in_the_version_it_writes(
    job_store: Store, job_settings: Settings, synthetic: dict[str, list[str]]
) -> None:
    from recommender.jobs.retrain import default_candidate
    from recommender.training.forget import forget_users_in_versions

    first = retrain(job_store, job_settings)
    user = next(iter(synthetic))

    def forget_during_the_run():  # type: ignore[no-untyped-def]
        job_store.forget_user(user)  # "forget me" after the log was read: the version it writes is not there yet
        forget_users_in_versions(job_settings.models_dir, [user])
        return default_candidate(job_settings)

    second = retrain(job_store, job_settings, force=True, candidate_factory=forget_during_the_run)
    assert second.metrics["forgotten_while_training"] == 1
    for version in (first.version, second.version):
        manifest = json.loads((job_settings.models_dir / version / "manifest.json").read_text())
        assert user not in manifest["user_ids"] and manifest["forgotten_users"] == 1, version
    row = job_store.latest_published_version() if second.status == "published" else None
    assert row is None or row.metrics["forgotten_while_training"] == 1
