"""Hostile button payloads (issue 15), hypothesis: Telegram's callback codec and the feedback payloads.

A callback query's `data` comes from whoever posts to the webhook (in development without a secret,
anyone): random text, malformed `f:`/`r:` forms, unknown tokens, wrong types inside the JSON. The
codec never raises, never yields more than a person could type, and round-trips what the actions
write; the payloads the actions write are JSON Rasa can parse, whatever the item id."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from rasa_addons.telegram_callback import FEEDBACK_PREFIX, MAX_CALLBACK_BYTES, CallbackCodec, compact, expand
from recommender.actions._payload import feedback_payload
from recommender.context import parse_rating

# item ids as a catalog may hold them (the importer refuses control characters and lone surrogates)
item_ids = st.text(st.characters(exclude_categories=["Cc", "Cs"]), min_size=1, max_size=80)
kinds = st.sampled_from(["like", "dislike", "bookmark", "rating", "seen"]) | st.text(max_size=25)
stars = st.none() | st.integers(1, 5)
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None)


@SETTINGS
@given(item_id=item_ids, kind=kinds, rating=stars)
def test_every_payload_the_actions_write_fits_64_bytes_and_comes_back_exactly(item_id, kind, rating):
    codec = CallbackCodec()
    payload = feedback_payload(item_id, kind, rating)
    data = codec.encode(payload)
    assert len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES
    assert codec.decode(data) == payload
    entities = json.loads(payload[len("/feedback"):])  # what Rasa's "/intent{json}" reading sees
    assert entities["item_id"] == item_id and entities["kind"] == kind


forged = st.one_of(
    st.text(max_size=100),
    st.builds(lambda p, s: p + s, st.sampled_from(["f:", "r:", "t:", "/feedback", "/feedback{", "r:rating:"]),
              st.text(max_size=70)),
    st.builds(lambda k, s, i: f"r:{k}:{s}:{i}", kinds, st.text(max_size=3), st.text(max_size=20)),
    st.builds(lambda obj: FEEDBACK_PREFIX + json.dumps(obj), st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["item_id", "kind", "rating", "x"]),
                                                                    inner, max_size=4), max_leaves=6)),
)


@SETTINGS
@given(data=forged)
def test_any_callback_data_decodes_to_none_or_to_what_a_person_could_type(data):
    codec = CallbackCodec()
    codec.encode(feedback_payload("50", "like"))
    decoded = codec.decode(data)
    if data.startswith("t:"):
        assert decoded is None  # a token this process never issued: "this button has expired"
    elif data.startswith(("f:", "r:")):
        if decoded is not None:  # a well-formed compact form: exactly a feedback payload
            entities = json.loads(decoded[len(FEEDBACK_PREFIX):])
            assert set(entities) <= {"item_id", "kind", "rating"} and isinstance(entities["item_id"], str)
            assert entities.get("rating", 1) in (1, 2, 3, 4, 5)
    else:
        assert decoded == data  # anything else is sent as the text it is, as if typed


@SETTINGS
@given(payload=forged)
def test_compact_never_raises_and_only_shortens_what_expands_back(payload):
    short = compact(payload)
    assert short is None or expand(short) == payload


@SETTINGS
@given(text=st.one_of(st.text(max_size=50), st.builds(lambda n: "9" * n, st.integers(1, 500)),
                      st.sampled_from(["nan", "inf", "-1", "1e999", "4,5", "five stars", "½"])))
def test_a_rating_word_is_a_number_or_nothing_never_an_error(text):  # the range is checked by the service
    value = parse_rating(text)
    assert value is None or isinstance(value, float)
