"""What Telegram and Slack post to a bot's webhooks, in their real formats, for the channel tests.

Telegram: Update objects (a text message, a press on an inline button) with the webhook's secret
header. Slack: Events API envelopes (a direct message, a mention in a channel) and `block_actions`
interactive payloads (a button, a select), signed as Slack signs them (v0 HMAC-SHA256 of
`v0:<timestamp>:<body>` with the app's signing secret). Standard library and httpx only.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

TELEGRAM_BOT_TOKEN = "123456789:e2e-FAKE-bot-token"
TELEGRAM_SECRET = "e2e-telegram-webhook-secret"
TELEGRAM_WEBHOOK = "/webhooks/telegram/webhook"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_PUBLIC_URL = "https://bot.example.org/webhooks/telegram/webhook"  # only told to the fake API

SLACK_BOT_TOKEN = "xoxb-e2e-fake-bot-token"
SLACK_SIGNING_SECRET = "e2e-slack-signing-secret"
SLACK_WEBHOOK = "/webhooks/slack/webhook"
SLACK_BOT_USER = "U0BOT"

_ids = itertools.count(1000)
_slack_ts = itertools.count(1)


def channel_credentials() -> str:
    """The credentials.yml blocks that add this project's Telegram and Slack channels (docs/channels.md)."""
    return (
        "\nrasa_addons.telegram_channel.RecommenderTelegramInput:\n"
        "  access_token: ${TELEGRAM_ACCESS_TOKEN}\n"
        f"  webhook_url: {TELEGRAM_PUBLIC_URL}\n"
        "\nrasa_addons.slack_channel.RecommenderSlackInput:\n"
        "  use_threads: true\n"
    )


# --- Telegram -------------------------------------------------------------------------------------

def _tg_user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": "en"}


def telegram_message(chat_id: int, text: str) -> dict[str, Any]:
    """A private-chat text message as Telegram posts it to a webhook."""
    return {"update_id": next(_ids), "message": {
        "message_id": next(_ids), "date": int(time.time()), "from": _tg_user(chat_id),
        "chat": {"id": chat_id, "type": "private", "first_name": "Test"}, "text": text}}


def telegram_press(chat_id: int, query_id: str, data: str, message_id: int = 1) -> dict[str, Any]:
    """A press on an inline button of the bot's message `message_id`."""
    return {"update_id": next(_ids), "callback_query": {
        "id": query_id, "from": _tg_user(chat_id), "chat_instance": "-42", "data": data,
        "message": {"message_id": message_id, "date": int(time.time()), "text": "…",
                    "from": {"id": 123456789, "is_bot": True, "first_name": "Recs"},
                    "chat": {"id": chat_id, "type": "private", "first_name": "Test"}}}}


def post_telegram(client: httpx.Client, update: dict[str, Any], secret: str | None = TELEGRAM_SECRET) -> httpx.Response:
    headers = {TELEGRAM_SECRET_HEADER: secret} if secret is not None else {}
    return client.post(TELEGRAM_WEBHOOK, json=update, headers=headers)


# --- Slack ----------------------------------------------------------------------------------------

def slack_ts() -> str:
    return f"{int(time.time())}.{next(_slack_ts):06d}"


def slack_event(user: str, channel: str, text: str, *, kind: str = "message", channel_type: str = "im",
                ts: str | None = None, thread_ts: str | None = None, event_id: str | None = None) -> dict[str, Any]:
    """An Events API `event_callback` envelope: a message in a DM (`im`) or a mention (`app_mention`)."""
    event: dict[str, Any] = {"type": kind, "user": user, "text": text, "ts": ts or slack_ts(), "channel": channel,
                             "event_ts": ts or slack_ts(), "channel_type": channel_type, "team": "T0TEAM"}
    if kind == "app_mention":
        event.pop("channel_type")
    if thread_ts:
        event["thread_ts"] = thread_ts
    return {"token": "verification-token-unused", "team_id": "T0TEAM", "api_app_id": "A0APP", "event": event,
            "type": "event_callback", "event_id": event_id or f"Ev{next(_ids):08d}", "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0TEAM", "user_id": SLACK_BOT_USER, "is_bot": True}]}


