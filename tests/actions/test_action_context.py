"""Tracker -> ConversationContext, Critique and FeedbackRequest (actions/_context.py)."""

from __future__ import annotations

from actions._context import (
    MAX_TEXT_CHARS,
    build_context,
    build_critique,
    build_feedback,
    item_reference,
)


def test_context_from_slots_and_text(tracker, ent):
    t = tracker(
        "a funny movie from the 90s with Tom Hanks",
        entities=[ent("mood", "funny"), ent("decade", "90s"), ent("person", "Tom Hanks")],
        slots={
            "genre": ["comedy"],
            "exclude_genre": ["horror"],
            "decade": "90s",
            "mood": ["funny"],
            "person": ["Tom Hanks"],
            "liked_title": ["Toy Story"],
            "year_from": 1990.0,
            "year_to": 1999.0,
            "shown_item_ids": ["1", "2"],
            "last_item_ids": ["2"],
            "rejected_item_ids": ["3"],
            "last_request_id": "r1",
        },
        sender_id="alice",
    )
    ctx = build_context(t)
    assert ctx.user == "alice"
    assert ctx.text == "a funny movie from the 90s with Tom Hanks"
    assert ctx.genres == ("comedy",)
    assert ctx.exclude_genres == ("horror",)
    assert ctx.decade == "90s"
    assert ctx.moods == ("funny",)
    assert ctx.people == ("Tom Hanks",)
    assert ctx.liked_titles == ("Toy Story",)
    assert (ctx.year_from, ctx.year_to) == (1990, 1999)
    assert ctx.shown_item_ids == ("1", "2")
    assert ctx.last_item_ids == ("2",)
    assert ctx.rejected_item_ids == ("3",)
    assert ctx.last_request_id == "r1"


def test_context_with_no_slots_is_empty(tracker):
    ctx = build_context(tracker("hi", intent="greet", slots={}))
    assert ctx.genres == () and ctx.decade is None and ctx.year_from is None and ctx.last_request_id is None


def test_long_text_is_truncated(tracker):
    ctx = build_context(tracker("x" * 100_000))
    assert len(ctx.text) == MAX_TEXT_CHARS


def test_exclude_role_never_counts_as_wanted(tracker, ent):
    t = tracker(
        "comedy but no horror",
        entities=[ent("genre", "comedy"), ent("genre", "horror", role="exclude")],
        slots={"genre": ["comedy", "horror"]},  # a stale slot value must not win over the exclusion
    )
    ctx = build_context(t)
    assert ctx.genres == ("comedy",)
    assert ctx.exclude_genres == ("horror",)


def test_item_reference_prefers_id_then_ordinal_then_title(tracker, ent):
    assert item_reference(tracker(entities=[ent("ordinal", "second"), ent("item_id", "50")])) == "50"
    assert item_reference(tracker(entities=[ent("title", "Toy Story"), ent("ordinal", "second")])) == "second"
    assert item_reference(tracker(entities=[ent("title", "Toy Story")])) == "Toy Story"
    assert item_reference(tracker(entities=[])) is None


def test_numeric_ordinal_is_not_mistaken_for_an_item_id(tracker, ent):
    assert item_reference(tracker("number 2", entities=[ent("ordinal", "2")])) == "#2"


def test_payload_entities_with_numbers_become_strings(tracker, ent):
    assert item_reference(tracker(entities=[ent("item_id", 50)])) == "50"


def test_critique_older_newer_other(tracker, ent):
    assert build_critique(tracker("something older", "refine", [ent("refinement", "older")])).older
    newer = build_critique(tracker("newer please", "refine", [ent("refinement", "newer")]))
    assert newer.newer and not newer.older
    other = build_critique(tracker('/refine{"refinement":"other options"}', "refine", [ent("refinement", "other options")]))
    assert other.other_options and not other.older


def test_critique_exclusion_by_role_and_by_negation(tracker, ent):
    by_role = build_critique(tracker("no horror", "refine", [ent("genre", "horror", role="exclude")]))
    assert by_role.exclude_genres == ("horror",)
    unlabelled = build_critique(tracker("without any horror please", "refine", [ent("genre", "horror")]))
    assert unlabelled.exclude_genres == ("horror",)
    wanted = build_critique(tracker("more horror", "refine", [ent("genre", "horror")]))
    assert wanted.exclude_genres == ()


def test_critique_more_like_an_ordinal(tracker, ent):
    critique = build_critique(
        tracker("more like the second one", "refine", [ent("refinement", "more like"), ent("ordinal", "second")])
    )
    assert critique.more_like == "second"


def test_unreadable_refinement_asks_for_other_options(tracker):
    assert build_critique(tracker("hmm", "refine")).other_options


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
    assert (fb.kind, fb.item_ref) == ("loved", "second")

    rated = tracker("rate the first one 4 stars", "feedback", [ent("ordinal", "first"), ent("rating", "4 stars")])
    fb = build_feedback(rated, build_context(rated))
    assert (fb.kind, fb.item_ref, fb.value) == ("rating", "first", 4.0)

    negative = tracker("not the last one", "feedback", [ent("ordinal", "last")])
    assert build_feedback(negative, build_context(negative)).kind == "dislike"

    save = tracker("save the third", "feedback", [ent("ordinal", "third")])
    assert build_feedback(save, build_context(save)).kind == "bookmark"


def test_non_genre_entities_are_read_whatever_role_diet_gave_them(tracker, ent):
    """DIET once tagged a refinement with role `exclude`; rasa_sdk's role match then dropped it."""
    t = tracker("more like the second one", "refine", [ent("ordinal", "second", "exclude")])
    assert item_reference(t) == "second"
    t = tracker("comedy, no horror", "refine", [ent("genre", "comedy"), ent("genre", "horror", "exclude")])
    ctx = build_context(t)
    assert ctx.genres == ("comedy",) and ctx.exclude_genres == ("horror",)
