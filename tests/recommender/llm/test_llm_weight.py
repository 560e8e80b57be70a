"""The LLM score's weight learned from feedback: from logged re-ranked turns to the served weight."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from feedback_checks import assert_stored_feedback
from test_service_llm import FUNNY_90S, grounded_model

from recommender.config import Settings
from recommender.llm.weight import GRID, RerankedRequest, blended_order, fit_llm_weight, reranked_requests
from recommender.models.item_knn import ItemKNN
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.training.artifacts import new_version_name, write_version
from recommender.training.data import store_interaction_data
from recommender.types import FeedbackRequest

SHOWN = ("a", "b", "c", "d", "e")
BASE = {"a": 5.0, "b": 4.0, "c": 3.0, "d": 2.0, "e": 1.0}  # base order a > b > c > d > e
LLM = {"a": 0.0, "b": 0.1, "c": 0.1, "d": 0.2, "e": 0.6}  # the LLM prefers e


def turn(n: int, liked: str) -> RerankedRequest:
    return RerankedRequest(f"r{n}", BASE, LLM, SHOWN, frozenset({liked}))


def test_blended_order_matches_the_service_blend() -> None:
    assert blended_order(turn(0, "a"), 0.0) == list(SHOWN)
    assert blended_order(turn(0, "a"), 2.0)[0] == "e"  # 0 + 2 * 1.0 beats a's 1.0


def test_an_llm_whose_favourites_get_liked_earns_weight() -> None:
    fit = fit_llm_weight([turn(n, "e") for n in range(40)], prior=0.3)
    assert fit.source == "learned" and fit.requests == 40
    assert fit.weight > 1.0 and fit.mrr[f"{fit.weight:g}"] == 1.0


def test_an_llm_whose_favourites_are_ignored_is_switched_off() -> None:
    close = {**BASE, "b": 4.99}  # any LLM weight lifts b over the liked a
    fit = fit_llm_weight([RerankedRequest(f"r{n}", close, LLM, SHOWN, frozenset({"a"})) for n in range(40)], prior=0.3)
    assert fit.weight == 0.0 and fit.source == "learned"


def test_when_feedback_cannot_tell_weights_apart_the_prior_stays() -> None:
    fit = fit_llm_weight([turn(n, "a") for n in range(40)], prior=0.3)  # a wins for every weight up to 1
    assert fit.weight == 0.3 and fit.source == "learned"


def test_too_little_feedback_keeps_the_prior() -> None:
    few = [turn(n, "e") for n in range(5)] + [RerankedRequest("x", BASE, LLM, SHOWN, frozenset())]
    fit = fit_llm_weight(few, prior=0.3, min_requests=30)
    assert (fit.weight, fit.source, fit.requests) == (0.3, "prior", 5)
    assert 0.3 in GRID


def test_logged_turns_feed_the_fit_and_a_published_weight_is_served(
    llm_service: Callable[..., RecommenderService], loopback_server: Any, store: Store, settings: Settings
) -> None:
    server = loopback_server(grounded_model())
    service = llm_service(f"{server.url}/v1", llm_generate=False, llm_rerank_weight=0.3)
    result = service.recommend(FUNNY_90S)
    liked = result.items[0].item.item_id
    service.record_feedback(result.context, FeedbackRequest(item_id=liked, kind="like"))
    assert_stored_feedback(store, [(service.user_id(FUNNY_90S), liked, "like", None)])

    [logged] = reranked_requests(store.logged_llm_turns(), like_threshold=4.0)
    assert logged.request_id == result.request_id
    assert logged.positives == {liked}
    assert set(logged.shown) == {ri.item.item_id for ri in result.items}
    assert set(logged.base_scores) >= set(logged.shown) and set(logged.llm_scores) >= set(logged.shown)

    # a version carrying a learned weight of 0 turns the LLM's influence off at once
    data = store_interaction_data(store)
    version = new_version_name()
    path = write_version(settings.models_dir, version, ItemKNN(neighbours=20, shrinkage=0.0).fit(data), None,
                         [i.item_id for i in data.items], list(data.user_ids), {"llm_weight": 0.0})
    store.add_model_version(version=version, status="published", path=str(path), trained_on_events=len(data),
                            last_event_id=store.last_feedback_id(), train_seconds=0.0, metrics={}, reason="test")
    assert service.bundles.wait_for_swap() == version
    assert service.llm_turn.weight(service.bundles.current()) == 0.0
