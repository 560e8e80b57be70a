"""Follow-up messages: the LLM's text, delivered after the turn on channels that can push.

A turn answers at once with the ranked items and template reasons. When the LLM finishes later,
the action server asks Rasa to run a small rule through Rasa's HTTP API:

    POST {rasa_url}/conversations/{conversation_id}/trigger_intent?output_channel=latest&token=...
    {"name": "EXTERNAL_llm_followup", "entities": {"llm_text": "<the validated message>"}}

Rasa then utters `utter_llm_followup` ("{llm_text}") on the conversation's latest channel. That
works for channels with an outbound connection (socket.io, Slack, Telegram); the REST channel has
nobody to push to, so there the turn simply keeps the template reasons. Rasa needs `--enable-api`
(and `--auth-token` in production); the domain needs the intent, an `llm_text` entity and
slot (`influence_conversation: false`, mapped from the entity), the response, and the rule.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote

import httpx

logger = logging.getLogger(__name__)

PUSH_CHANNELS = frozenset({"socketio", "slack", "telegram"})
FOLLOWUP_INTENT = "EXTERNAL_llm_followup"
FOLLOWUP_ENTITY = "llm_text"


def channel_supports_push(channel: str | None) -> bool:
    """Whether Rasa can send a message on this channel without a user message first."""
    return (channel or "").lower() in PUSH_CHANNELS


@dataclass(frozen=True)
class FollowUp:
    """The LLM-written message for a turn that already answered with template reasons."""

    request_id: str | None
    text: str
    reasons: Mapping[str, str] = field(default_factory=dict)
    prompt_version: str | None = None


class FollowUpSink(Protocol):
    """Where a follow-up goes (called from an LLM worker thread, after the action returned)."""

    def __call__(self, followup: FollowUp) -> None:
        """Deliver the follow-up; raise on failure (the caller logs and counts it)."""
        ...


class RasaTriggerIntentSink:
    """Delivers follow-ups through Rasa's `trigger_intent` endpoint for one conversation."""

    def __init__(
        self,
        rasa_url: str,
        conversation_id: str,
        *,
        token: str | None = None,
        timeout_s: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = f"{rasa_url.rstrip('/')}/conversations/{quote(conversation_id, safe='')}/trigger_intent"
        self.token = token
        self.timeout_s = timeout_s
        self._client = client

    def __call__(self, followup: FollowUp) -> None:
        """POST the intent with the text as an entity; raises httpx.HTTPError on failure."""
        params = {"output_channel": "latest"}
        if self.token:
            params["token"] = self.token
        body = {"name": FOLLOWUP_INTENT, "entities": {FOLLOWUP_ENTITY: followup.text}}
        if self._client is not None:
            response = self._client.post(self.url, params=params, json=body, timeout=self.timeout_s)
        else:
            with httpx.Client() as client:
                response = client.post(self.url, params=params, json=body, timeout=self.timeout_s)
        if not response.is_success:
            # not raise_for_status(): its message holds the URL, i.e. the raw conversation id (the
            # channel's user id) and the auth token, and the caller logs this error
            raise httpx.HTTPStatusError(
                f"Rasa trigger_intent answered HTTP {response.status_code}",
                request=response.request, response=response,
            )
        logger.info("follow-up sent for request=%s", followup.request_id)
