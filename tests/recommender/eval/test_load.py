"""The load tool's arithmetic and bounds (recommender/eval/load.py), on hand-computed cases."""

from __future__ import annotations

import pytest

from recommender.eval.load import (
    LoadDriver,
    LoadError,
    LoadRun,
    Turn,
    _bucket_quantile,
    _failure,
    action_stages,
    markdown,
    quantile,
    summarize,
)
from recommender.eval.replay import SentFeedback


def test_quantile_interpolates_between_order_statistics():
    assert quantile([], 0.5) is None
    assert quantile([3.0], 0.95) == 3.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert quantile(list(map(float, range(101))), 0.95) == pytest.approx(95.0)


def test_bucket_quantile_is_prometheus_histogram_quantile():
    # 10 observations: 4 in (0, 0.1], 4 in (0.1, 0.5], 2 in (0.5, 1]
    cumulative = [(0.1, 4.0), (0.5, 8.0), (1.0, 10.0), (float("inf"), 10.0)]
    assert _bucket_quantile(cumulative, 0.5) == pytest.approx(0.1 + 0.4 * (1 / 4))
    assert _bucket_quantile(cumulative, 0.95) == pytest.approx(0.5 + 0.5 * (1.5 / 2))
    assert _bucket_quantile([(0.1, 0.0), (float("inf"), 0.0)], 0.5) is None


def test_action_stages_count_only_what_this_run_added():
    before = ({"action_recommend": [(0.1, 5.0), (1.0, 5.0), (float("inf"), 5.0)]}, {"action_recommend": 0.2})
    after = ({"action_recommend": [(0.1, 7.0), (1.0, 9.0), (float("inf"), 9.0)],
              "action_explain": [(0.1, 0.0), (float("inf"), 0.0)]}, {"action_recommend": 1.4})
    stages = action_stages(before, after)
    assert set(stages) == {"action_recommend"}  # nothing new for action_explain
    assert stages["action_recommend"]["count"] == 4 and stages["action_recommend"]["mean"] == 0.3


def test_failures_are_what_a_user_would_call_one():
    items = [{"custom": {"type": "recommendations", "items": [{"item_id": "50"}]}}]
    assert _failure(200, items, "recommend") is None
    assert _failure(500, None, "recommend") == "HTTP 500"
    assert _failure(200, [], "feedback") == "empty reply"
    assert _failure(200, [{"text": "Sorry, something went wrong on my side."}], "refine") == "the bot's fallback"
    assert _failure(200, [{"text": "Here you go"}], "recommend") == "no items"
    assert _failure(200, [{"text": "Which genre?", "custom": {"type": "question"}}], "recommend") is None


def test_summary_and_table():
    run = LoadRun(turns=[Turn("recommend", 0.0, 0.2, True), Turn("recommend", 1.0, 0.4, True),
                         Turn("feedback", 2.0, 0.1, False, "HTTP 500")],
                  sent={"s1": [SentFeedback("50", "like", None, "/feedback{}")]}, conversations=1, visits=1, seconds=3.0)
    stages = {"action_recommend": {"count": 2, "mean": 0.05, "p50": 0.05, "p95": 0.07, "p99": 0.07}}
    report = summarize(run, stages, {"sent": 1, "stored": 1, "ok": True})
    assert report["turns"] == 3 and report["errors"] == 1 and report["errors_by_reason"] == {"HTTP 500": 1}
    assert report["turns_per_second"] == 1.0 and report["latency_by_kind"]["recommend"]["mean"] == 0.3
    assert report["where_the_time_goes"]["recommend"] == {"turn_mean": 0.3, "action_mean": 0.05, "rest_of_turn_mean": 0.25}
    table = markdown(report)
    assert "| recommend | 2 | 0.3 |" in table and "1 stored" in table


@pytest.mark.parametrize("kwargs", [{"conversations": 0}, {"conversations": 1001}, {"duration_s": 0},
                                    {"duration_s": 3601}, {"think_s": -1}])
def test_bounds_are_enforced(kwargs):
    args = {"conversations": 10, "duration_s": 10.0, **kwargs}
    with pytest.raises(LoadError):
        LoadDriver("http://127.0.0.1:5005", **args)


def test_loopback_only():
    from recommender.eval.simulator.catalog import SimulatorError

    with pytest.raises(SimulatorError):
        LoadDriver("http://example.org:5005", conversations=1, duration_s=1.0)
