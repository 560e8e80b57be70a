"""Tracker -> ConversationContext, Critique and FeedbackRequest (actions/_context.py)."""

from __future__ import annotations

import pytest

from recommender.actions._context import (
    build_context,
    build_feedback,
    item_reference,
)
from recommender.config import get_settings
from recommender.dialogue.state import DialogueState
from recommender.dialogue.understand import EntityHint


def test_context_carries_text_intent_entities_and_the_persisted_state(tracker, ent):
    stored = DialogueState(genres=("Adventure",), exclude_genres=("Horror",), year_from=1990, year_to=1999)
    t = tracker(
        "it should also be a drama",
        "inform_preference",
        entities=[ent("genre", "drama"), ent("genre", "horror", role="exclude")],
        slots={
            "dialogue_state": stored.to_dict(),
            "shown_item_ids": ["1", "2"],
            "last_item_ids": ["2"],
            "rejected_item_ids": ["3"],
            "last_request_id": "r1",
        },
        sender_id="alice",
    )
    ctx = build_context(t)
    assert ctx.user == "rest:alice"  # channel and sender id (recommender.identity.user_key)
    assert ctx.text == "it should also be a drama"
    assert ctx.intent == "inform_preference"
    assert ctx.entities == (EntityHint("genre", "drama"), EntityHint("genre", "horror", "exclude"))
    assert ctx.state == stored
    assert ctx.shown_item_ids == ("1", "2")
    assert ctx.last_item_ids == ("2",)
    assert ctx.rejected_item_ids == ("3",)
    assert ctx.last_request_id == "r1"


def test_context_with_no_slots_has_an_empty_state(tracker):
    ctx = build_context(tracker("hi", intent="greet", slots={}))
    assert ctx.state == DialogueState() and ctx.last_request_id is None and ctx.entities == ()


def test_a_malformed_stored_state_is_read_field_by_field(tracker):
    ctx = build_context(tracker("x", slots={"dialogue_state": {"genres": ["Comedy", 5, None], "year_from": "soon",
                                                               "moods": [{"nope": 1}], "turns": -3}}))
    assert ctx.state == DialogueState(genres=("Comedy", "5"))


def test_long_text_is_truncated_to_the_setting(tracker, monkeypatch):
    monkeypatch.setenv("RECSYS_MAX_MESSAGE_CHARS", "300")
    get_settings.cache_clear()
    try:
        ctx = build_context(tracker("x" * 100_000))  # no spaces: bounded all the same
    finally:
        get_settings.cache_clear()
    assert len(ctx.text) == 300


def test_item_reference_prefers_id_then_ordinal_then_title(tracker, ent):
    assert item_reference(tracker(entities=[ent("ordinal", "second"), ent("item_id", "50")])) == "50"
    assert item_reference(tracker(entities=[ent("title", "Toy Story"), ent("ordinal", "second")])) == "second"
    assert item_reference(tracker(entities=[ent("title", "Toy Story")])) == "Toy Story"
    assert item_reference(tracker(entities=[])) is None


def test_numeric_ordinal_is_not_mistaken_for_an_item_id(tracker, ent):
    assert item_reference(tracker("number 2", entities=[ent("ordinal", "2")])) == "#2"


def test_payload_entities_with_numbers_become_strings(tracker, ent):
    assert item_reference(tracker(entities=[ent("item_id", 50)])) == "50"


def test_feedback_from_button_payload(tracker, ent):
    t = tracker(
        '/feedback{"item_id":"50","kind":"like"}',
        "feedback",
        [ent("item_id", "50"), ent("kind", "like")],
        slots={"last_request_id": "r9"},
    )
    fb = build_feedback(t, build_context(t))
    assert (fb.kind, fb.item_id, fb.item_ref, fb.value, fb.request_id) == ("like", "50", None, None, "r9")


def test_feedback_from_words(tracker, ent):
    loved = tracker("I loved the second one", "feedback", [ent("kind", "loved"), ent("ordinal", "second")])
    fb = build_feedback(loved, build_context(loved))
    assert (fb.kind, fb.item_ref) == ("like", "second")

    rated = tracker("rate the first one 4 stars", "feedback", [ent("ordinal", "first"), ent("rating", "4 stars")])
    fb = build_feedback(rated, build_context(rated))
    assert (fb.kind, fb.item_ref, fb.value) == ("rating", "first", 4.0)

    negative = tracker("not the last one", "feedback", [ent("ordinal", "last")])
    assert build_feedback(negative, build_context(negative)).kind == "dislike"

    save = tracker("save the third", "feedback", [ent("ordinal", "third")])
    assert build_feedback(save, build_context(save)).kind == "bookmark"


@pytest.mark.parametrize(
    ("text", "entities", "kind"),
    [
        # the NLU's one word against the sentence: each of these was stored the other way round
        ("scream was trash", [("title", "Scream"), ("kind", "trash")], "dislike"),  # "trash" no kind: a like by default
        ("the godfather? overrated imo", [("title", "The Godfather"), ("kind", "overrated")], "dislike"),
        ("can't say i loved #3", [("kind", "loved"), ("ordinal", "#3")], "dislike"),
        ("pulp fiction wasn't bad at all", [("title", "Pulp Fiction")], "like"),  # "bad" made it a dislike
        ("no, i loved it", [("kind", "loved")], "like"),
        ("honestly couldnt sit through the second one", [("ordinal", "second")], "dislike"),
        ("the middle one looks good", [("kind", "middle"), ("kind", "good")], "like"),
    ],
)
def test_the_sentence_decides_like_or_dislike(tracker, ent, text, entities, kind):
    said = tracker(text, "feedback", [ent(*e) for e in entities])
    assert build_feedback(said, build_context(said)).kind == kind


def test_non_genre_entities_are_read_whatever_role_diet_gave_them(tracker, ent):
    """DIET once tagged a refinement with role `exclude`; rasa_sdk's role match then dropped it."""
    t = tracker("more like the second one", "refine", [ent("ordinal", "second", "exclude")])
    assert item_reference(t) == "second"


def test_the_user_is_the_channel_and_the_sender_id(tracker):
    """A REST caller who posts a Slack user's id is not that Slack user (docs/security.md)."""
    on_slack = build_context(tracker(channel="slack", sender_id="U123")).user
    on_rest = build_context(tracker(channel="rest", sender_id="U123")).user
    assert (on_slack, on_rest) == ("slack:U123", "rest:U123")
