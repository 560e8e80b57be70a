"""Each action against a fake service and the real domain.yml: messages, events, error paths."""

from __future__ import annotations

import pytest
from rasa_sdk.events import AllSlotsReset, Restarted

from recommender.actions._base import ERROR_RESPONSES
from recommender.actions._followup import RasaTriggerIntentSink
from recommender.actions.explain import ActionExplain
from recommender.actions.fallback import ActionFallback
from recommender.actions.feedback import ActionRecordFeedback
from recommender.actions.forget import ActionConfirmForget, ActionForgetMe
from recommender.actions.recommend import ActionRecommend
from recommender.actions.refine import ActionRefine
from recommender.actions.saved import ActionShowSaved
from recommender.config import get_settings
from recommender.dialogue.state import DialogueState
from recommender.dialogue.understand import EntityHint
from recommender.errors import (
    AmbiguousItemError,
    CatalogEmptyError,
    ConfigurationError,
    InvalidFeedbackError,
    UnknownItemError,
)
from recommender.identity import log_id, user_key

ALL_ACTIONS = (
    ActionRecommend, ActionRefine, ActionExplain, ActionRecordFeedback, ActionShowSaved, ActionForgetMe, ActionFallback,
    ActionConfirmForget,
)


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_names_pair_up_with_the_domain(domain):
    names = {cls().name() for cls in ALL_ACTIONS}
    assert names == {
        "action_recommend", "action_refine", "action_explain",
        "action_record_feedback", "action_show_saved", "action_forget_me", "action_fallback", "action_confirm_forget",
    }
    assert names <= set(domain["actions"])


def test_responses_used_on_errors_exist_in_the_domain(domain):
    for key in [k for _, k in ERROR_RESPONSES] + ["utter_something_went_wrong"]:
        assert key in domain["responses"], key


def test_an_error_without_its_response_in_the_domain_gets_the_generic_one(fake, tracker, run, domain):
    fake.fail_with = UnknownItemError("x")
    trimmed = {**domain, "responses": {k: v for k, v in domain["responses"].items() if k != "utter_unknown_item"}}
    messages, _ = run(ActionRecordFeedback(fake), tracker("I loved the first one", "feedback"), trimmed)
    assert [m.get("response") for m in messages] == ["utter_something_went_wrong"]


def test_recommend(fake, tracker, ent, run, domain):
    t = tracker("a funny movie from the 90s", entities=[ent("mood", "funny"), ent("decade", "90s")])
    messages, events = run(ActionRecommend(fake), t, domain)

    (name, (ctx,)), = fake.calls
    assert name == "recommend" and ctx.user == "rest:test-user" and ctx.intent == "request_recommendation"
    assert ctx.text == "a funny movie from the 90s"
    assert ctx.entities == (EntityHint("mood", "funny"), EntityHint("decade", "90s"))
    (message,) = messages
    assert "Star Wars (1977)" in message["text"]
    assert message["custom"]["type"] == "recommendations"
    assert [i["item_id"] for i in message["custom"]["items"]] == ["50", "1", "127"]
    assert message["custom"]["state"]["summary"] == "Comedy · 1970–1999"
    assert message["custom"]["state"]["genres"] == ["Comedy"] and message["custom"]["relaxed"] == []
    assert message["buttons"][0] == {"title": "👍 1", "payload": '/feedback{"item_id":"50","kind":"like"}'}
    slots = slot_events(events)
    assert slots["shown_item_ids"] == ["50", "1", "127"]
    assert slots["last_item_ids"] == ["50", "1", "127"]
    assert slots["last_request_id"] == "req-1"
    assert DialogueState.from_dict(slots["dialogue_state"]).genres == ("Comedy",)
    assert set(slots) <= set(domain["slots"])


def test_recommend_on_socketio_wraps_the_payload(fake, tracker, run, domain):
    messages, _ = run(ActionRecommend(fake), tracker(channel="socketio"), domain)
    assert messages[0]["custom"]["data"]["type"] == "recommendations"


@pytest.mark.parametrize("action", [ActionRecommend, ActionRefine])
def test_push_channels_get_a_follow_up_sink_for_the_conversation(fake, tracker, run, domain, action):
    run(action(fake), tracker("other options", "refine", channel="socketio", sender_id="conv-7"), domain)
    assert isinstance(fake.on_followup, RasaTriggerIntentSink)
    assert fake.on_followup.url == "http://127.0.0.1:9/conversations/conv-7/trigger_intent"


@pytest.mark.parametrize("action", [ActionRecommend, ActionRefine])
def test_rest_gets_no_follow_up_sink(fake, tracker, run, domain, action):
    run(action(fake), tracker("other options", "refine", channel="rest"), domain)
    assert fake.on_followup is None


