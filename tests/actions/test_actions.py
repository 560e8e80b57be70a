"""Each action against a fake service and the real domain.yml: messages, events, error paths."""

from __future__ import annotations

import pytest
from rasa_sdk.events import AllSlotsReset, Restarted

from actions.explain import ActionExplain
from actions.feedback import ActionRecordFeedback
from actions.forget import ActionForgetMe
from actions.recommend import ActionRecommend
from actions.refine import ActionRefine
from actions.saved import ActionShowSaved
from recommender.config import get_settings
from recommender.errors import (
    AmbiguousItemError,
    CatalogEmptyError,
    ConfigurationError,
    InvalidFeedbackError,
    UnknownItemError,
)
from recommender.identity import log_id
from recommender.types import Critique

ALL_ACTIONS = (ActionRecommend, ActionRefine, ActionExplain, ActionRecordFeedback, ActionShowSaved, ActionForgetMe)


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_names_pair_up_with_the_domain(domain):
    names = {cls().name() for cls in ALL_ACTIONS}
    assert names == {
        "action_recommend", "action_refine", "action_explain",
        "action_record_feedback", "action_show_saved", "action_forget_me",
    }
    assert names <= set(domain["actions"])


def test_responses_used_on_errors_exist_in_the_domain(domain):
    for key in ("utter_unknown_item", "utter_catalog_empty", "utter_something_went_wrong", "utter_ask_which_item"):
        assert key in domain["responses"], key


def test_recommend(fake, tracker, ent, run, domain):
    t = tracker("a funny movie from the 90s", entities=[ent("mood", "funny"), ent("decade", "90s")],
                slots={"mood": ["funny"], "decade": "90s"})
    messages, events = run(ActionRecommend(fake), t, domain)

    (name, (ctx,)), = fake.calls
    assert name == "recommend" and ctx.moods == ("funny",) and ctx.decade == "90s" and ctx.user == "test-user"
    (message,) = messages
    assert "Star Wars (1977)" in message["text"]
    assert message["custom"]["type"] == "recommendations"
    assert [i["item_id"] for i in message["custom"]["items"]] == ["50", "1", "127"]
    assert message["buttons"][0] == {"title": "👍 1", "payload": '/feedback{"item_id":"50","kind":"like"}'}
    slots = slot_events(events)
    assert slots == {
        "shown_item_ids": ["50", "1", "127"],
        "last_item_ids": ["50", "1", "127"],
        "rejected_item_ids": [],
        "last_request_id": "req-1",
        "year_from": 1970.0,
        "year_to": 1999.0,
    }
    assert set(slots) <= set(domain["slots"])


def test_recommend_on_socketio_wraps_the_payload(fake, tracker, run, domain):
    messages, _ = run(ActionRecommend(fake), tracker(channel="socketio"), domain)
    assert messages[0]["custom"]["data"]["type"] == "recommendations"


@pytest.mark.parametrize("action", [ActionRecommend, ActionRefine])
def test_push_channels_get_a_follow_up_sink_for_the_conversation(fake, tracker, run, domain, action):
    run(action(fake), tracker("other options", "refine", channel="socketio", sender_id="conv-7"), domain)
    assert fake.sink_requests == [("conv-7", "socketio")]
    assert fake.on_followup == fake.sink


@pytest.mark.parametrize("action", [ActionRecommend, ActionRefine])
def test_rest_gets_no_follow_up_sink(fake, tracker, run, domain, action):
    run(action(fake), tracker("other options", "refine", channel="rest"), domain)
    assert fake.sink_requests == [("test-user", "rest")]
    assert fake.on_followup is None


def test_refine_passes_the_critique_and_updates_genre_slots(fake, tracker, ent, run, domain):
    t = tracker("no horror", "refine", [ent("genre", "horror", role="exclude")],
                slots={"genre": ["horror", "comedy"], "shown_item_ids": ["50"], "last_item_ids": ["50"]})
    messages, events = run(ActionRefine(fake), t, domain)

    (name, (ctx, critique)), = fake.calls
    assert name == "refine"
    assert isinstance(critique, Critique) and critique.exclude_genres == ("horror",)
    assert ctx.exclude_genres == ("horror",) and ctx.genres == ("comedy",)
    assert ctx.shown_item_ids == ("50",)
    slots = slot_events(events)
    assert slots["exclude_genre"] == ["horror"] and slots["genre"] == ["comedy"]
    assert slots["last_item_ids"] == ["1", "127"]
    assert set(slots) <= set(domain["slots"])
    assert messages[0]["custom"]["type"] == "recommendations"


def test_refine_other_options_from_the_button(fake, tracker, ent, run, domain):
    t = tracker('/refine{"refinement":"other options"}', "refine", [ent("refinement", "other options")])
    run(ActionRefine(fake), t, domain)
    assert fake.calls[0][1][1] == Critique(other_options=True)


def test_explain_sends_reasons(fake, tracker, ent, run, domain):
    messages, events = run(ActionExplain(fake), tracker("why the first one?", "ask_why", [ent("ordinal", "first")]), domain)
    assert fake.calls[0][1][1] == "first"
    assert "reason for 50" in messages[0]["text"]
    assert events == []


