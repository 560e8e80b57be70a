"""`GET /metrics` on the live action server moves with real conversations over REST."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.e2e


def scrape(stack) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) -> value, from the action server's /metrics."""
    response = httpx.get(f"{stack.action_url}/metrics", timeout=30, headers=stack.action_headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): float(s.value)
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_real_turns_and_feedback(stack, feedback_rows):
    before = scrape(stack)
    chat = stack.chat("metrics")
    reply = chat.say("recommend me a comedy")
    assert reply.status == 200 and reply.items, chat.describe()
    first, second = reply.item_ids[:2]
    for payload in (f'/feedback{{"item_id":"{first}","kind":"like"}}',
                    f'/feedback{{"item_id":"{second}","kind":"dislike"}}'):
        assert chat.say(payload).status == 200, chat.describe()
    assert [(i, k) for i, k, _ in feedback_rows(chat.sender)] == [(first, "like"), (second, "dislike")]

    after = scrape(stack)
    turn = ("recsys_turn_latency_seconds_count", {"kind": "recommend", "outcome": "ok"})
    assert value(after, turn[0], **turn[1]) == value(before, turn[0], **turn[1]) + 1
    action = ("recsys_action_latency_seconds_count", {"action": "action_recommend", "outcome": "ok"})
    assert value(after, action[0], **action[1]) == value(before, action[0], **action[1]) + 1
    for kind in ("like", "dislike"):
        assert value(after, "recsys_feedback_events_total", kind=kind) == \
            value(before, "recsys_feedback_events_total", kind=kind) + 1
    served = [dict(labels) for (name, labels), v in after.items() if name == "recsys_served_model_info" and v == 1]
    assert len(served) == 1 and served[0]["version"], after
    assert value(after, "recsys_turn_latency_seconds_sum", kind="recommend", outcome="ok") > 0
