"""The actions against a small real `RecommenderService` (SQLite file): the contract holds end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from feedback_checks import assert_stored_feedback

from recommender.actions.explain import ActionExplain
from recommender.actions.feedback import ActionRecordFeedback
from recommender.actions.forget import ActionForgetMe
from recommender.actions.recommend import ActionRecommend
from recommender.actions.refine import ActionRefine
from recommender.actions.saved import ActionShowSaved
from recommender.config import Settings
from recommender.identity import pseudonymous_id, user_key
from recommender.service import RecommenderService
from recommender.store import Store

MOVIES = [
    ("1", "Toy Story (1995)", 1995, ["Animation", "Children's", "Comedy"]),
    ("2", "GoldenEye (1995)", 1995, ["Action", "Adventure", "Thriller"]),
    ("4", "Get Shorty (1995)", 1995, ["Action", "Comedy", "Drama"]),
    ("5", "Scream (1996)", 1996, ["Horror", "Thriller"]),
    ("6", "Groundhog Day (1993)", 1993, ["Comedy", "Romance"]),
    ("7", "Airplane! (1980)", 1980, ["Comedy"]),
    ("8", "Alien (1979)", 1979, ["Action", "Horror", "Sci-Fi"]),
    ("9", "Godfather, The (1972)", 1972, ["Action", "Crime", "Drama"]),
    ("10", "Annie Hall (1977)", 1977, ["Comedy", "Romance"]),
    ("11", "Babe (1995)", 1995, ["Children's", "Comedy", "Drama"]),
    ("12", "Men in Black (1997)", 1997, ["Action", "Adventure", "Comedy", "Sci-Fi"]),
    ("14", "Ghostbusters (1984)", 1984, ["Comedy", "Horror"]),
    ("15", "Casablanca (1942)", 1942, ["Drama", "Romance", "War"]),
    ("16", "Clueless (1995)", 1995, ["Comedy", "Romance"]),
    ("17", "Big Lebowski, The (1998)", 1998, ["Comedy", "Crime"]),
]
RATINGS = {"a": ["1", "11", "6", "12"], "b": ["1", "16", "17"], "c": ["2", "8", "12"], "d": ["9", "10", "15", "7"]}
SECRET = "action-test-secret"


@pytest.fixture
def service(tmp_path) -> RecommenderService:
    settings = Settings(var_dir=tmp_path, default_k=3, user_id_secret=SECRET, knn_shrinkage=0.0)
    store = Store(settings.resolved_database_url)
    store.migrate()
    store.upsert_items([
        {"item_id": i, "title": t, "year": y, "genres": g, "people": [], "description": "", "url": "", "attributes": {}}
        for i, t, y, g in MOVIES
    ])
    store.upsert_users([{"user_id": f"test:{u}", "source": "test"} for u in RATINGS])
    start = datetime(2000, 1, 1, tzinfo=UTC)
    store.add_feedback_bulk([
        {"user_id": f"test:{u}", "item_id": i, "kind": "rating", "value": 5.0, "source": "test",
         "created_at": start + timedelta(minutes=n)}
        for n, (u, ids) in enumerate(RATINGS.items()) for i in ids
    ])
    return RecommenderService(store=store, settings=settings)


class Conversation:
    """Keeps slots between turns the way Rasa would (SlotSet / AllSlotsReset)."""

    def __init__(self, tracker, run, domain, sender: str) -> None:
        self.tracker, self.run, self.domain, self.sender = tracker, run, domain, sender
        self.slots: dict = {}

    def turn(self, action, text, intent, entities=(), slot_values=None, after=None):
        self.slots.update(slot_values or {})
        t = self.tracker(text, intent, list(entities), dict(self.slots), "rest", self.sender, after)
        messages, events = self.run(action, t, self.domain)
        for e in events:
            if e["event"] == "slot":
                self.slots[e["name"]] = e["value"]
            elif e["event"] == "reset_slots":
                self.slots = {}
        return messages


def test_a_whole_conversation(service, tracker, ent, run, domain):
    chat = Conversation(tracker, run, domain, "real-1")
    (msg,) = chat.turn(ActionRecommend(service), "a comedy from the 90s", "request_recommendation",
                       [ent("genre", "comedy"), ent("decade", "90s")], {})
    items = msg["custom"]["items"]
    assert len(items) == 3
    by_id = {m[0]: m for m in MOVIES}
    for item in items:
        _, title, year, genres = by_id[item["item_id"]]
        assert "Comedy" in genres and 1990 <= year <= 1999 and item["title"] == title
    first, second = items[0]["item_id"], items[1]["item_id"]

    (msg,) = chat.turn(ActionRefine(service), '/refine{"refinement":"other options"}', "refine",
                       [ent("refinement", "other options")])
    assert not {i["item_id"] for i in msg["custom"]["items"]} & {i["item_id"] for i in items}

    (msg,) = chat.turn(ActionExplain(service), "why these?", "ask_why")
    assert msg["text"] and "Here" in msg["text"]

    # feedback on the first list by button payload, on the latest list by words
    (msg,) = chat.turn(ActionRecordFeedback(service), f'/feedback{{"item_id":"{first}","kind":"bookmark"}}',
                       "feedback", [ent("item_id", first), ent("kind", "bookmark")])
    assert "Saved" in msg["text"]
    (msg,) = chat.turn(ActionRecordFeedback(service), "I loved the second one", "feedback",
                       [ent("kind", "loved"), ent("ordinal", "second")])
    assert msg["text"].startswith("Noted")
    latest_second = chat.slots["last_item_ids"][1]
    assert latest_second != second

    (msg,) = chat.turn(ActionShowSaved(service), "show my saved items", "show_saved")
    assert msg["custom"]["type"] == "saved_items" and [i["item_id"] for i in msg["custom"]["items"]] == [first]

    user = pseudonymous_id(user_key("rest", "real-1"), SECRET)
    sent = [(user, first, "bookmark", None), (user, latest_second, "like", None)]
    assert_stored_feedback(service.store, sent)

    (msg,) = chat.turn(ActionRecordFeedback(service), '/feedback{"item_id":"99999999","kind":"like"}', "feedback",
                       [ent("item_id", "99999999"), ent("kind", "like")])
    assert msg["response"] == "utter_unknown_item"
    assert_stored_feedback(service.store, sent)  # the refused unknown item stored nothing

    (msg,) = chat.turn(ActionForgetMe(service), "yes", "affirm", after="utter_confirm_forget")
    assert_stored_feedback(service.store, [], users=[user])
    assert chat.slots == {}


def test_feedback_words_the_nlu_tags_oddly_are_still_feedback(service, tracker, ent, run, domain):
    """"the middle one looks good" came with the kind entities "middle" and "good" and no ordinal: the
    first kind ("middle") was no feedback kind, and the turn was not taken to name an item."""
    chat = Conversation(tracker, run, domain, "real-2")
    (msg,) = chat.turn(ActionRecommend(service), "a comedy from the 90s", "request_recommendation",
                       [ent("genre", "comedy"), ent("decade", "90s")], {})
    middle = msg["custom"]["items"][1]["item_id"]  # three shown: the middle one is the second
    messages = chat.turn(ActionRecordFeedback(service), "the middle one looks good", "feedback",
                         [ent("kind", "middle"), ent("kind", "good")])
    assert messages[0]["text"].startswith("Noted")
    user = pseudonymous_id(user_key("rest", "real-2"), SECRET)
    assert_stored_feedback(service.store, [(user, middle, "like", None)])


def test_undo_said_as_a_no_goes_back_one_step(service, tracker, ent, run, domain):
    """"undo that" is a "deny" to the NLU: it got the help text, and the 90s stayed."""
    from recommender.actions.fallback import ActionFallback

    chat = Conversation(tracker, run, domain, "real-3")
    chat.turn(ActionRecommend(service), "a comedy", "request_recommendation", [ent("genre", "comedy")], {})
    (msg,) = chat.turn(ActionRecommend(service), "from the 90s", "request_recommendation", [ent("decade", "90s")])
    assert msg["custom"]["state"]["year_from"] == 1990
    (msg,) = chat.turn(ActionFallback(service), "undo that", "deny")
    assert msg["custom"]["state"]["genres"] == ["Comedy"] and msg["custom"]["state"]["year_from"] is None


def test_a_question_about_an_item_sent_as_a_refine_is_answered(service, tracker, ent, run, domain):
    """"tell me more about #4" is a refine to the NLU: it got five more like #4 instead of #4 itself."""
    chat = Conversation(tracker, run, domain, "real-4")
    (msg,) = chat.turn(ActionRecommend(service), "a comedy", "request_recommendation", [ent("genre", "comedy")], {})
    second = msg["custom"]["items"][1]
    (msg,) = chat.turn(ActionRefine(service), "tell me more about #2", "refine", [ent("ordinal", "#2")])
    assert not msg.get("custom") and msg["text"].startswith(second["title"])


