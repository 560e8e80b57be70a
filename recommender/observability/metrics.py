"""Prometheus metrics: one registry for the action server's `GET /metrics`.

What is measured and where:
- `recsys_turn_latency_seconds{kind, outcome}`: every service turn (`recommend`, `refine`,
  `feedback`), timed by the `timed_turn` decorator on the `RecommenderService` methods.
- `recsys_action_latency_seconds{action, outcome}`: every custom action as rasa-sdk runs it
  (recommender/actions/_base.py), including the wait for the single service thread.
- `recsys_feedback_events_total{kind}`: feedback stored, by kind (like, dislike, rating, ...).
- `recsys_llm_latency_seconds{stage, outcome}`: LLM re-ranking and explanation time within a turn
  (outcome `applied` or `fallback`); `recsys_llm_events_total{event, reason}`: the LLM stages'
  outcome counters (`recommender.llm.metrics.COUNTERS`), fallback reasons included.
- `recsys_db_unavailable_total{operation, outcome}`: turn-path database calls (profile, user rows,
  impressions, model checks) that failed (`failed`) or were skipped while the database was known to
  be down (`skipped`); the turn answered from the loaded model (`recommender.serving.db_guard`).
- `recsys_feedback_spool_total{outcome}`: feedback kept in the local spool while the database was
  down (`spooled`), refused because the spool was full (`refused`), and replayed later (`stored`,
  `duplicate`, `rejected`) (`recommender.serving.feedback_writer`).
- Dropped LLM follow-ups: `recsys_llm_events_total{event="followup", reason=...}` with reasons
  `dropped_oldest`, `refused_backlog_full` and `forgotten` (`recommender.llm.pipeline`).
- `recsys_served_model_info{version}`: the model version that answered the last turn (value 1).
- `recsys_last_retrain_*` and `recsys_published_model_info`: read from the newest rows of
  `model_versions` at scrape time, so the numbers are right whichever process (the worker, the
  CLI) ran the retrain.

Everything lives in `REGISTRY` (not prometheus_client's global one), so importing this module
twice or in tests never raises "Duplicated timeseries".
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from recommender.llm.metrics import PrometheusCollector

if TYPE_CHECKING:
    from recommender.store.repository import Store

logger = logging.getLogger(__name__)

__all__ = [
    "CONTENT_TYPE_LATEST", "REGISTRY", "exposition", "observe_action", "register_store", "timed_turn",
]

REGISTRY = CollectorRegistry(auto_describe=True)

# A turn's budget is ~1.5 s; buckets resolve the fast template path and the slow LLM path.
_TURN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)

TURN_LATENCY = Histogram(
    "recsys_turn_latency_seconds", "Time of one recommender service turn",
    ["kind", "outcome"], buckets=_TURN_BUCKETS, registry=REGISTRY,
)
ACTION_LATENCY = Histogram(
    "recsys_action_latency_seconds", "Time of one custom action run by the action server, queueing included",
    ["action", "outcome"], buckets=_TURN_BUCKETS, registry=REGISTRY,
)
FEEDBACK_EVENTS = Counter(
    "recsys_feedback_events", "Feedback events stored, by kind", ["kind"], registry=REGISTRY,
)
LLM_LATENCY = Histogram(
    "recsys_llm_latency_seconds", "LLM stage time within a turn", ["stage", "outcome"],
    buckets=_TURN_BUCKETS, registry=REGISTRY,
)
DB_UNAVAILABLE = Counter(
    "recsys_db_unavailable", "Turn-path database calls that failed, or were skipped while the database was down",
    ["operation", "outcome"], registry=REGISTRY,
)
FEEDBACK_SPOOL = Counter(
    "recsys_feedback_spool", "Feedback events through the local spool (spooled, refused, stored, duplicate, rejected)",
    ["outcome"], registry=REGISTRY,
)
SERVED_MODEL = Gauge(
    "recsys_served_model_info", "The model version that answered the last recommendation (value 1)",
    ["version"], registry=REGISTRY,
)
REGISTRY.register(PrometheusCollector())

_served_lock = threading.Lock()
_served_version: str | None = None

F = TypeVar("F", bound=Callable[..., Any])


def set_served_version(version: str) -> None:
    """Record the version that served a turn; the gauge keeps exactly one label value."""
    global _served_version
    if not version or version == _served_version:
        return
    with _served_lock:
        if _served_version is not None:
            try:
                SERVED_MODEL.remove(_served_version)
            except KeyError:
                pass
        SERVED_MODEL.labels(version).set(1)
        _served_version = version


def _record_result(kind: str, result: Any) -> None:
    version = getattr(result, "model_version", None)
    if isinstance(version, str):
        set_served_version(version)
    if kind == "feedback":
        FEEDBACK_EVENTS.labels(str(getattr(result, "kind", "unknown"))).inc()


def timed_turn(kind: str) -> Callable[[F], F]:
    """Decorate a service method: its latency by `kind` and outcome, and what its result says
    (served model version; feedback kind). The LLM pipeline of the service is instrumented on
    its first call."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            instrument_llm(getattr(self, "llm", None))
            started = time.perf_counter()
            outcome = "error"
            try:
                result = method(self, *args, **kwargs)
                outcome = "ok"
                _record_result(kind, result)
                return result
            finally:
                TURN_LATENCY.labels(kind, outcome).observe(time.perf_counter() - started)

        return wrapper  # type: ignore[return-value]

    return decorate


