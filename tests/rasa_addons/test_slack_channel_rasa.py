"""The Slack channel inside Rasa's own Python (3.10), its output against a fake Slack Web API on
loopback: more than 5 buttons still arrive (as Block Kit), text is escaped and one message, the
actions' Block Kit payload is posted within 50 blocks without `as_user`, and a message goes to its
own channel and thread, a late one to where the conversation last was; the channel does not start
without its bot token or signing secret; a retry and a mention's second event are recognised."""

from __future__ import annotations

import pytest
from rasa_python import run_in_rasa

SCRIPT = r"""
import asyncio, json, sys
sys.path.insert(0, "tests/e2e")
from fake_slack_api import FakeSlackAPI
from rasa_addons.slack_channel import RecommenderSlackInput

TOKEN = "xoxb-test-token"

async def main(api):
    channel = RecommenderSlackInput(TOKEN, None, None, None, None, None, True, "signing-secret", "sender",
                                    api_url=api.api_url)
    # a reply: the message's own channel and thread
    out = channel.get_output_channel("C1", "111.1")
    buttons = [{"title": f"b{i}", "payload": f"/choose{{\"n\":{i}}}"} for i in range(12)]
    await out.send_text_with_buttons("U1", "Pick <one> & go", buttons)
    await out.send_text_message("U1", "first paragraph\n\nsecond <!channel>")
    await out.send_custom_json("U1", {"text": "fallback", "as_user": True, "channel": "CEVIL",
                                      "blocks": [{"type": "divider"}] * 60})
    # a late message (Rasa's trigger_intent: no arguments) before and after the conversation spoke
    late = channel.get_output_channel()
    await late.send_text_message("U2", "late, never seen")
    channel.remember_place("U2", "C2", "222.2")
    await late.send_text_message("U2", "late, seen")
    errors = []
    for token, secret in (("", "s"), (TOKEN, "")):
        try:
            RecommenderSlackInput(token, None, None, None, None, None, False, secret, "sender")
            errors.append("")
        except ValueError as error:
            errors.append(str(error))
    body = {"event_id": "Ev1", "event": {"channel": "C1", "ts": "5.5"}}
    keys = channel.delivery_keys(body)
    first = [channel._deliveries.first(*keys), channel._deliveries.first(*keys),
             channel._deliveries.first(*channel.delivery_keys({"event_id": "Ev2", "event": {"channel": "C1", "ts": "5.5"}})),
             channel._deliveries.first(*channel.delivery_keys({"event_id": "Ev3", "event": {"channel": "C1", "ts": "6.6"}}))]
    calls = api.of("chat.postMessage")
    for call in calls:
        call.pop("answered_ts", None)
    print(json.dumps({"calls": calls, "errors": errors, "first": first}))

with FakeSlackAPI(TOKEN) as api:
    asyncio.run(main(api))
"""


@pytest.mark.slow
def test_block_kit_buttons_escaping_threads_and_late_messages_in_rasa():
    report = run_in_rasa(SCRIPT, {"SLACK_API_URL": "", "SLACK_BOT_TOKEN": "",
           "SLACK_SIGNING_SECRET": ""})
    buttons, text, custom, unseen, seen = report["calls"]

    assert (buttons["channel"], buttons["thread_ts"]) == ("C1", "111.1")
    section, actions = buttons["blocks"]
    assert section["text"]["text"] == "Pick &lt;one&gt; &amp; go"
    assert [e["value"] for e in actions["elements"]] == [f'/choose{{"n":{i}}}' for i in range(12)]  # all 12, not 0
    assert len({e["action_id"] for e in actions["elements"]}) == 12

    assert text["text"] == "first paragraph\n\nsecond &lt;!channel&gt;"  # one message, escaped
    assert (custom["channel"], custom["thread_ts"]) == ("C1", "111.1")  # not the payload's own "channel"
    assert len(custom["blocks"]) == 50 and "as_user" not in custom and custom["text"] == "fallback"

    assert (unseen["channel"], unseen.get("thread_ts")) == ("U2", None)  # unknown: the person's DM
    assert (seen["channel"], seen["thread_ts"]) == ("C2", "222.2")  # where the conversation last was
    assert "SLACK_BOT_TOKEN" in report["errors"][0] and "SLACK_SIGNING_SECRET" in report["errors"][1]
    # Ev1 again: a retry; Ev2 with the same (channel, ts): a mention's second event; Ev3: new
    assert report["first"] == [True, False, False, True]
