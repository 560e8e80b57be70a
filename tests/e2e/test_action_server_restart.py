"""The action server crashes and comes back mid-conversation (issue 15): while it is down Rasa answers
with `utter_something_went_wrong` at once (Rasa alone sent nothing), and once it is back the
conversation continues with its dialogue state (the genre and era said before the crash)."""

from __future__ import annotations

import time
from typing import Any

import pytest


@pytest.mark.e2e
def test_a_crashed_action_server_is_answered_with_the_fallback_and_the_conversation_continues(stack: Any) -> None:
    chat = stack.chat("restart")
    first = chat.say("recommend me a comedy from the 90s")
    assert first.status == 200 and first.items, chat.describe()
    assert first.payload()["state"]["genres"] == ["Comedy"]

    stack.action_server.kill()
    started = time.monotonic()
    down = chat.say("something older")
    waited = time.monotonic() - started
    assert down.status == 200, chat.describe()
    assert "something went wrong" in down.text.lower(), chat.describe()
    assert waited < 15, waited

    restarted_in = stack.action_server.start()
    print(f"action server answered /health {restarted_in:.1f} s after the restart")
    again = chat.say("something older")
    assert again.status == 200 and again.items, f"{chat.describe()}\n{stack.log_tails()}"
    state = again.payload()["state"]
    assert state["genres"] == ["Comedy"], state  # said before the crash, kept by Rasa's tracker
    # the 1990s said before the crash, and "older" applied on top of them (older picks within the era)
    assert state["year_from"] == 1990 and state["year_to"] is not None and state["year_to"] < 1999, state