@dataclass
class ActionOutcome:
    """What `observe_action` records; set `outcome = "error"` when the action answered with an apology."""

    outcome: str = "ok"


@contextmanager
def observe_action(action: str) -> Iterator[ActionOutcome]:
    """Time one custom action; an exception counts as outcome `error`."""
    observed = ActionOutcome()
    started = time.perf_counter()
    try:
        yield observed
    except BaseException:
        observed.outcome = "error"
        raise
    finally:
        ACTION_LATENCY.labels(action, observed.outcome).observe(time.perf_counter() - started)


def instrument_llm(pipeline: Any) -> None:
    """Time an `LLMPipeline`'s `rerank` and `explain` by the latency their results report.

    Wraps the two bound methods of this instance once (the pipeline module stays free of
    Prometheus); a disabled pipeline is never called, so it costs nothing.
    """
    if pipeline is None or getattr(pipeline, "_recsys_metrics", False):
        return
    for stage in ("rerank", "explain"):
        original = getattr(pipeline, stage, None)
        if callable(original):
            setattr(pipeline, stage, _timed_stage(stage, original))
    try:
        pipeline._recsys_metrics = True
    except AttributeError:  # a pipeline with __slots__: instrumented again next time, harmless
        pass


def _timed_stage(stage: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        seconds = getattr(result, "latency", None)
        if isinstance(seconds, (int, float)):
            if stage == "rerank":
                applied = bool(getattr(result, "applied", False))
            else:
                applied = getattr(result, "source", "template") != "template"
            LLM_LATENCY.labels(stage, "applied" if applied else "fallback").observe(float(seconds))
        return result

    return timed


class RetrainCollector:
    """`model_versions` at scrape time: the newest retrain (published or rejected) and the newest
    published version. Reads the database, so it is right across processes and replicas."""

    def __init__(self, store: Callable[[], Store | None]) -> None:
        self._store = store

    def collect(self) -> Iterator[Any]:
        """Yield the retrain families; nothing (and a log line) when the database cannot be read."""
        store = self._store()
        if store is None:
            return
        try:
            versions = store.model_versions(limit=1)
            published = store.latest_published_version()
        except Exception:  # a scrape must not fail because the database is down
            logger.exception("metrics: could not read model_versions")
            return
        duration = GaugeMetricFamily(
            "recsys_last_retrain_duration_seconds", "Training time of the newest model version (any status)"
        )
        finished = GaugeMetricFamily(
            "recsys_last_retrain_timestamp_seconds", "When the newest model version was recorded (Unix time)"
        )
        published_flag = GaugeMetricFamily(
            "recsys_last_retrain_published", "1 when the newest retrain was published, 0 when it was rejected"
        )
        result = InfoMetricFamily("recsys_last_retrain", "The newest retrain's version and decision",
                                  labels=["version", "status"])
        if versions:
            last = versions[0]
            duration.add_metric([], float(last.train_seconds))
            finished.add_metric([], _timestamp(last.created_at))
            published_flag.add_metric([], 1.0 if last.status == "published" else 0.0)
            result.add_metric([last.version, last.status], {})
        yield duration
        yield finished
        yield published_flag
        yield result
        info = InfoMetricFamily("recsys_published_model", "The newest published model version", labels=["version"])
        if published is not None:
            info.add_metric([published.version], {})
        yield info


def _timestamp(moment: Any) -> float:
    if moment.tzinfo is None:  # SQLite returns stored UTC times without their zone
        moment = moment.replace(tzinfo=UTC)
    return float(moment.timestamp())


_retrain_collector: RetrainCollector | None = None


def register_store(store: Callable[[], Store | None]) -> None:
    """Export the retrain metrics from `store()` (called at every scrape); once per process."""
    global _retrain_collector
    if _retrain_collector is not None:
        _retrain_collector._store = store
        return
    _retrain_collector = RetrainCollector(store)
    REGISTRY.register(_retrain_collector)


def exposition() -> bytes:
    """The registry in the Prometheus text format."""
    return generate_latest(REGISTRY)
