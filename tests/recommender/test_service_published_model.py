"""Serving a published model version: hot swap, requests in flight, damaged files, the Markov policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from feedback_checks import assert_stored_feedback
from sqlalchemy import select

from recommender.config import Settings
from recommender.models.base import PreferenceModel
from recommender.models.blend import LinearBlend
from recommender.models.item_knn import ItemKNN
from recommender.models.markov import MarkovActionModel
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.store.db import session_scope
from recommender.store.models import RecommendationRequestRow
from recommender.training.artifacts import new_version_name, write_version
from recommender.training.data import store_interaction_data
from recommender.types import ConversationContext, FeedbackRequest

ASK = ConversationContext(user="bob", text="recommend me something")


def publish(
    store: Store, settings: Settings, markov: MarkovActionModel | None = None, seed: int = 0, blend: bool = False
) -> str:
    """Train a model on the store's log and publish it, as the retrain job does.

    The 8-user test log is too small for the blend to learn sensible weights, so tests that
    check what the ranking does publish item-kNN; the swap test publishes a real blend.
    """
    data = store_interaction_data(store)
    model: PreferenceModel
    if blend:
        model = LinearBlend(base_models=("item_knn", "popularity"), candidates=10, hard_negatives=5,
                            random_negatives=3, epochs=20, seed=seed).fit(data)
    else:
        model = ItemKNN(neighbours=20, shrinkage=float(seed), recent=0).fit(data)
    version = new_version_name()
    path = write_version(settings.models_dir, version, model, markov,
                         [i.item_id for i in data.items], list(data.user_ids))
    store.add_model_version(version=version, status="published", path=str(path), trained_on_events=len(data),
                            last_event_id=store.last_feedback_id(), train_seconds=0.1, metrics={}, reason="test")
    return version


def test_a_published_version_is_swapped_in_and_logged_with_impressions(
    service: RecommenderService, store: Store, settings: Settings
) -> None:
    before = service.bundles.current().version
    assert before.startswith("popknn-") and service.bundles.current().preference is None
    service.record_feedback(ASK, FeedbackRequest(item_id="1", kind="like"))
    assert_stored_feedback(store, [(service.user_id(ASK), "1", "like", None)])
    version = publish(store, settings, blend=True)
    assert service.bundles.wait_for_swap() == version
    result = service.recommend(ASK)
    assert result.model_version == version
    assert all("blend" in ri.sources for ri in result.items)
    with session_scope(store._sessions) as session:
        row = session.scalars(select(RecommendationRequestRow)).one()
        assert row.model_version == version and row.query["learned_model"] is True


def test_a_request_in_flight_keeps_the_bundle_it_started_with(
    service: RecommenderService, store: Store, settings: Settings
) -> None:
    old = service.bundles.current()
    version = publish(store, settings)
    assert service.bundles.wait_for_swap() == version
    assert old.version.startswith("popknn-") and old.preference is None  # untouched by the swap
    assert service.bundles.current() is not old


@pytest.mark.parametrize("damage", ["truncate", "manifest"])
def test_a_damaged_version_is_refused_and_the_old_one_keeps_serving(
    service: RecommenderService, store: Store, settings: Settings, damage: str
) -> None:
    good = publish(store, settings, seed=1)
    assert service.bundles.wait_for_swap() == good
    bad = publish(store, settings, seed=2)
    folder = settings.models_dir / bad
    if damage == "truncate":
        arrays = folder / "model" / "arrays.npz"
        arrays.write_bytes(arrays.read_bytes()[: arrays.stat().st_size // 2])
    else:
        (folder / "manifest.json").unlink()
    assert service.bundles.wait_for_swap() == good
    assert service.recommend(ASK).model_version == good
    # not retried on every check: the refused version stays refused until a newer one is published
    assert service.bundles.wait_for_swap() == good


def test_history_from_feedback_moves_the_learned_ranking(
    service: RecommenderService, store: Store, settings: Settings
) -> None:
    publish(store, settings)
    service.bundles.wait_for_swap()
    fan = ConversationContext(user="carol", text="recommend me something")
    for item in ("2", "8"):  # action / sci-fi, like users d4 and d5
        service.record_feedback(fan, FeedbackRequest(item_id=item, kind="like"))
    assert_stored_feedback(store, [(service.user_id(fan), item, "like", None) for item in ("2", "8")])
    ids = [ri.item.item_id for ri in service.recommend(fan).items]
    assert "12" in ids  # Men in Black: what the action/sci-fi users also loved
    assert not {"2", "8"} & set(ids)


def test_forgotten_user_is_no_longer_scored_with_their_trained_vector(
    service: RecommenderService, store: Store, settings: Settings
) -> None:
    service.record_feedback(ASK, FeedbackRequest(item_id="1", kind="like"))
    publish(store, settings)
    service.bundles.wait_for_swap()
    user_id = service.user_id(ASK)
    scorer = service.bundles.current().preference
    assert scorer is not None and scorer.knows_user(user_id)
    assert_stored_feedback(store, [(user_id, "1", "like", None)])
    service.forget_user(ASK)
    assert not scorer.knows_user(user_id)
    assert_stored_feedback(store, [], users=[user_id])


def test_markov_policy_with_evidence_decides_how_many_items_to_show(
    service: RecommenderService, store: Store, settings: Settings
) -> None:
    # users who ignore most lists: to reach P(some reaction) >= 0.8 the policy shows more items
    sequences = [["ignore"] * 9 + ["click"] for _ in range(10)]
    markov = MarkovActionModel().fit(sequences)
    publish(store, settings, markov=markov)
    service.bundles.wait_for_swap()
    policy = service.bundles.current().preference.policy  # type: ignore[union-attr]
    assert policy is not None and policy.has_evidence
    decision = policy.decide(None, settings.default_k)
    assert decision.k > settings.default_k
    result = service.recommend(ASK)
    assert len(result.items) == decision.k
    with session_scope(store._sessions) as session:
        row = session.scalars(select(RecommendationRequestRow)).one()
        assert row.query["policy"]["k"] == decision.k


def test_without_evidence_the_policy_keeps_the_default(
    service: RecommenderService, store: Store, settings: Settings
) -> None:
    publish(store, settings, markov=MarkovActionModel().fit([["click", "like"]]))
    service.bundles.wait_for_swap()
    assert len(service.recommend(ASK).items) == settings.default_k


def test_catalog_items_the_model_never_saw_score_minus_inf(
    service: RecommenderService, store: Store, settings: Settings
) -> None:
    publish(store, settings)
    service.bundles.wait_for_swap()
    store.upsert_items([{"item_id": "99", "title": "Brand New (2024)", "year": 2024, "genres": ["Drama"],
                         "people": [], "description": "", "url": "", "attributes": {}}])
    service.bundles.wait_for_swap()
    scorer = service.bundles.current().preference
    assert scorer is not None and scorer.coverage < 1.0
    scores = scorer.score([("1", 5.0)], None)
    assert np.isneginf(scores[service.bundles.current().index.position["99"]])
    assert np.isfinite(scores[service.bundles.current().index.position["12"]])


def test_models_dir_is_under_var(settings: Settings) -> None:
    assert settings.models_dir == Path(settings.var_dir) / "models" / "serving"
