"""Rasa's Telegram channel, made safe and usable for the recommender (issue 14).

What differs from `rasa.core.channels.telegram` (Rasa 3.6.21):

- **Webhook secret.** Telegram sends `X-Telegram-Bot-Api-Secret-Token` with every update when the
  webhook was set with a `secret_token`; here an update without it answers 401, with a wrong one
  403, and nothing reaches Rasa. The secret comes from `TELEGRAM_SECRET_TOKEN` (required in
  production, like every secret in docs/security.md; in development an unset secret leaves the
  webhook open, with a warning). The stock channel instead asked Telegram `getMe` on every update.
- **Callback queries answered** (`answerCallbackQuery`), so the pressed button stops spinning;
  an expired button says so.
- **`callback_data` of at most 64 bytes**: every button goes through `CallbackCodec`
  (rasa_addons/telegram_callback.py) and every callback query back through it.
- **Short rows**: buttons are laid out 3 to a row (the stock channel put them all in one row);
  a `custom` payload `{"messages": [{"text", "reply_markup"}]}` sends one message per entry with
  its own inline keyboard (the recommendation cards of recommender/actions/_telegram.py).
- **No `asyncio.run` in `get_output_channel`** (RasaHQ/rasa#13040): the stock channel set the
  webhook there with `asyncio.run`, which fails inside the server's running loop, i.e. whenever
  Rasa's API builds the output channel (`trigger_intent`, the LLM follow-up). Here it only builds
  the client; the webhook is set once after the server starts (`set_webhook_on_start`) or by
  `POST /webhooks/telegram/set_webhook`, with the secret token.
- **Bot API URL** from `TELEGRAM_API_URL` (default https://api.telegram.org), so tests talk to a
  fake Bot API on loopback.
- **A retried update is not processed twice**: Telegram posts an update again when the webhook
  answered too slowly or failed; the last 10,000 `update_id`s are remembered and a repeat is
  acknowledged without reaching Rasa.
- `/start` (the first thing every Telegram user sends) is a greeting.
- **Bounded input** (rasa_addons/limits.py): a body over `max_body_bytes()` is answered 413 unread;
  a message is cut to RECSYS_MAX_MESSAGE_CHARS without control characters before Rasa sees it.

credentials.yml:

    rasa_addons.telegram_channel.RecommenderTelegramInput:
      access_token: ${TELEGRAM_ACCESS_TOKEN}
      webhook_url: https://bot.example.org/webhooks/telegram/webhook   # optional
"""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from aiogram.bot.api import TelegramAPIServer
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_addons.limits import capped, limit_body, max_body_bytes, max_message_chars
from rasa_addons.redelivery import Deliveries
from rasa_addons.security import configured_secret, required_secret, token_matches
from rasa_addons.telegram_callback import CallbackCodec

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BUTTONS_PER_ROW = 3
MAX_TEXT_CHARS = 4096  # Telegram's limit for one message
START_COMMAND, START_AS = "/start", "/greet"
EXPIRED_BUTTON = "This button has expired. Ask me again for fresh picks."
_SECRET_CHARS = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token


def _chunks(text: Text, size: int = MAX_TEXT_CHARS) -> List[Text]:
    text = text.strip()
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


