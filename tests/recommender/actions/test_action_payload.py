"""Typed results -> text, buttons and the custom payload of docs/conversation-contract.md."""

from __future__ import annotations

import json

from recommender.actions._payload import (
    explanation_text,
    feedback_payload,
    recommendation_buttons,
    recommendation_message,
    saved_items_message,
)
from recommender.types import (
    ConversationContext,
    Item,
    ItemsReply,
    RecommendationResult,
    RecommendedItem,
)

STAR_WARS = Item("50", "Star Wars (1977)", 1977, ("Action", "Sci-Fi"), url="https://example.org/50",
                 image_url="https://img.example.org/50.jpg")
GODFATHER = Item("127", "Godfather, The (1972)", 1972, ("Crime", "Drama"))


def result(text: str = "Here are 2 picks:", notices: tuple[str, ...] = ()) -> RecommendationResult:
    items = (RecommendedItem(STAR_WARS, 0.9, "a sci-fi classic"), RecommendedItem(GODFATHER, 0.8, "loved by fans"))
    return RecommendationResult("req-7", items, text, ConversationContext(user="u"), notices=notices)


def test_feedback_payload_is_exactly_the_contract_string():
    assert feedback_payload("50", "like") == '/feedback{"item_id":"50","kind":"like"}'
    assert feedback_payload('a"b', "dislike") == '/feedback{"item_id":"a\\"b","kind":"dislike"}'
    assert feedback_payload("50", "rating", 4) == '/feedback{"item_id":"50","kind":"rating","rating":4}'


def test_custom_payload_shape():
    custom = recommendation_message(result(), "rest")["json_message"]
    assert custom["type"] == "recommendations"
    assert custom["request_id"] == "req-7"
    first = custom["items"][0]
    assert set(first) == {"item_id", "title", "year", "genres", "reason", "url", "image_url", "feedback", "ratings"}
    assert first == {
        "item_id": "50",
        "title": "Star Wars (1977)",
        "year": 1977,
        "genres": ["Action", "Sci-Fi"],
        "reason": "a sci-fi classic",
        "url": "https://example.org/50",
        "image_url": "https://img.example.org/50.jpg",
        "feedback": {
            "like": '/feedback{"item_id":"50","kind":"like"}',
            "dislike": '/feedback{"item_id":"50","kind":"dislike"}',
            "bookmark": '/feedback{"item_id":"50","kind":"bookmark"}',
        },
        "ratings": [f'/feedback{{"item_id":"50","kind":"rating","rating":{n}}}' for n in range(1, 6)],
    }
    assert custom["items"][1]["image_url"] == ""  # an item without a picture
    json.dumps(custom)  # JSON-serialisable as is


def test_buttons_are_short_and_complete():
    buttons = recommendation_buttons(result().items)
    assert [b["title"] for b in buttons] == ["👍 1", "👎 1", "👍 2", "👎 2", "Other options", "Why these?"]
    assert buttons[3]["payload"] == '/feedback{"item_id":"127","kind":"dislike"}'
    assert buttons[4]["payload"] == '/refine{"refinement":"other options"}'
    assert buttons[5]["payload"] == "/ask_why"


def test_text_lists_items_when_the_service_text_does_not():
    text = recommendation_message(result("Here are 2 picks:"), "rest")["text"]
    assert "1. Star Wars (1977) — a sci-fi classic" in text
    assert "2. The Godfather (1972) — loved by fans" in text


def test_text_is_kept_when_it_already_lists_items():
    service_text = "Here are 2 picks:\n1. Star Wars (1977) — a sci-fi classic\n2. The Godfather (1972) — loved by fans"
    assert recommendation_message(result(service_text), "rest")["text"] == service_text


def test_notices_are_not_lost():
    text = recommendation_message(result(notices=("I don't know the genre “xyz”.",)), "rest")["text"]
    assert "xyz" in text


def test_socketio_gets_payload_under_data_and_no_item_lines():
    service_text = "Here are 2 picks:\n1. Star Wars (1977) — a sci-fi classic\n2. The Godfather (1972) — x"
    message = recommendation_message(result(service_text), "socketio")
    assert message["json_message"]["data"]["type"] == "recommendations"
    assert set(message["json_message"]) == {"data"}  # Rasa's socket.io channel does emit(event, **custom)
    assert message["text"] == "Here are 2 picks:"


def test_platform_channels_get_text_and_buttons_only():
    for channel in ("facebook", "mattermost"):
        message = recommendation_message(result(), channel)
        assert "json_message" not in message
        assert message["buttons"]
        assert "Star Wars" in message["text"]