def test_no_follow_up_sink_when_the_service_sends_none(fake, tracker, run, domain):
    fake.followups_enabled = False
    run(ActionRecommend(fake), tracker("other options", "refine", channel="socketio"), domain)
    assert fake.on_followup is None


def test_refine_reads_the_words_through_the_same_dialogue_turn(fake, tracker, ent, run, domain):
    stored = DialogueState(genres=("Comedy",), shown_items=("50",), last_items=("50",))
    t = tracker("no horror", "refine", [ent("genre", "horror", role="exclude")],
                slots={"dialogue_state": stored.to_dict(), "shown_item_ids": ["50"], "last_item_ids": ["50"]})
    messages, events = run(ActionRefine(fake), t, domain)

    assert [c[0] for c in fake.calls] == ["read_turn", "recommend"]  # read: a refine may ask about one item
    (name, (ctx,)) = fake.calls[-1]
    assert name == "recommend" and ctx.intent == "refine" and ctx.state == stored
    assert ctx.entities == (EntityHint("genre", "horror", "exclude"),)
    slots = slot_events(events)
    assert slots["last_item_ids"] and "dialogue_state" in slots
    assert set(slots) <= set(domain["slots"])
    assert messages[0]["custom"]["type"] == "recommendations"


def test_refine_other_options_from_the_button(fake, tracker, ent, run, domain):
    t = tracker('/refine{"refinement":"other options"}', "refine", [ent("refinement", "other options")])
    run(ActionRefine(fake), t, domain)
    ctx = fake.calls[0][1][0]
    assert ctx.intent == "refine" and ctx.entities == (EntityHint("refinement", "other options"),)


def test_explain_sends_reasons(fake, tracker, ent, run, domain):
    messages, events = run(ActionExplain(fake), tracker("why the first one?", "ask_why", [ent("ordinal", "first")]), domain)
    assert [c[0] for c in fake.calls] == ["misrouted_search", "explain"] and fake.calls[1][1][1] == "first"
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
    assert [c[0] for c in fake.calls] == ["read_turn", "record_feedback"]
    feedback = fake.calls[1][1][1]
    assert (feedback.kind, feedback.item_ref, feedback.value) == ("rating", "first", 4.0)
    assert messages[0]["text"].startswith("Noted")
    assert events == []


def test_feedback_whose_title_understanding_drops_is_the_search_it_reads_as(fake, tracker, ent, run, domain):
    """"not a love story" as feedback on the title "love" (seen in the simulator: it disliked Love!
    Valour! Compassion!) is a search without romance."""
    fake.kind_of_turn, fake.names_an_item = "search", False
    t = tracker("not a love story", "feedback", [ent("title", "love")])
    run(ActionRecordFeedback(fake), t, domain)
    assert [c[0] for c in fake.calls] == ["read_turn", "recommend"]


def test_a_title_liked_in_words_is_recorded_and_more_like_it_shown(fake, tracker, ent, run, domain):
    """"I loved Toy Story, anything similar?" was acknowledged with "I'll find more like it" and
    then nothing was shown: the like is stored and the same turn shows the list."""
    fake.kind_of_turn, fake.names_an_item = "search", True
    t = tracker("I loved Toy Story, anything similar?", "feedback", [ent("title", "Toy Story")])
    messages, events = run(ActionRecordFeedback(fake), t, domain)
    assert [c[0] for c in fake.calls] == ["read_turn", "record_feedback", "recommend"]
    assert messages[0]["text"].startswith("Noted: like")
    assert messages[1]["custom"]["type"] == "recommendations"
    assert "dialogue_state" in slot_events(events)


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("I hated Toy Story", [("title", "Toy Story"), ("kind", "dislike")]),  # not a taste to find more of
        ("loved the first one", [("ordinal", "first"), ("kind", "like")]),  # about the list just shown
        ('/feedback{"item_id":"1","kind":"like"}', [("item_id", "1"), ("kind", "like")]),  # a press on a card
    ],
)
def test_other_feedback_only_acknowledges(fake, tracker, ent, run, domain, text, entities):
    fake.kind_of_turn, fake.names_an_item = "search", True
    messages, _ = run(ActionRecordFeedback(fake), tracker(text, "feedback", [ent(*e) for e in entities]), domain)
    assert "recommend" not in [c[0] for c in fake.calls]
    assert [m.get("text", "")[:6] for m in messages] == ["Noted:"]


def test_show_saved(fake, tracker, run, domain):
    messages, events = run(ActionShowSaved(fake), tracker("show my saved items", "show_saved"), domain)
    assert messages[0]["custom"]["type"] == "saved_items"
    assert [i["item_id"] for i in messages[0]["custom"]["items"]] == ["50"]
    assert events == []


