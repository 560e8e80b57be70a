"""Telegram's 64-byte `callback_data` <-> the payloads the actions write (rasa_addons/telegram_callback.py)."""

from __future__ import annotations

from rasa_addons.telegram_callback import MAX_CALLBACK_BYTES, CallbackCodec, compact
from recommender.actions._payload import OTHER_OPTIONS_PAYLOAD, feedback_payload

LONG_ID = "tt" + "9" * 62  # 64 characters, the longest item id the catalog accepts


def _fits(data: str) -> bool:
    return len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES


def test_short_feedback_payloads_get_a_compact_reversible_form():
    codec = CallbackCodec()
    for payload, expected in [
        (feedback_payload("50", "like"), "f:like:50"),
        (feedback_payload("50", "bookmark"), "f:bookmark:50"),
        (feedback_payload("50", "rating", 4), "r:rating:4:50"),
        (feedback_payload("a:b\"c", "dislike"), 'f:dislike:a:b"c'),
    ]:
        assert codec.encode(payload) == expected
        assert codec.decode(expected) == payload
    assert len(codec) == 0  # nothing kept in memory for them


def test_a_64_character_item_id_gets_a_token_within_64_bytes():
    codec = CallbackCodec()
    payloads = [feedback_payload(LONG_ID, kind) for kind in ("like", "dislike", "bookmark")]
    payloads += [feedback_payload(LONG_ID, "rating", stars) for stars in range(1, 6)]
    encoded = [codec.encode(p) for p in payloads]
    assert all(len(p.encode()) > MAX_CALLBACK_BYTES for p in payloads)
    assert all(_fits(data) and data.startswith("t:") for data in encoded)
    assert len(set(encoded)) == len(payloads)
    assert [codec.decode(data) for data in encoded] == payloads
    assert codec.encode(payloads[0]) == encoded[0]  # the same payload, the same token
    assert len(codec) == len(payloads)


def test_multibyte_item_ids_are_measured_in_bytes():
    codec = CallbackCodec()
    payload = feedback_payload("Амели" * 8, "like")  # 40 characters, 80 bytes
    data = codec.encode(payload)
    assert _fits(data) and codec.decode(data) == payload


def test_other_payloads_pass_through_when_they_fit_and_get_tokens_when_not():
    codec = CallbackCodec()
    assert codec.encode(OTHER_OPTIONS_PAYLOAD) == OTHER_OPTIONS_PAYLOAD
    assert codec.decode("/ask_why") == "/ask_why"
    long_payload = '/inform_preference{"genre":"' + "x" * 60 + '"}'
    data = codec.encode(long_payload)
    assert _fits(data) and codec.decode(data) == long_payload
    # a payload that looks like one of the codec's own forms is never sent raw
    lookalike = codec.encode("f:like:50")
    assert lookalike.startswith("t:") and codec.decode(lookalike) == "f:like:50"


def test_unknown_evicted_and_foreign_tokens_decode_to_none():
    codec = CallbackCodec(capacity=2)
    first = codec.encode(feedback_payload(LONG_ID, "like"))
    codec.encode(feedback_payload(LONG_ID, "dislike"))
    codec.encode(feedback_payload(LONG_ID, "bookmark"))
    assert len(codec) == 2 and codec.decode(first) is None  # the oldest went
    assert CallbackCodec().decode(first) is None  # another process (a restart) has other tokens
    assert codec.decode("t:nonsense") is None


def test_payloads_the_compact_form_would_change_are_not_compacted():
    assert compact('/feedback{"kind":"like","item_id":"50"}') is None  # other key order
    assert compact('/feedback{"item_id":"50","kind":"like","extra":1}') is None
    assert compact('/feedback{"item_id":"50","kind":"rating","rating":9}') is None
    assert compact('/feedback{"item_id":"50","kind":"rating","rating":"4"}') is None
    assert compact("/greet") is None


def test_every_button_of_a_markup_is_encoded():
    codec = CallbackCodec()
    markup = {"inline_keyboard": [[{"text": "👍", "callback_data": feedback_payload(LONG_ID, "like")},
                                   {"text": "site", "url": "https://example.org"}]]}
    encoded = codec.encode_markup(markup)
    assert _fits(encoded["inline_keyboard"][0][0]["callback_data"])
    assert encoded["inline_keyboard"][0][1] == {"text": "site", "url": "https://example.org"}
    assert markup["inline_keyboard"][0][0]["callback_data"] == feedback_payload(LONG_ID, "like")  # not mutated
