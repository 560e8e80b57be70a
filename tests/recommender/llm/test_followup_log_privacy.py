"""A failed follow-up is logged with its error; that error must not name the raw conversation id
(the channel's user id, personal data) nor the Rasa auth token, which httpx puts in its message."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from recommender.actions._followup import RasaTriggerIntentSink
from recommender.llm import FollowUp

SENDER = "+44-7700-900123"


def test_a_rejected_follow_up_error_names_neither_the_sender_nor_the_token(
    loopback_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = loopback_server(lambda method, path, body: (404, {}, b'{"error": "no such conversation"}'))
    sink = RasaTriggerIntentSink(server.url, SENDER, token="rasa-token-123")
    with pytest.raises(httpx.HTTPStatusError) as raised:
        sink(FollowUp("req-1", "text"))
    assert raised.value.response.status_code == 404  # still the status for the caller to count
    logging.getLogger("test").exception("follow-up delivery failed", exc_info=raised.value)
    logged = caplog.text
    assert "404" in logged
    for secret in (SENDER, "7700-900123", "rasa-token-123"):
        assert secret not in logged