def test_feedback_by_button(fake, tracker, ent, run, domain):
    t = tracker('/feedback{"item_id":"1","kind":"dislike"}', "feedback",
                [ent("item_id", "1"), ent("kind", "dislike")], slots={"last_request_id": "req-1"})
    messages, events = run(ActionRecordFeedback(fake), t, domain)
    feedback = fake.calls[0][1][1]
    assert (feedback.kind, feedback.item_id, feedback.item_ref, feedback.request_id) == ("dislike", "1", None, "req-1")
    assert messages[0]["text"] == "Noted: dislike Toy Story (1995)."
    assert slot_events(events) == {"rejected_item_ids": ["1"]}


def test_feedback_by_words_with_rating(fake, tracker, ent, run, domain):
    t = tracker("rate the first one 4 stars", "feedback", [ent("ordinal", "first"), ent("rating", "4 stars")])
    messages, events = run(ActionRecordFeedback(fake), t, domain)
    feedback = fake.calls[0][1][1]
    assert (feedback.kind, feedback.item_ref, feedback.value) == ("rating", "first", 4.0)
    assert messages[0]["text"].startswith("Noted")
    assert events == []


def test_show_saved(fake, tracker, run, domain):
    messages, events = run(ActionShowSaved(fake), tracker("show my saved items", "show_saved"), domain)
    assert messages[0]["custom"]["type"] == "saved_items"
    assert [i["item_id"] for i in messages[0]["custom"]["items"]] == ["50"]
    assert events == []


def test_forget_me_resets_slots_and_restarts_the_conversation(fake, tracker, run, domain):
    messages, events = run(ActionForgetMe(fake), tracker("yes", "affirm", slots={"genre": ["comedy"]}), domain)
    assert fake.calls[0][0] == "forget_user"
    assert "7" in messages[0]["text"]  # the confirmation is still sent (Rasa sends it before applying events)
    # Restarted: from here on Rasa's policies and slots start from a fresh tracker (action_session_start)
    assert events == [AllSlotsReset(), Restarted()]


@pytest.mark.parametrize(
    ("error", "response"),
    [
        (UnknownItemError("99999999"), "utter_unknown_item"),
        (CatalogEmptyError("empty"), "utter_catalog_empty"),
        (AmbiguousItemError("which?"), "utter_ask_which_item"),
        (ConfigurationError("bad setting"), "utter_something_went_wrong"),
    ],
)
def test_recommender_errors_get_a_polite_response(error, response, failing, tracker, run, domain, caplog):
    t = tracker('/feedback{"item_id":"99999999","kind":"like"}', "feedback", sender_id="conv-42")
    messages, events = run(ActionRecordFeedback(failing(error)), t, domain)
    assert [m["response"] for m in messages] == [response]
    assert not messages[0]["text"]  # the domain's wording, not ours
    assert events == []
    (record,) = [r for r in caplog.records if r.name == "actions._base"]
    assert record.levelname == "ERROR" and record.exc_info
    # the conversation by its pseudonymous id: the raw sender id is personal data
    assert log_id("conv-42", get_settings().user_id_secret) in record.getMessage()
    assert "conv-42" not in record.getMessage()


def test_invalid_feedback_gets_a_hint(failing, tracker, run, domain):
    messages, _ = run(ActionRecordFeedback(failing(InvalidFeedbackError("rating 9"))), tracker(intent="feedback"), domain)
    text = messages[0]["text"] or ""
    assert "rate" in text or messages[0]["response"]


@pytest.mark.parametrize("action_class", ALL_ACTIONS)
def test_unexpected_exceptions_never_reach_the_user(action_class, failing, tracker, run, domain, caplog):
    messages, events = run(action_class(failing(RuntimeError("boom: secret detail"))), tracker(sender_id="c-7"), domain)
    assert [m["response"] for m in messages] == ["utter_something_went_wrong"]
    assert all("boom" not in (m["text"] or "") and "Traceback" not in (m["text"] or "") for m in messages)
    assert events == []
    assert any(log_id("c-7", get_settings().user_id_secret) in r.getMessage() and r.exc_info for r in caplog.records)
    assert not any("c-7" in r.getMessage() for r in caplog.records)


def test_without_a_domain_the_fallback_text_is_sent(failing, tracker, run):
    messages, _ = run(ActionRecommend(failing(UnknownItemError("x"))), tracker(), {})
    assert messages[0]["text"] and messages[0]["response"] is None


def test_default_service_is_created_lazily(monkeypatch, tracker, run, domain, fake):
    import actions._service as service_module

    created = []

    def fake_get_service():
        created.append(1)
        return fake

    monkeypatch.setattr("recommender.service.get_service", fake_get_service)
    service_module.reset_default_service()
    try:
        action = ActionRecommend()  # what rasa-sdk does
        assert created == []
        run(action, tracker(), domain)
        run(ActionExplain(), tracker(intent="ask_why"), domain)
        assert created == [1]
        assert [c[0] for c in fake.calls] == ["recommend", "explain"]
    finally:
        service_module.reset_default_service()
