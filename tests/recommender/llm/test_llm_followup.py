"""Follow-up delivery through Rasa's trigger_intent endpoint, against a loopback HTTP server."""

from __future__ import annotations

from typing import Any

import pytest

from recommender.actions._followup import RasaTriggerIntentSink, channel_supports_push
from recommender.llm import FollowUp


def test_the_sink_posts_the_intent_with_the_text_to_the_conversation(loopback_server: Any) -> None:
    server = loopback_server(lambda method, path, body: (200, {}, b'{"tracker": {}}'))
    sink = RasaTriggerIntentSink(server.url, "user/42 x", token="secret")
    sink(FollowUp("req-1", "Here is why you'll like them:\n1. Toy Story (1995) — funny"))
    method, path, body, _ = server.requests[0]
    assert method == "POST"
    assert path.startswith("/conversations/user%2F42%20x/trigger_intent?")
    assert "output_channel=latest" in path and "token=secret" in path
    assert body == {"name": "EXTERNAL_llm_followup",
                    "entities": {"llm_text": "Here is why you'll like them:\n1. Toy Story (1995) — funny"}}


def test_a_rejected_follow_up_raises_for_the_caller_to_count(loopback_server: Any) -> None:
    import httpx

    server = loopback_server(lambda method, path, body: (401, {}, b'{"error": "no token"}'))
    with pytest.raises(httpx.HTTPStatusError):
        RasaTriggerIntentSink(server.url, "c1")(FollowUp(None, "text"))


def test_only_channels_with_an_outbound_connection_get_follow_ups() -> None:
    assert channel_supports_push("socketio") and channel_supports_push("Slack") and channel_supports_push("telegram")
    assert not channel_supports_push("rest") and not channel_supports_push(None)