class RecommenderTelegramOutput(TelegramOutput):
    """Sends through the Bot API at `api_url`; every inline button's `callback_data` is encoded."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, access_token: Optional[Text], api_url: Text = DEFAULT_API_URL,
                 codec: Optional[CallbackCodec] = None) -> None:
        # TelegramOutput.__init__ would use the production server; Bot.__init__ takes `server`
        super(TelegramOutput, self).__init__(access_token, server=TelegramAPIServer.from_base(api_url))
        self.codec = codec if codec is not None else CallbackCodec()  # an empty codec is falsy (len 0)

    def inline_markup(self, buttons: List[Dict[Text, Any]]) -> Dict[Text, Any]:
        """Rasa buttons as an inline keyboard: rows of at most 3, or the rows the buttons name (`row`)."""
        rows: Dict[Any, List[Dict[Text, Any]]] = {}  # insertion-ordered: rows in order of first button
        unnamed = 0
        for button in buttons:
            entry = {"text": str(button.get("title") or ""), "callback_data": str(button.get("payload") or "")}
            if "row" in button:
                key: Any = ("row", button["row"])
            else:
                key, unnamed = ("auto", unnamed // BUTTONS_PER_ROW), unnamed + 1
            rows.setdefault(key, []).append(entry)
        return self.codec.encode_markup({"inline_keyboard": list(rows.values())})

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """One message (Rasa's channel split the text at every blank line), cut only at Telegram's limit."""
        for part in _chunks(text):
            if part:
                await self.send_message(recipient_id, part)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     button_type: Optional[Text] = "inline", **kwargs: Any) -> None:
        """The text with an inline keyboard in short rows (a reply keyboard when asked for one)."""
        if button_type != "inline":
            await super().send_text_with_buttons(recipient_id, text, buttons, button_type, **kwargs)
            return
        parts = _chunks(text or "…")
        for part in parts[:-1]:
            await self.send_message(recipient_id, part)
        await self.send_message(recipient_id, parts[-1], reply_markup=self.inline_markup(buttons))

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        """`{"messages": [{"text", "reply_markup"}, ...]}`: one message each; anything else as Rasa's channel
        sends it, with its inline keyboard's `callback_data` encoded."""
        messages = json_message.get("messages")
        if isinstance(messages, list):
            for message in messages:
                if isinstance(message, dict) and message.get("text"):
                    markup = self.codec.encode_markup(message.get("reply_markup"))
                    await self.send_message(recipient_id, _chunks(str(message["text"]))[0],
                                            reply_markup=markup or None)
            return
        if "reply_markup" in json_message:
            json_message = {**json_message, "reply_markup": self.codec.encode_markup(json_message["reply_markup"])}
        await super().send_custom_json(recipient_id, json_message, **kwargs)

    async def set_webhook_with_secret(self, url: Text, secret_token: Optional[Text]) -> bool:
        """`setWebhook` with the secret Telegram will send back (aiogram 2.15 predates `secret_token`)."""
        payload: Dict[Text, Any] = {
            "url": url,
            "allowed_updates": json.dumps(["message", "edited_message", "callback_query"]),
        }
        if secret_token:
            payload["secret_token"] = secret_token
        return bool(await self.request("setWebhook", payload))


class RecommenderTelegramInput(TelegramInput):
    """`telegram`: secret-checked webhook, answered callback queries, 64-byte-safe buttons."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        assert credentials is not None
        return cls(
            credentials.get("access_token"),
            credentials.get("verify"),
            credentials.get("webhook_url"),
            set_webhook_on_start=str(credentials.get("set_webhook_on_start", True)).strip().lower()
            not in ("false", "0", "no", "off"),
        )

    def __init__(self, access_token: Optional[Text], verify: Optional[Text] = None,
                 webhook_url: Optional[Text] = None, debug_mode: bool = False,
                 set_webhook_on_start: bool = True, api_url: Optional[Text] = None) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode)
        if not access_token:
            raise ValueError("the Telegram channel needs access_token (the bot token from @BotFather), "
                             "e.g. `access_token: ${TELEGRAM_ACCESS_TOKEN}` in credentials.yml")
        self.secret_token = required_secret(
            "TELEGRAM_SECRET_TOKEN",
            "without it anyone who finds the Telegram webhook URL can post updates as any Telegram user",
        )
        if self.secret_token is not None and not _SECRET_CHARS.match(self.secret_token):
            raise ValueError("TELEGRAM_SECRET_TOKEN may hold only A-Z, a-z, 0-9, _ and - (1-256 characters), "
                             "as Telegram's setWebhook requires")
        if self.secret_token is None:
            logger.warning("TELEGRAM_SECRET_TOKEN is not set: the Telegram webhook accepts updates from anyone "
                           "(development only; see docs/security.md)")
        self.api_url = api_url or configured_secret("TELEGRAM_API_URL") or DEFAULT_API_URL
        self.set_webhook_on_start = set_webhook_on_start
        self.codec = CallbackCodec()
        self._output: Optional[RecommenderTelegramOutput] = None
        self._deliveries = Deliveries()  # update_ids handled, against Telegram's retries

    def first_delivery(self, update: Dict[Text, Any]) -> bool:
        """False when this `update_id` was handled before (Telegram retries a slow or failed delivery)."""
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return True
        return self._deliveries.first(update_id)

    def get_output_channel(self) -> RecommenderTelegramOutput:
        """The channel's one Bot API client. No network call: safe inside the running loop (RasaHQ/rasa#13040)."""
        if self._output is None:
            self._output = RecommenderTelegramOutput(self.access_token, self.api_url, self.codec)
        return self._output

    def _secret_error(self, request: Request) -> Optional[HTTPResponse]:
        if self.secret_token is None:
            return None
        presented = request.headers.get(SECRET_HEADER)
        if not presented:
            return response.json({"error": f"missing {SECRET_HEADER}"}, status=401)
        if not token_matches(presented, self.secret_token):
            return response.json({"error": f"wrong {SECRET_HEADER}"}, status=403)
        return None

    async def _answer(self, out: RecommenderTelegramOutput, query_id: Any, text: Optional[Text] = None) -> None:
        try:
            await out.answer_callback_query(str(query_id), text=text)
        except Exception:  # the reply matters more than the spinner; logged, never fatal
            logger.exception("answerCallbackQuery failed")

    async def _user_text(self, update: Dict[Text, Any], out: RecommenderTelegramOutput) -> Optional[tuple]:
        """(chat id, text) of an update Rasa should handle, else None (answering a callback query)."""
        query = update.get("callback_query")
        if isinstance(query, dict):
            message = query.get("message") if isinstance(query.get("message"), dict) else {}
            chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
            data = query.get("data")
            payload = self.codec.decode(data) if isinstance(data, str) else None
            await self._answer(out, query.get("id"), None if payload is not None else EXPIRED_BUTTON)
            if payload is None or chat.get("id") is None:
                return None
            return chat["id"], payload
        message = update.get("message") or update.get("edited_message")
        if not isinstance(message, dict) or not isinstance(message.get("text"), str):
            return None  # stickers, photos, locations, channel posts: nothing to say
        chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
        if chat.get("id") is None:
            return None
        text = message["text"]
        if text.split("@", 1)[0].strip() == START_COMMAND:
            text = START_AS
        return chat["id"], text

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        limit = max_message_chars()
        on_new_message = capped(on_new_message, limit)  # cut, no control characters (limits.py)
        telegram_webhook = limit_body(Blueprint("telegram_webhook", __name__), max_body_bytes(limit))

        @telegram_webhook.listener("after_server_start")
        async def set_webhook_once(app: Any, loop: Any) -> None:
            if self.webhook_url and self.set_webhook_on_start:
                try:
                    ok = await self.get_output_channel().set_webhook_with_secret(self.webhook_url, self.secret_token)
                    logger.info("Telegram setWebhook: %s", "ok" if ok else "refused")
                except Exception:
                    logger.exception("Telegram setWebhook failed; POST /webhooks/telegram/set_webhook to retry")

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/set_webhook", methods=["POST"])
        async def set_webhook(request: Request) -> HTTPResponse:
            refused = self._secret_error(request)
            if refused is not None:
                return refused
            if not self.webhook_url:
                return response.json({"error": "no webhook_url in credentials.yml"}, status=400)
            ok = await self.get_output_channel().set_webhook_with_secret(self.webhook_url, self.secret_token)
            return response.json({"ok": ok}, status=200 if ok else 502)

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            refused = self._secret_error(request)
            if refused is not None:
                return refused
            update = request.json
            if isinstance(update, str):
                update = json.loads(update)
            if not isinstance(update, dict):
                return response.json({"error": "expected a Telegram Update object"}, status=400)
            if not self.first_delivery(update):
                logger.info("Telegram update delivered again: already handled")
                return response.text("success")
            out = self.get_output_channel()
            found = await self._user_text(update, out)
            if found is None:
                return response.text("success")
            chat_id, text = found
            try:
                await on_new_message(UserMessage(text, out, str(chat_id), input_channel=self.name(),
                                                 metadata=self.get_metadata(request)))
            except Exception:
                logger.exception("Telegram update could not be handled")
                if self.debug_mode:
                    raise
            return response.text("success")

        return telegram_webhook
