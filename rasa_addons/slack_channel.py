"""Rasa's Slack channel, made usable for the recommender (issue 14).

What differs from `rasa.core.channels.slack` (Rasa 3.6.21):

- **Buttons and Block Kit arrive.** The stock channel sent plain text when a message had more than
  5 buttons (a recommendation turn has 12) and passed `custom` payloads on without a thread. Here
  buttons become Block Kit `actions` blocks (25 to a block), and the `custom` payload the actions
  build for Slack (`{"text", "blocks"}`, recommender/actions/_slack.py) is posted as it is, with at
  most 50 blocks.
- **Text is escaped** for Slack's mrkdwn (`&`, `<`, `>`): a catalog title in a reply cannot
  mention `@channel` or hide a link. A reply is one message (the stock channel posted one message
  per paragraph), split only at Slack's length limit.
- **A retried delivery is not processed twice.** Slack posts an event again when the first delivery
  failed or took over 3 seconds (`X-Slack-Retry-Num`); the stock channel processed every retry
  except those for `http_timeout` (and dropped those even when the first delivery was never
  handled). Here every event is remembered by its `event_id` and its message by `(channel, ts)`
  (a mention arrives as both a `message` and an `app_mention` event), every button press by its
  user and `action_ts`: a repeat is acknowledged and not processed, a first delivery always is.
- **The 3-second rule.** The webhook answers at once; the turn runs in the background (as the
  stock channel does) and its replies go out through the Web API.
- **Replies and late messages go where the conversation is.** A reply goes to the channel (and,
  with `use_threads: true`, the thread) of the message or button it answers. A late LLM message
  sent through Rasa's `trigger_intent` goes to the conversation's last channel and thread too (the
  stock channel sent it to the user's direct messages); after a restart, before the person writes
  again, it goes to `slack_channel` when set, else to their direct messages.
- **Secrets from the environment:** `SLACK_BOT_TOKEN` and `SLACK_SIGNING_SECRET` when
  credentials.yml leaves them out. The signing secret is required (as in Rasa) and every request is
  verified (HMAC-SHA256 of the body, at most 5 minutes old) before anything is read from it.
- **Web API URL** from `SLACK_API_URL` (default https://slack.com/api/), so tests talk to a fake
  Slack API on loopback.

credentials.yml:

    rasa_addons.slack_channel.RecommenderSlackInput:
      use_threads: true          # optional: answer in the thread of the message
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, Hashable, List, Optional, Set, Text, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

from rasa_addons.limits import capped, limit_body
from rasa_addons.redelivery import Deliveries
from rasa_addons.security import configured_secret

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
MAX_TEXT_CHARS = 3000  # a section block's text, and a comfortable size for one message
MAX_BLOCKS = 50
MAX_ACTIONS_PER_BLOCK = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
PLACES_KEPT = 10000  # conversations whose last channel and thread are remembered for late messages

Place = Tuple[Text, Optional[Text]]  # (channel id, thread ts)


def escape(text: Text) -> Text:
    """Text as Slack's mrkdwn shows it literally (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunks(text: Text, size: int = MAX_TEXT_CHARS) -> List[Text]:
    text = text.strip()
    return [text[i:i + size] for i in range(0, len(text), size)]