def test_forget_me_resets_slots_and_restarts_the_conversation(fake, tracker, run, domain):
    messages, events = run(ActionForgetMe(fake), tracker("yes", "affirm", slots={"dialogue_state": {"genres": ["Comedy"]}},
                                                         after="utter_confirm_forget"), domain)
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
    (record,) = [r for r in caplog.records if r.name == "recommender.actions._base"]
    if response == "utter_something_went_wrong":  # ours to fix: logged with its traceback
        assert record.levelname == "ERROR" and record.exc_info
    else:  # the person's doing: a warning; the message only when it cannot quote their words
        assert record.levelname == "WARNING" and not record.exc_info
        assert type(error).__name__ in record.getMessage()
        assert (str(error) in record.getMessage()) is not error.quotes_user_text
    # the conversation by its pseudonymous id: the raw sender id is personal data
    assert log_id(user_key("rest", "conv-42"), get_settings().user_id_secret) in record.getMessage()
    assert "conv-42" not in record.getMessage()


def test_invalid_feedback_gets_a_hint(failing, tracker, run, domain):
    messages, _ = run(ActionRecordFeedback(failing(InvalidFeedbackError("rating 9"))), tracker(intent="feedback"), domain)
    text = messages[0]["text"] or ""
    assert "rate" in text or messages[0]["response"]


@pytest.mark.parametrize("action_class", ALL_ACTIONS)
def test_unexpected_exceptions_never_reach_the_user(action_class, failing, tracker, run, domain, caplog):
    t = tracker(sender_id="c-7", after="utter_confirm_forget")  # forgetting runs only right after its question
    messages, events = run(action_class(failing(RuntimeError("boom: secret detail"))), t, domain)
    assert [m["response"] for m in messages] == ["utter_something_went_wrong"]
    assert all("boom" not in (m["text"] or "") and "Traceback" not in (m["text"] or "") for m in messages)
    assert events == []
    assert any(log_id(user_key("rest", "c-7"), get_settings().user_id_secret) in r.getMessage() and r.exc_info for r in caplog.records)
    assert not any("c-7" in r.getMessage() for r in caplog.records)


def test_without_a_domain_the_fallback_text_is_sent(failing, tracker, run):
    messages, _ = run(ActionRecommend(failing(UnknownItemError("x"))), tracker(), {})
    assert messages[0]["text"] and messages[0]["response"] is None


def test_default_service_is_created_lazily(monkeypatch, tracker, run, domain, fake):
    import recommender.actions._service as service_module

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
        assert [c[0] for c in fake.calls] == ["recommend", "misrouted_search", "explain"]
    finally:
        service_module.reset_default_service()


def test_already_seen_said_as_feedback_is_an_exclusion_not_a_rating(fake, tracker, ent, run, domain):
    """"we already saw the first two" once became a 2/5 rating; now those items are left out."""
    fake.kind_of_turn = "seen"
    t = tracker("we already saw the first two", "feedback", [ent("rating", "two")], slots={"last_item_ids": ["1", "2"]})
    messages, events = run(ActionRecordFeedback(fake), t, domain)
    assert [c[0] for c in fake.calls] == ["read_turn", "recommend"]
    assert messages[0]["custom"]["type"] == "recommendations"
    assert "dialogue_state" in slot_events(events)


def test_a_taste_said_as_feedback_without_an_item_is_a_search(fake, tracker, ent, run, domain):
    fake.kind_of_turn = "search"
    messages, _ = run(ActionRecordFeedback(fake), tracker("I like westerns", "feedback", [ent("kind", "like")]), domain)
    assert [c[0] for c in fake.calls] == ["read_turn", "recommend"]
    assert messages[0]["custom"]["type"] == "recommendations"


def test_feedback_on_a_named_item_stays_feedback_even_with_genre_words(fake, tracker, ent, run, domain):
    fake.kind_of_turn = "search"
    t = tracker("loved the second one, great comedy", "feedback", [ent("kind", "loved"), ent("ordinal", "second")])
    run(ActionRecordFeedback(fake), t, domain)
    assert [c[0] for c in fake.calls] == ["read_turn", "record_feedback"]


@pytest.mark.parametrize(("intent", "response"), [
    ("out_of_scope", "utter_out_of_scope"), ("nlu_fallback", "utter_default"), ("help", "utter_help"),
    ("deny", "utter_help"), ("affirm", "utter_help"), ("greet", "utter_greet"),
])
def test_fallback_redirects_what_is_not_a_search(fake, tracker, run, domain, intent, response):
    messages, events = run(ActionFallback(fake), tracker("what's the weather tomorrow", intent), domain)
    assert [m["response"] for m in messages] == [response] and events == []
    assert [c[0] for c in fake.calls] == ["read_turn"]


