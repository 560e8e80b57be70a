"""How Rasa calls the action server (rasa_addons/remote_action.py), in Rasa's own Python: the response
schema checked once, with the same answers as Rasa's own check and faster; and when the action server
is down, hung, or answers garbage, the person gets `utter_something_went_wrong` (Rasa sent nothing),
while a rejection (HTTP 400) still reaches Rasa as a rejection."""

from __future__ import annotations

import pytest
from rasa_python import run_in_rasa

VALIDATION = r"""
import json, time
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
stock = RemoteAction._validate_action_result
import rasa_addons  # installs the cached validator
patched = RemoteAction._validate_action_result
action = RemoteAction("action_recommend", None)
good = {"events": [{"event": "slot", "name": "genre", "value": "Comedy", "timestamp": None}] * 8,
        "responses": [{"text": "Here are 5 picks:", "custom": {"type": "recommendations", "items": []}}]}
bad = [{"events": "not a list"}, {"responses": [1, 2]}, {"events": [{"event": "no_such_event"}]}]

def outcome(method, response):
    try:
        return ["ok", method(action, response)]
    except ValidationError as error:
        return ["error", error.message, list(error.path)]

def seconds(method, n=200):
    started = time.perf_counter()
    for _ in range(n):
        method(action, good)
    return (time.perf_counter() - started) / n

print(json.dumps({"patched": patched is not stock, "again": __import__("rasa_addons.remote_action").remote_action.install(),
                  "same": [outcome(stock, r) == outcome(patched, r) for r in [good, *bad]],
                  "outcomes": [outcome(patched, r) for r in [good, *bad]],
                  "stock_ms": seconds(stock) * 1000, "patched_ms": seconds(patched) * 1000}))
"""

FALLBACK = r"""
import asyncio, json, socket, time
import rasa_addons  # installs the fallback
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

domain = Domain.load("domain.yml")
nlg = TemplatedNaturalLanguageGenerator(domain.responses)

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

async def serve(reply):
    async def handle(reader, writer):
        await reader.read(65536)
        if reply is None:
            await asyncio.sleep(3600)  # hung: accepts, never answers
        writer.write(reply)
        await writer.drain()
        writer.close()
    return await asyncio.start_server(handle, "127.0.0.1", 0)

def http(status, body):
    data = json.dumps(body).encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            "Connection: close\r\n\r\n").encode() + data

async def call(url):
    action = RemoteAction("action_recommend", EndpointConfig(url))
    tracker = DialogueStateTracker.from_events("u1", [UserUttered("recommend me a comedy")], slots=domain.slots)
    started = time.perf_counter()
    try:
        events = await action.run(CollectingOutputChannel(), nlg, tracker, domain)
        result = [e.text for e in events if isinstance(e, BotUttered)]
    except ActionExecutionRejection:
        result = "rejected"
    return result, round(time.perf_counter() - started, 2)

async def main():
    out = {"down": await call(f"http://127.0.0.1:{free_port()}/webhook")}
    hung = await serve(None)
    out["hung"] = await call(f"http://127.0.0.1:{hung.sockets[0].getsockname()[1]}/webhook")
    garbage = await serve(http("200 OK", {"events": "not a list"}))
    out["garbage"] = await call(f"http://127.0.0.1:{garbage.sockets[0].getsockname()[1]}/webhook")
    error = await serve(http("500 Internal Server Error", {"error": "boom"}))
    out["error"] = await call(f"http://127.0.0.1:{error.sockets[0].getsockname()[1]}/webhook")
    rejected = await serve(http("400 Bad Request", {"action_name": "action_recommend", "error": "no"}))
    out["rejected"] = await call(f"http://127.0.0.1:{rejected.sockets[0].getsockname()[1]}/webhook")
    # the tracker has no `language` slot set: the variation without a condition
    out["fallback_text"] = next(r["text"] for r in domain.responses["utter_something_went_wrong"] if not r.get("condition"))
    print(json.dumps(out))

asyncio.run(main())
"""


@pytest.mark.slow
def test_the_cached_validator_answers_as_rasa_does_and_faster():
    report = run_in_rasa(VALIDATION, {})
    assert report["patched"] and report["again"]
    assert report["same"] == [True, True, True, True], report["outcomes"]
    assert report["outcomes"][0] == ["ok", True]
    assert all(o[0] == "error" and "Failed to validate Action server response" in o[1] for o in report["outcomes"][1:])
    print(f"stock {report['stock_ms']:.2f} ms, cached {report['patched_ms']:.2f} ms per response")
    assert report["patched_ms"] < report["stock_ms"] / 3, report


@pytest.mark.slow
def test_a_down_hung_or_failing_action_server_is_answered_with_the_fallback():
    report = run_in_rasa(FALLBACK, {"RECSYS_ACTION_CALL_TIMEOUT_S": "1.5"})
    fallback = [report["fallback_text"]]
    for case in ("down", "hung", "garbage", "error"):
        said, seconds = report[case]
        assert said == fallback, (case, report)
        assert seconds < 10, (case, seconds)
    assert 1.4 <= report["hung"][1] < 5  # waited the configured 1.5 s, not Rasa's 300
    assert report["rejected"][0] == "rejected"  # a rejection is still Rasa's to handle
