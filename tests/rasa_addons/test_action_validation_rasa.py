"""Rasa's check of the action server's response, without re-checking its constant schema every time
(rasa_addons/action_validation.py): installed by importing rasa_addons, the same answers as Rasa's
own (a valid response passes, an invalid one raises the same ValidationError with Rasa's message),
and faster."""

from __future__ import annotations

import pytest
from rasa_python import run_in_rasa

SCRIPT = r"""
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

print(json.dumps({"patched": patched is not stock, "again": __import__("rasa_addons.action_validation").action_validation.install(),
                  "same": [outcome(stock, r) == outcome(patched, r) for r in [good, *bad]],
                  "outcomes": [outcome(patched, r) for r in [good, *bad]],
                  "stock_ms": seconds(stock) * 1000, "patched_ms": seconds(patched) * 1000}))
"""


@pytest.mark.slow
def test_the_cached_validator_answers_as_rasa_does_and_faster():
    report = run_in_rasa(SCRIPT, {})
    assert report["patched"] and report["again"]
    assert report["same"] == [True, True, True, True], report["outcomes"]
    assert report["outcomes"][0] == ["ok", True]
    assert all(o[0] == "error" and "Failed to validate Action server response" in o[1] for o in report["outcomes"][1:])
    print(f"stock {report['stock_ms']:.2f} ms, cached {report['patched_ms']:.2f} ms per response")
    assert report["patched_ms"] < report["stock_ms"] / 3, report