def button_blocks(buttons: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Rasa buttons as Block Kit `actions` blocks (25 buttons each); a value over Slack's limit is left out."""
    elements = [
        {"type": "button", "action_id": f"button-{index}", "value": str(button.get("payload") or ""),
         "text": {"type": "plain_text", "text": str(button.get("title") or "")[:MAX_BUTTON_TEXT] or "…",
                  "emoji": True}}
        for index, button in enumerate(buttons)
        if 0 < len(str(button.get("payload") or "")) <= MAX_BUTTON_VALUE
    ]
    return [{"type": "actions", "block_id": f"buttons-{start}", "elements": elements[start:start + MAX_ACTIONS_PER_BLOCK]}
            for start in range(0, len(elements), MAX_ACTIONS_PER_BLOCK)]


class RecommenderSlackBot(SlackBot):
    """Posts through the Web API at `api_url`, to the conversation's channel and thread."""

    @classmethod
    def name(cls) -> Text:
        return "slack"

    def __init__(self, token: Text, slack_channel: Optional[Text] = None, thread_id: Optional[Text] = None,
                 proxy: Optional[Text] = None, api_url: Text = DEFAULT_API_URL,
                 default_channel: Optional[Text] = None,
                 place_of: Optional[Callable[[Text], Optional[Place]]] = None) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = AsyncWebClient(token, base_url=api_url, proxy=proxy)
        self.default_channel = default_channel
        self.place_of = place_of

    def where(self, recipient_id: Text) -> Place:
        """The channel and thread to post in: the message's own, else the conversation's last, else the
        configured `slack_channel`, else the person's direct messages."""
        if self.slack_channel:
            return self.slack_channel, self.thread_id
        remembered = self.place_of(recipient_id) if self.place_of is not None else None
        if remembered is not None:
            return remembered
        return (self.default_channel or recipient_id), None

    async def post(self, recipient_id: Text, **message: Any) -> None:
        channel, thread = self.where(recipient_id)
        message.pop("as_user", None)  # legacy; refused for new Slack apps' bot tokens
        if thread:
            message["thread_ts"] = thread
        await self.client.chat_postMessage(channel=channel, **message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """One message, escaped, split only past 3,000 characters."""
        for part in _chunks(text):
            await self.post(recipient_id, text=escape(part))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        """The text as a section, then every button in `actions` blocks (Rasa sent no buttons past 5)."""
        parts = _chunks(text) or ["…"]
        for part in parts[:-1]:
            await self.post(recipient_id, text=escape(part))
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": escape(parts[-1])}}]
        blocks.extend(button_blocks(buttons)[: MAX_BLOCKS - 1])
        await self.post(recipient_id, text=escape(parts[-1]), blocks=blocks)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.post(recipient_id, text=escape(image),
                        blocks=[{"type": "image", "image_url": image, "alt_text": "image"}])

    async def send_attachment(self, recipient_id: Text, attachment: Dict[Text, Any],  # type: ignore[override]
                              **kwargs: Any) -> None:
        await self.post(recipient_id, attachments=[attachment])

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        """`chat.postMessage` arguments (the actions' `{"text", "blocks"}`), at most 50 blocks, in the
        conversation's channel and thread."""
        message = {k: v for k, v in json_message.items() if k not in ("channel", "thread_ts", "as_user")}
        if isinstance(message.get("blocks"), list) and len(message["blocks"]) > MAX_BLOCKS:
            logger.warning("a Slack message had %d blocks; sending the first %d", len(message["blocks"]), MAX_BLOCKS)
            message["blocks"] = message["blocks"][:MAX_BLOCKS]
        await self.post(recipient_id, **message)


class RecommenderSlackInput(SlackInput):
    """`slack`: verified requests, Block Kit, retries handled once, replies in the conversation's thread.

    Rasa's `errors_ignore_retry` and retry-header options are accepted (credentials written for Rasa's
    channel still load) but not used: a retry is recognised by its ids, whatever its reason.
    """

    @classmethod
    def name(cls) -> Text:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            credentials.get("slack_token") or configured_secret("SLACK_BOT_TOKEN") or "",
            credentials.get("slack_channel"),
            credentials.get("proxy"),
            credentials.get("slack_retry_reason_header", "x-slack-retry-reason"),
            credentials.get("slack_retry_number_header", "x-slack-retry-num"),
            credentials.get("errors_ignore_retry", None),
            str(credentials.get("use_threads", False)).strip().lower() in ("true", "1", "yes", "on"),
            credentials.get("slack_signing_secret") or configured_secret("SLACK_SIGNING_SECRET") or "",
            credentials.get("conversation_granularity", "sender"),
        )

    def __init__(self, slack_token: Text, *args: Any, api_url: Optional[Text] = None, **kwargs: Any) -> None:
        if not slack_token:
            raise ValueError("the Slack channel needs the bot token (xoxb-...): export SLACK_BOT_TOKEN "
                             "(see docs/channels.md)")
        try:
            super().__init__(slack_token, *args, **kwargs)
        except Exception as error:  # Rasa's InvalidConfigException, with where to set it
            raise ValueError("the Slack channel needs the app's signing secret: export SLACK_SIGNING_SECRET "
                             "(Slack app settings > Basic Information > Signing Secret; see docs/channels.md)"
                             ) from error
        self.api_url = api_url or configured_secret("SLACK_API_URL") or DEFAULT_API_URL
        self._deliveries = Deliveries()
        self._places: "OrderedDict[Text, Place]" = OrderedDict()
        self._tasks: Set["asyncio.Task[Any]"] = set()

    def remember_place(self, conversation_id: Text, channel: Optional[Text], thread: Optional[Text]) -> None:
        if not channel:
            return
        self._places[conversation_id] = (channel, thread)
        self._places.move_to_end(conversation_id)
        while len(self._places) > PLACES_KEPT:
            self._places.popitem(last=False)

    def place_of(self, conversation_id: Text) -> Optional[Place]:
        """Where this conversation last spoke (channel, thread), if this process saw it."""
        return self._places.get(conversation_id)

    def get_metadata(self, request: Request) -> Dict[Text, Any]:
        """Where the message came from: `out_channel`, `thread_id` (the thread, else the message's own ts)
        and `users` (the app's own user ids, removed from the text). Rasa's version read only an exact
        `application/json` content type and failed on malformed bodies."""
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type == "application/json":
            body = request.json if isinstance(request.json, dict) else {}
            event = body.get("event") if isinstance(body.get("event"), dict) else {}
            users: List[Any] = list(body.get("authed_users") or [])
            authorizations = body.get("authorizations")
            if not users and isinstance(authorizations, list) and authorizations and isinstance(authorizations[0], dict):
                users.append(authorizations[0].get("user_id"))
            return {"out_channel": event.get("channel"), "thread_id": event.get("thread_ts", event.get("ts")),
                    "users": [u for u in users if u]}
        if content_type == "application/x-www-form-urlencoded":
            try:
                payload = json.loads(request.form.get("payload") or "{}")
            except ValueError:
                return {}
            payload = payload if isinstance(payload, dict) else {}
            message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
            channel = payload.get("channel") if isinstance(payload.get("channel"), dict) else {}
            user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
            return {"out_channel": channel.get("id"), "thread_id": message.get("thread_ts", message.get("ts")),
                    "users": [user["id"]] if user.get("id") else []}
        return {}

    def get_output_channel(self, channel: Optional[Text] = None,
                           thread_id: Optional[Text] = None) -> RecommenderSlackBot:
        """A Web API client for one message's place, or (no arguments: Rasa's `trigger_intent`) for
        wherever the recipient's conversation last was."""
        return RecommenderSlackBot(self.slack_token, channel, thread_id, self.proxy, self.api_url,
                                   default_channel=self.slack_channel, place_of=self.place_of)

    @staticmethod
    def delivery_keys(body: Dict[Text, Any]) -> List[Hashable]:
        """What identifies this delivery across Slack's retries (and a mention's two events)."""
        keys: List[Hashable] = []
        if body.get("event_id"):
            keys.append(("event", str(body["event_id"])))
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        if event.get("channel") and event.get("ts"):
            keys.append(("message", str(event["channel"]), str(event["ts"])))
        actions = body.get("actions") if isinstance(body.get("actions"), list) else []
        user = body.get("user") if isinstance(body.get("user"), dict) else {}
        if actions and isinstance(actions[0], dict) and actions[0].get("action_ts"):
            keys.append(("action", str(user.get("id")), str(actions[0]["action_ts"])))
        return keys

    async def _handle(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage) -> None:
        try:
            await on_new_message(message)
        except Exception:
            logger.exception("a Slack message could not be handled")

    def start_turn(self, body: Dict[Text, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]],
                   text: Text, conversation_id: Text, metadata: Dict[Text, Any]) -> HTTPResponse:
        """Acknowledge now and run the turn in the background (Slack waits 3 seconds); a repeat is not run."""
        if not self._deliveries.first(*self.delivery_keys(body)):
            logger.info("Slack delivered the same event again: already handled")
            return response.text("", headers={"X-Slack-No-Retry": "1"})
        channel = metadata.get("out_channel")
        thread = metadata.get("thread_id") if self.use_threads else None
        self.remember_place(conversation_id, channel, thread)
        message = UserMessage(text, self.get_output_channel(channel, thread), conversation_id,
                              input_channel=self.name(), metadata=metadata)
        task = asyncio.create_task(self._handle(on_new_message, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return response.text("")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = capped(on_new_message)  # cut, no control characters; 413 past the body cap (limits.py)
        slack_webhook = limit_body(Blueprint("slack_webhook", __name__))

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.is_request_from_slack_authentic(request):
                return response.text("Message is not properly signed with a valid X-Slack-Signature header",
                                     status=HTTPStatus.UNAUTHORIZED)
            content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            if content_type == "application/json":
                body = request.json if isinstance(request.json, dict) else {}
                if body.get("type") == "url_verification":
                    return response.json({"challenge": body.get("challenge")})
                if not self._is_user_message(body) or not isinstance(body.get("event"), dict):
                    return response.text("")  # the bot's own messages, edits, joins: nothing to answer
                metadata = self.get_metadata(request)
                if not self._is_supported_channel(body, metadata):
                    return response.text("")
                event = body["event"]
                conversation_id = self._get_conversation_id(event.get("user"), metadata.get("out_channel"),
                                                            metadata.get("thread_id"))
                if not conversation_id:
                    return response.text("")
                text = self._sanitize_user_message(str(event.get("text") or ""), metadata.get("users"))
                return self.start_turn(body, on_new_message, text, conversation_id, metadata)
            if content_type == "application/x-www-form-urlencoded":
                try:
                    payload = json.loads(request.form.get("payload") or "{}")
                except ValueError:
                    return response.text("payload is not JSON", status=HTTPStatus.BAD_REQUEST)
                if not isinstance(payload, dict) or not self._is_interactive_message(payload):
                    return response.text("")
                metadata = self.get_metadata(request)
                user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
                text = self._get_interactive_response(payload["actions"][0])
                conversation_id = self._get_conversation_id(user.get("id"), metadata.get("out_channel"),
                                                            metadata.get("thread_id"))
                if text is None or not conversation_id:
                    return response.text("")  # a link button: Slack opened the link
                return self.start_turn(payload, on_new_message, text, conversation_id, metadata)
            return response.text("unsupported content type", status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE)

        return slack_webhook
