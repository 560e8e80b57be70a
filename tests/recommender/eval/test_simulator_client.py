"""The REST side: reading Rasa's replies, loopback only, a clear error when nothing answers, and
whole dialogues through the client against a fake webhook (httpx MockTransport, no server)."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from recommender.eval.simulator.catalog import SimCatalog, SimulatorError, sample_targets
from recommender.eval.simulator.client import RestBot, check_loopback, parse_reply
from recommender.eval.simulator.dialogue import run_dialogues
from recommender.types import Item


def test_parse_reply_reads_items_relaxed_and_questions() -> None:
    messages = [
        {"recipient_id": "u", "text": "Here are some westerns:"},
        {"recipient_id": "u", "custom": {"type": "recommendations", "request_id": "r",
                                          "items": [{"item_id": "50"}, {"item_id": 7}], "relaxed": ["years"]}},
    ]
    reply = parse_reply(messages, 12.5)
    assert reply.item_ids == ("50", "7") and reply.relaxed == ("years",) and reply.question is None
    assert reply.latency_ms == 12.5 and "westerns" in reply.text
    asked = parse_reply([{"custom": {"type": "question", "attribute": "era", "options": ["80s", "90s"]}}])
    assert asked.question == "era" and not asked.item_ids
    worded = parse_reply([{"text": "Sure. What kind of movie do you feel like?"}])
    assert worded.question == ""
    assert parse_reply([{"text": "Sorry, I didn't get that."}]).question is None
    assert parse_reply([{"custom": {"type": "recommendations", "items": [{"item_id": "1"}]}}]).relaxed == ()


@pytest.mark.parametrize("url", ["http://example.com:5005", "ftp://127.0.0.1:5005", "http://10.0.0.1:5005"])
def test_only_loopback_urls(url: str) -> None:
    with pytest.raises(SimulatorError, match="local stack"):
        check_loopback(url)
    assert check_loopback("http://127.0.0.1:5005/") == "http://127.0.0.1:5005"
    assert check_loopback("http://localhost:5005") == "http://localhost:5005"


def test_unreachable_stack_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        bot = RestBot(f"http://127.0.0.1:{port}")
        with pytest.raises(SimulatorError, match=r"unreachable.*--start-stack"):
            bot.probe()
        bot.close()


def test_dialogues_through_the_client_against_a_fake_webhook() -> None:
    catalog = SimCatalog.build([Item(str(n), f"Film {n} (19{60 + n})", 1960 + n, ("Western",)) for n in range(1, 31)],
                               {str(n): 100 for n in range(1, 31)})
    seen: dict[str, list[str]] = {}

    def webhook(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        said = seen.setdefault(body["sender"], [])
        said.append(body["message"])
        if len(said) == 1:
            return httpx.Response(200, json=[{"text": "What genre?"}])
        page = [str(n) for n in range(5 * (len(said) - 2) + 1, 5 * (len(said) - 1) + 1)] + ["9999"]
        return httpx.Response(200, json=[{"text": "Try these", "custom": {
            "type": "recommendations", "items": [{"item_id": i} for i in page]}}])

    bot = RestBot("http://127.0.0.1:5005")
    bot.client = httpx.Client(base_url=bot.rasa_url, transport=httpx.MockTransport(webhook))
    targets = sample_targets(catalog, "all", 6, seed=1)
    dialogues = run_dialogues(bot, targets, catalog, seed=1, max_turns=15, concurrency=3, progress=False)
    assert len(seen) == 6 and all(s.startswith("sim-") for s in seen)  # one new sender per user
    assert [d.target for d in dialogues] == targets
    for d in dialogues:
        target_page = (int(d.target.item_id) - 1) // 5 + 2  # the fake bot pages through ids in order
        assert d.success_turn == target_page
        assert d.turns[0].question == "" and d.turns[1].act.answer  # the question was answered
        assert all(t.out_of_catalog == ("9999",) for t in d.turns[1:])
        assert all(not t.leaked for t in d.turns)