def test_telegram_gets_a_card_per_item_with_its_own_keyboard():
    service_text = "Here are 2 picks:\n1. Star Wars (1977) — a sci-fi classic\n2. The Godfather (1972) — x"
    message = recommendation_message(result(service_text), "telegram")
    assert message["text"] == "Here are 2 picks:"  # the cards show the items
    assert "buttons" not in message
    cards = message["json_message"]["messages"]
    assert len(cards) == 3
    assert cards[0]["text"] == "1. Star Wars (1977)\nAction, Sci-Fi\na sci-fi classic\nhttps://example.org/50"
    assert cards[1]["text"].startswith("2. The Godfather (1972)\nCrime, Drama")
    opinions, ratings = cards[1]["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in opinions] == ["👍 Like", "👎 Dislike", "☆ Save"]
    assert [b["callback_data"] for b in opinions] == [feedback_payload("127", k) for k in ("like", "dislike", "bookmark")]
    assert [b["text"] for b in ratings] == ["★1", "★2", "★3", "★4", "★5"]
    assert ratings[3]["callback_data"] == feedback_payload("127", "rating", 4)
    (more,) = cards[2]["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for b in more] == ['/refine{"refinement":"other options"}', "/ask_why"]
    assert all(len(row) <= 5 for card in cards for row in card["reply_markup"]["inline_keyboard"])
    json.dumps(message)


def test_slack_gets_block_kit_a_section_and_a_row_of_buttons_per_item():
    service_text = "Here are 2 picks:\n1. Star Wars (1977) — a sci-fi classic\n2. The Godfather (1972) — x"
    message = recommendation_message(result(service_text), "slack")
    assert message["text"] == "Here are 2 picks:"  # the blocks show the items
    assert "buttons" not in message  # Rasa's Slack channel would drop more than 5 anyway
    custom = message["json_message"]
    assert custom["text"].startswith("1. Star Wars (1977) — a sci-fi classic\n2. The Godfather (1972)")
    blocks = custom["blocks"]
    assert [b["type"] for b in blocks] == ["section", "actions", "section", "actions", "actions"]
    star_wars = blocks[0]
    assert star_wars["text"] == {"type": "mrkdwn", "text": "*1. Star Wars (1977)*\nAction, Sci-Fi\na sci-fi classic\n"
                                                           "<https://example.org/50|More about it>"}
    assert star_wars["accessory"] == {"type": "image", "image_url": "https://img.example.org/50.jpg",
                                      "alt_text": "Star Wars (1977)"}
    assert "accessory" not in blocks[2]  # no cover in the catalog, no image
    like, dislike, save, rate = blocks[3]["elements"]
    assert [e["value"] for e in (like, dislike, save)] == [feedback_payload("127", k) for k in ("like", "dislike", "bookmark")]
    assert [e["text"]["text"] for e in (like, dislike, save)] == ["👍 Like", "👎 Dislike", "☆ Save"]
    assert rate["type"] == "static_select" and rate["options"][3]["value"] == feedback_payload("127", "rating", 4)
    assert [e["value"] for e in blocks[4]["elements"]] == ['/refine{"refinement":"other options"}', "/ask_why"]
    ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(ids) == len(set(ids))  # unique within the message, as Slack requires
    json.dumps(message)


def test_slack_escapes_what_the_catalog_says_and_keeps_block_kit_limits():
    from recommender.actions._slack import MAX_BLOCKS, blocks_payload

    hostile = Item("x" * 64, "<!channel> & <https://evil.example|click> (2024)", 2024, ("Comedy",),
                   url="javascript:alert(1)", image_url="file:///etc/passwd")
    recs = [RecommendedItem(hostile, 0.5, "because <b>bold</b>")] * 40
    entries = [recommendation_message(result(), "rest")["json_message"]["items"][0] | {
        "item_id": hostile.item_id, "title": hostile.title, "genres": ["Comedy"], "reason": "because <b>bold</b>",
        "url": hostile.url, "image_url": hostile.image_url,
        "ratings": [feedback_payload(hostile.item_id, "rating", v) for v in range(1, 6)]}] * 40
    payload = blocks_payload(recs, entries)
    assert len(payload["blocks"]) <= MAX_BLOCKS
    section = payload["blocks"][0]
    assert section["text"]["text"].startswith("*1. &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;")
    assert "because &lt;b&gt;bold&lt;/b&gt;" in section["text"]["text"]
    assert "javascript" not in section["text"]["text"] and "accessory" not in section  # no unsafe link or image
    assert "<" not in payload["text"]
    rate = payload["blocks"][1]["elements"][-1]
    assert all(len(o["value"]) <= 150 for o in rate["options"])


def test_telegram_saved_items_are_cards_too():
    reply = ItemsReply("You saved 1 item:\n1. Star Wars (1977)", (RecommendedItem(STAR_WARS, 0.0, "saved by you"),))
    message = saved_items_message(reply, "telegram")
    assert message["text"] == "You saved 1 item:"
    (card,) = message["json_message"]["messages"]
    assert card["text"].startswith("1. Star Wars (1977)")


def test_empty_result_is_text_only():
    empty = RecommendationResult("req-0", (), "I couldn't find anything.", ConversationContext(user="u"))
    assert recommendation_message(empty, "rest") == {"text": "I couldn't find anything."}


def test_saved_items_use_the_same_shape():
    reply = ItemsReply("You saved 1 item:", (RecommendedItem(STAR_WARS, 0.0, "saved by you"),))
    custom = saved_items_message(reply, "rest")["json_message"]
    assert custom["type"] == "saved_items"
    assert custom["items"][0]["item_id"] == "50"
    assert set(custom) == {"type", "request_id", "language", "items"}
    assert saved_items_message(ItemsReply("Nothing saved yet."), "rest") == {"text": "Nothing saved yet."}


def test_explanation_adds_reasons_missing_from_the_text():
    reply = ItemsReply("Here's why:", (RecommendedItem(STAR_WARS, 0.9, "a sci-fi classic"),))
    assert explanation_text(reply) == "Here's why:\n• Star Wars (1977): a sci-fi classic"
    covered = ItemsReply("Star Wars (1977): a sci-fi classic.", (RecommendedItem(STAR_WARS, 0.9, "a sci-fi classic"),))
    assert explanation_text(covered) == "Star Wars (1977): a sci-fi classic."
