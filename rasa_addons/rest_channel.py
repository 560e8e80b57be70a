"""The REST channel, safe to leave on: its senders are namespaced and, when configured, it needs a token.

Rasa's stock REST channel takes `sender` and even `input_channel` from the request body, so
anyone who can reach Rasa could post as a Slack or Telegram user (same sender id, same tracker,
same stored profile). Here:

- every REST sender id is `rest:<sender>`: a REST caller only ever reaches REST conversations;
- the input channel is always `rest` (the body cannot claim another);
- a browser request from a page outside RECSYS_CORS_ORIGINS is refused (403): CORS only hides the
  reply from such a page, a plain-text POST would still have acted (cross-site request forgery);
- with `RECSYS_REST_TOKEN` set, `POST /webhooks/rest/webhook` answers 401 without
  `Authorization: Bearer <token>` (or `?token=`); in production (`RECSYS_ENVIRONMENT=production`)
  the token is required and Rasa does not start without it. Without it (development) the
  channel is open, for `make run`'s curl example and the tests;
- a body over `limits.max_body_bytes()` is answered 413 unread, and the message is cut to
  RECSYS_MAX_MESSAGE_CHARS without control characters before Rasa sees it (rasa_addons/limits.py).

credentials.yml: `rasa_addons.rest_channel.RecommenderRestInput:` in place of `rest:`.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_addons.limits import capped, limit_body, max_body_bytes, max_message_chars
from rasa_addons.security import (
    REST_SENDER_PREFIX,
    allowed_origins,
    bearer_token,
    origin_allowed,
    required_secret,
    token_matches,
)

MAX_SENDER_CHARS = 256


class RecommenderRestInput(RestInput):
    """`rest`: namespaced senders, a fixed input channel, and a bearer token when one is configured."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        self.token = required_secret(
            "RECSYS_REST_TOKEN", "the REST channel would let anyone who reaches Rasa chat as any REST user"
        )

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        body = req.json if isinstance(req.json, dict) else {}
        sender = body.get("sender")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
            raise SanicException(
                f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS} characters", status_code=400
            )
        return REST_SENDER_PREFIX + sender

    def _extract_message(self, req: Request) -> Optional[Text]:
        body = req.json if isinstance(req.json, dict) else {}
        message = body.get("message")
        if message is not None and not isinstance(message, str):
            raise SanicException("'message' must be a string", status_code=400)
        return message

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        body = request.json if isinstance(request.json, dict) else {}
        metadata = body.get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        limit = max_message_chars()
        blueprint = limit_body(super().blueprint(capped(on_new_message, limit)), max_body_bytes(limit))
        origins = allowed_origins()

        @blueprint.middleware("request")
        async def require_token(request: Request) -> Optional[HTTPResponse]:
            if request.method in ("GET", "OPTIONS"):  # the channel's health check, CORS preflights
                return None
            if not origin_allowed(request.headers.get("Origin"), origins):
                return response.json({"error": "requests from this page are not allowed"}, status=403)
            if self.token is None:
                return None  # development: open
            if token_matches(bearer_token(request.headers, request.args), self.token):
                return None
            return response.json({"error": "this REST channel needs `Authorization: Bearer <token>`"}, status=401)

        return blueprint
