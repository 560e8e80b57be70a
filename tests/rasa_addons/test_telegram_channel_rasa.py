"""The Telegram channel inside Rasa's own Python (3.10): the output channel is built inside a running
event loop without a network call (RasaHQ/rasa#13040), and what it sends reaches a fake Bot API on
loopback with short rows and `callback_data` of at most 64 bytes; in production it does not start
without TELEGRAM_SECRET_TOKEN; a retried update_id is recognised."""

from __future__ import annotations

import pytest
from rasa_python import run_in_rasa

SCRIPT = r"""
import asyncio, json, sys
sys.path.insert(0, "tests/e2e")
from fake_telegram_api import FakeTelegramAPI
from rasa_addons.telegram_channel import RecommenderTelegramInput

TOKEN = "123456:TEST-token"
LONG_ID = "x" * 64

def feedback(kind):
    return "/feedback" + json.dumps({"item_id": LONG_ID, "kind": kind}, separators=(",", ":"))

async def main(api):
    channel = RecommenderTelegramInput(TOKEN, api_url=api.url, webhook_url="https://bot.example.org/webhooks/telegram/webhook")
    before = len(api.calls)
    out = channel.get_output_channel()          # inside the running loop: the stock channel raised here
    assert out is channel.get_output_channel()  # one client per channel
    assert len(api.calls) == before, api.calls  # and no network call
    buttons = [{"title": f"{k} {i}", "payload": feedback(k)} for i in range(3) for k in ("like", "dislike")]
    buttons.append({"title": "Why these?", "payload": "/ask_why"})
    await out.send_text_with_buttons("42", "Pick one", buttons)
    await out.send_custom_json("42", {"messages": [
        {"text": "1. A film", "reply_markup": {"inline_keyboard": [[{"text": "Like", "callback_data": feedback("like")}]]}}]})
    await out.set_webhook_with_secret(channel.webhook_url, "the-secret")
    sent = api.sent(42)
    rows = sent[0]["reply_markup"]["inline_keyboard"]
    datas = [b["callback_data"] for card in sent for row in card["reply_markup"]["inline_keyboard"] for b in row]
    import os
    from rasa_addons.security import InsecureConfigurationError
    os.environ["RECSYS_ENVIRONMENT"] = "production"
    try:
        RecommenderTelegramInput(TOKEN, api_url=api.url)
        refused = ""
    except InsecureConfigurationError as error:
        refused = str(error)
    os.environ["TELEGRAM_SECRET_TOKEN"] = "has spaces"
    try:
        RecommenderTelegramInput(TOKEN, api_url=api.url)
        bad_secret = ""
    except ValueError as error:
        bad_secret = str(error)
    os.environ["RECSYS_ENVIRONMENT"] = "development"
    first = [channel.first_delivery({"update_id": 7}), channel.first_delivery({"update_id": 7}),
             channel.first_delivery({"update_id": 8})]
    print(json.dumps({"refused": refused, "bad_secret": bad_secret, "first": first, "rows": [len(r) for r in rows], "datas": datas,
                      "decoded": [channel.codec.decode(d) for d in datas],
                      "texts": [m["text"] for m in sent], "webhook": api.of("setWebhook")}))
    await out.close()

with FakeTelegramAPI(TOKEN) as api:
    asyncio.run(main(api))
"""


@pytest.mark.slow
def test_output_channel_in_the_running_loop_and_64_byte_buttons():
    report = run_in_rasa(SCRIPT, {"TELEGRAM_API_URL": "", "TELEGRAM_SECRET_TOKEN": "",
           "RECSYS_ENVIRONMENT": "development"})
    assert report["rows"] == [3, 3, 1]  # short rows, not one row of seven
    assert all(len(d.encode()) <= 64 for d in report["datas"]), report["datas"]
    assert report["decoded"][0] == '/feedback{"item_id":"' + "x" * 64 + '","kind":"like"}'
    assert report["decoded"][6] == "/ask_why"
    assert report["texts"] == ["Pick one", "1. A film"]
    assert "TELEGRAM_SECRET_TOKEN" in report["refused"]  # production without the secret: no start
    assert "A-Z" in report["bad_secret"]
    assert report["first"] == [True, False, True]  # Telegram's retry of update 7 is not handled again
    (webhook,) = report["webhook"]
    assert webhook["secret_token"] == "the-secret" and webhook["url"].endswith("/webhooks/telegram/webhook")