def test_fallback_answers_a_search_the_nlu_missed(fake, tracker, run, domain):
    fake.kind_of_turn = "search"
    messages, events = run(ActionFallback(fake), tracker("got any war movies?", "out_of_scope"), domain)
    assert [c[0] for c in fake.calls] == ["read_turn", "recommend"]
    assert messages[0]["custom"]["type"] == "recommendations" and "dialogue_state" in slot_events(events)


def test_a_goodbye_says_goodbye_unless_it_is_a_search_without_a_farewell(fake, tracker, run, domain):
    messages, _ = run(ActionFallback(fake), tracker("thanks, bye!", "goodbye"), domain)
    assert [m["response"] for m in messages] == ["utter_goodbye"]
    assert [c[0] for c in fake.calls] == ["misrouted_search"]
    fake.calls.clear()
    fake.kind_of_turn = "search"  # "year-wise i'm thinking late 70's", sent to goodbye in the simulator
    messages, _ = run(ActionFallback(fake), tracker("year-wise i'm thinking late 70's", "goodbye"), domain)
    assert [c[0] for c in fake.calls] == ["misrouted_search", "recommend"]
    assert messages[0]["custom"]["type"] == "recommendations"


def test_a_greeting_that_holds_a_search_is_answered_as_one(fake, tracker, run, domain):
    """Found talking to `make run`: this got the greeting alone, and the wish was lost."""
    fake.kind_of_turn = "search"
    messages, events = run(ActionFallback(fake), tracker("hey, got anything creepy from the early eighties?", "greet"),
                           domain)
    assert [c[0] for c in fake.calls] == ["read_turn", "recommend"]
    assert messages[0]["custom"]["type"] == "recommendations" and "dialogue_state" in slot_events(events)


@pytest.mark.parametrize(("last_response", "answer"), [("utter_greet", "recommendations"), ("utter_help", None)])
def test_a_yes_to_the_greetings_offer_asks_for_a_list(fake, tracker, run, domain, last_response, answer):
    t = tracker("yes please", "affirm")
    t.events.insert(0, {"event": "bot", "text": "Hi! Want some suggestions now?", "metadata": {"utter_action": last_response}})
    messages, _ = run(ActionFallback(fake), t, domain)
    if answer:
        assert [c[0] for c in fake.calls] == ["recommend"] and messages[0]["custom"]["type"] == answer
    else:
        assert [m["response"] for m in messages] == ["utter_help"]


@pytest.mark.parametrize(("action", "text", "intent"), [
    (ActionShowSaved, "show me science fiction", "show_saved"),
    (ActionExplain, "show me something that makes me laugh", "ask_why"),
])
def test_a_search_the_nlu_sent_to_saved_or_why_is_answered_as_a_search(fake, tracker, run, domain, action, text,
                                                                        intent):
    """Found in the simulator: these got "You haven't saved anything yet" and "I haven't recommended anything yet"."""
    fake.kind_of_turn = "search"
    messages, events = run(action(fake), tracker(text, intent), domain)
    assert [c[0] for c in fake.calls] == ["misrouted_search", "recommend"]
    assert messages[0]["custom"]["type"] == "recommendations" and "dialogue_state" in slot_events(events)


def test_forgetting_without_the_question_just_before_asks_and_deletes_nothing(fake, tracker, run, domain):
    """A "yes" that is not the answer to "Are you sure?" (a policy's guess) must not delete anything."""
    messages, events = run(ActionForgetMe(fake), tracker("yes", "affirm"), domain)
    assert [m["response"] for m in messages] == ["utter_confirm_forget"] and events == []
    assert "forget_user" not in [c[0] for c in fake.calls]


def test_forget_me_is_asked_about_first(fake, tracker, run, domain):
    messages, events = run(ActionConfirmForget(fake), tracker("delete my data", "forget_me"), domain)
    assert [m["response"] for m in messages] == ["utter_confirm_forget"] and events == []


def test_a_search_taken_for_forget_me_is_answered_as_a_search(fake, tracker, run, domain):
    """"forget the decade" is forget_me to the NLU: it got "This will permanently delete your likes ..."."""
    fake.kind_of_turn = "search"
    messages, events = run(ActionConfirmForget(fake), tracker("forget the decade", "forget_me"), domain)
    assert [c[0] for c in fake.calls] == ["misrouted_search", "recommend"]
    assert messages[0]["custom"]["type"] == "recommendations" and "dialogue_state" in slot_events(events)