def test_feedback_kind_from_the_nlu_on_list_items_the_words_point_at(service, tracker, ent, run, domain):
    """"thumbs down on all of them" and "the last two, meh" got "Which movie do you mean?"."""
    chat = Conversation(tracker, run, domain, "real-5")
    (msg,) = chat.turn(ActionRecommend(service), "a comedy", "request_recommendation", [ent("genre", "comedy")], {})
    shown = [i["item_id"] for i in msg["custom"]["items"]]
    (msg,) = chat.turn(ActionRecordFeedback(service), "the last two, meh", "feedback",
                       [ent("ordinal", "last two"), ent("kind", "meh")])
    assert msg["text"].startswith("Got it")
    user = pseudonymous_id(user_key("rest", "real-5"), SECRET)
    assert_stored_feedback(service.store, [(user, i, "dislike", None) for i in shown[-2:]])


@pytest.mark.parametrize("text", ["ok cool thx", "lol thanks"])
def test_thanks_alone_is_answered_in_kind(service, tracker, run, domain, text):
    from recommender.actions.fallback import ActionFallback

    chat = Conversation(tracker, run, domain, "real-6")
    (msg,) = chat.turn(ActionFallback(service), text, "out_of_scope", [], {})
    assert msg["text"].startswith("You're welcome")
