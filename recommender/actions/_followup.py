"""Late LLM messages on the channels that can push them, delivered through Rasa's HTTP API.

When the LLM finishes after the turn answered, the action server asks Rasa to run a small rule:

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
from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx

if TYPE_CHECKING:  # the LLM package is not imported by the actions at start
    from recommender.llm.followup import FollowUp, FollowUpSink
    from recommender.service import RecommenderService

logger = logging.getLogger(__name__)

PUSH_CHANNELS = frozenset({"socketio", "slack", "telegram"})
FOLLOWUP_INTENT = "EXTERNAL_llm_followup"
FOLLOWUP_ENTITY = "llm_text"


def channel_supports_push(channel: str | None) -> bool:
    """Whether Rasa can send a message on this channel without a user message first."""
    return (channel or "").lower() in PUSH_CHANNELS


def followup_sink(service: RecommenderService, sender_id: str, channel: str | None) -> FollowUpSink | None:
    """Where a late LLM message for this conversation goes, or None where nothing can be pushed.

    Only push channels (socket.io, Slack, Telegram) get one; REST has nobody to push to and keeps
    the template reasons. The sink asks Rasa (`--enable-api`) to run `EXTERNAL_llm_followup`.
    """
    if not service.followups_enabled or not channel_supports_push(channel):
        return None
    settings = service.settings
    token = settings.rasa_auth_token.get_secret_value() if settings.rasa_auth_token else None
    return RasaTriggerIntentSink(settings.rasa_url, sender_id, token=token)


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
