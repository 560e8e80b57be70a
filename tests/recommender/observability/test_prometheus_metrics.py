"""The Prometheus registry: turn latency, feedback counts, served version, retrain rows, LLM counters."""

from __future__ import annotations

import pytest
from feedback_checks import assert_stored_feedback
from prometheus_client.parser import text_string_to_metric_families

from recommender.config import Settings
from recommender.errors import UnknownItemError
from recommender.llm.metrics import COUNTERS
from recommender.observability import metrics
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.types import ConversationContext, FeedbackRequest

ASK = ConversationContext(user="metrics-user", text="recommend me something")


def sample(name: str, **labels: str) -> float:
    """One sample's value in the exposition (0 when absent), parsed as Prometheus would."""
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def test_turns_feedback_and_served_version_are_counted(service: RecommenderService, store: Store) -> None:
    turns = sample("recsys_turn_latency_seconds_count", kind="recommend", outcome="ok")
    feedback_turns = sample("recsys_turn_latency_seconds_count", kind="feedback", outcome="ok")
    likes = sample("recsys_feedback_events_total", kind="like")
    result = service.recommend(ASK)
    service.record_feedback(ASK, FeedbackRequest(item_id=result.items[0].item.item_id, kind="like"))
    assert_stored_feedback(store, [(service.user_id(ASK), result.items[0].item.item_id, "like", None)])
    assert sample("recsys_turn_latency_seconds_count", kind="recommend", outcome="ok") == turns + 1
    assert sample("recsys_turn_latency_seconds_count", kind="feedback", outcome="ok") == feedback_turns + 1
    assert sample("recsys_feedback_events_total", kind="like") == likes + 1
    assert sample("recsys_served_model_info", version=result.model_version) == 1.0


def test_a_failed_turn_is_timed_with_outcome_error(service: RecommenderService, store: Store) -> None:
    before = sample("recsys_turn_latency_seconds_count", kind="feedback", outcome="error")
    with pytest.raises(UnknownItemError):
        service.record_feedback(ASK, FeedbackRequest(item_id="no-such-item", kind="like"))
    assert sample("recsys_turn_latency_seconds_count", kind="feedback", outcome="error") == before + 1
    assert_stored_feedback(store, [], users=[service.user_id(ASK)])  # the refused event stored nothing


def test_served_version_keeps_one_label() -> None:
    metrics.set_served_version("v-old")
    metrics.set_served_version("v-new")
    assert sample("recsys_served_model_info", version="v-new") == 1.0
    assert sample("recsys_served_model_info", version="v-old") == 0.0


def test_retrain_metrics_come_from_the_newest_model_version_row(store: Store, settings: Settings) -> None:
    metrics.register_store(lambda: store)
    store.add_model_version(version="v1", status="published", path="/x/v1", trained_on_events=10,
                            last_event_id=3, train_seconds=12.5, metrics={}, reason="first")
    store.add_model_version(version="v2", status="rejected", path="/x/v2", trained_on_events=12,
                            last_event_id=5, train_seconds=7.25, metrics={}, reason="worse")
    assert sample("recsys_last_retrain_duration_seconds") == 7.25
    assert sample("recsys_last_retrain_published") == 0.0
    assert sample("recsys_last_retrain_info", version="v2", status="rejected") == 1.0
    assert sample("recsys_published_model_info", version="v1") == 1.0
    assert sample("recsys_last_retrain_timestamp_seconds") > 1.7e9


def test_an_unreadable_database_leaves_the_retrain_metrics_out_but_the_scrape_works() -> None:
    class Broken:
        def model_versions(self, limit: int = 20) -> list[object]:
            raise RuntimeError("database is down")

    metrics.register_store(lambda: Broken())  # type: ignore[arg-type, return-value]
    assert b"recsys_turn_latency_seconds" in metrics.exposition()
    assert sample("recsys_last_retrain_duration_seconds") == 0.0
    metrics.register_store(lambda: None)


def test_llm_counters_and_latency_are_exported() -> None:
    COUNTERS.inc("rerank", "timeout")

    class Result:
        latency = 0.3
        applied = False

    class Pipeline:
        def rerank(self) -> Result:
            return Result()

        def explain(self) -> Result:
            return Result()

    pipeline = Pipeline()
    metrics.instrument_llm(pipeline)
    metrics.instrument_llm(pipeline)  # once only
    before = sample("recsys_llm_latency_seconds_count", stage="rerank", outcome="fallback")
    pipeline.rerank()
    assert sample("recsys_llm_latency_seconds_count", stage="rerank", outcome="fallback") == before + 1
    assert sample("recsys_llm_latency_seconds_sum", stage="rerank", outcome="fallback") >= 0.3
    assert sample("recsys_llm_events_total", event="rerank", reason="timeout") >= 1