def slack_action(user: str, channel: str, element: dict[str, Any], message_ts: str,
                 thread_ts: str | None = None, option: dict[str, Any] | None = None) -> dict[str, Any]:
    """A `block_actions` payload: the user pressed `element` (a button, or a select with `option` chosen)
    of the bot's message `message_ts`."""
    action: dict[str, Any] = {"type": element["type"], "action_id": element["action_id"], "block_id": "b",
                              "action_ts": slack_ts()}
    if element["type"] == "button":
        action.update(value=element["value"], text=element["text"])
    else:
        action["selected_option"] = option
    message: dict[str, Any] = {"type": "message", "ts": message_ts, "bot_id": "B0BOT", "text": "…"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {"type": "block_actions", "team": {"id": "T0TEAM"}, "api_app_id": "A0APP",
            "user": {"id": user, "username": "test", "team_id": "T0TEAM"},
            "channel": {"id": channel, "name": "directmessage"}, "container": {"type": "message",
            "message_ts": message_ts, "channel_id": channel}, "trigger_id": f"{next(_ids)}.trigger",
            "response_url": "https://hooks.slack.invalid/actions/x", "message": message, "actions": [action]}


def slack_signature(body: bytes, timestamp: str, secret: str = SLACK_SIGNING_SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


def post_slack(client: httpx.Client, body: dict[str, Any], *, interactive: bool = False,
               secret: str | None = SLACK_SIGNING_SECRET, age_s: int = 0,
               headers: dict[str, str] | None = None) -> httpx.Response:
    """POST an event (JSON) or an interactive payload (form `payload=<json>`), signed with `secret`
    (None: unsigned) at a timestamp `age_s` seconds old."""
    if interactive:
        raw = urlencode({"payload": json.dumps(body)}).encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        raw = json.dumps(body).encode()
        content_type = "application/json"
    sent = {"Content-Type": content_type, **(headers or {})}
    if secret is not None:
        timestamp = str(int(time.time()) - age_s)
        sent.update({"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": slack_signature(raw, timestamp, secret)})
    return client.post(SLACK_WEBHOOK, content=raw, headers=sent)


def feedback_rows(stack: Any, channel: str, sender: str) -> list[tuple[str, str, float | None]]:
    """(item_id, kind, value) of the feedback rows stored for this channel's user, oldest first (under
    the pseudonymous id of `<channel>:<sender>`, as the action server stores them; a REST sender as
    it was posted)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from recommender.identity import channel_user_key, pseudonymous_id
    from recommender.store import Store
    from recommender.store.models import FeedbackEventRow

    user = pseudonymous_id(channel_user_key(channel, str(sender)), stack.user_id_secret)
    store = Store(stack.database_url)
    try:
        stmt = (select(FeedbackEventRow.item_id, FeedbackEventRow.kind, FeedbackEventRow.value)
                .where(FeedbackEventRow.user_id == user).order_by(FeedbackEventRow.id))
        with Session(store.engine) as session:
            return [(str(r[0]), str(r[1]), r[2]) for r in session.execute(stmt).all()]
    finally:
        store.engine.dispose()


def user_events(stack: Any, conversation_id: str) -> list[dict[str, Any]]:
    """The `user` events of a conversation's tracker (Rasa's HTTP API)."""
    response = stack.client.get(f"/conversations/{conversation_id}/tracker", params={"token": stack.api_token})
    assert response.status_code == 200, response.text
    return [e for e in response.json().get("events") or [] if e.get("event") == "user"]


def wait_for(condition: Any, stack: Any, what: str, timeout: float = 120.0) -> Any:
    """`condition()` once it is truthy (polled every 0.2 s); fails the test with both servers' logs after
    `timeout` seconds (a hang ceiling, not a target: the platforms' turns run in the background)."""
    import pytest

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}\n{stack.log_tails()}")


def trigger_followup(stack: Any, conversation_id: str, text: str) -> httpx.Response:
    """What the action server does with a late LLM message: Rasa's `trigger_intent` on the latest channel."""
    return stack.client.post(
        f"/conversations/{conversation_id}/trigger_intent",
        params={"output_channel": "latest", "token": stack.api_token},
        json={"name": "EXTERNAL_llm_followup", "entities": {"llm_text": text}},
    )
