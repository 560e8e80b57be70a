"""Multi-turn conversations through the real service (small catalog, real SQLite): the state
accumulates what the person said, and what is shown honours it or says what was loosened."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.dialogue.state import DialogueState
from recommender.dialogue.turn import EntityHint
from recommender.profile import load_profile
from recommender.service import RecommenderService
from recommender.types import ConversationContext, RecommendationResult


def talk(service: RecommenderService, *messages: str, user: str = "ann") -> list[RecommendationResult]:
    ctx = ConversationContext(user=user, state=DialogueState())
    results = []
    for message in messages:
        intent, _, text = message.rpartition("|")
        result = service.recommend(replace(ctx, text=text, intent=intent or "request_recommendation"))
        results.append(result)
        ctx = replace(result.context, state=result.state)
    return results


def violations(result: RecommendationResult) -> list[str]:
    """Shown items that break the state the reply says it used."""
    state = result.state
    assert state is not None
    bad = []
    relaxed = set(result.relaxed)
    for rec in result.items:
        item = rec.item
        for genre in state.genres:
            if genre not in item.genres and f"genre:{genre}" not in relaxed:
                bad.append(f"{item.title} lacks {genre}")
        if state.genre_options and not set(state.genre_options) & set(item.genres) and "genres_any" not in relaxed:
            bad.append(f"{item.title} has none of {state.genre_options}")
        if set(state.exclude_genres) & set(item.genres):
            bad.append(f"{item.title} is {set(state.exclude_genres) & set(item.genres)}")
        if "years" not in relaxed and item.year is not None:
            if state.year_from is not None and item.year < state.year_from:
                bad.append(f"{item.title} before {state.year_from}")
            if state.year_to is not None and item.year > state.year_to:
                bad.append(f"{item.title} after {state.year_to}")
    return bad


def test_a_second_genre_narrows_instead_of_replacing(service: RecommenderService) -> None:
    _first, second = talk(service, "something with action", "it should also be a comedy")
    assert second.state is not None and second.state.genres == ("Action", "Comedy")
    assert second.items and all({"Action", "Comedy"} <= set(r.item.genres) for r in second.items)
    assert "Action + Comedy" in second.text


def test_exclusions_accumulate_over_turns(service: RecommenderService) -> None:
    *_, last = talk(service, "a comedy", "no horror", "nothing romantic either")
    assert last.state is not None and last.state.exclude_genres == ("Horror", "Romance")
    assert all(not {"Horror", "Romance"} & set(r.item.genres) for r in last.items)


def test_an_era_turn_keeps_the_genre(service: RecommenderService) -> None:
    """"got any war movies?" then "anything made before 1970?" returned 1969 films that were not war films."""
    war, older = talk(service, "got any war movies?", "anything made before 1970?")
    assert older.state is not None and older.state.genres == ("War",) and older.state.year_to == 1969
    assert violations(war) == [] and violations(older) == []


def test_a_missing_attribute_is_mentioned_once(service: RecommenderService) -> None:
    results = talk(service, "a comedy with Robin Williams", "something older", "other options")
    said = [any("Robin Williams" in n for n in r.notices) for r in results]
    assert said == [True, False, False]


def test_start_over_clears_the_search_but_never_repeats_items(service: RecommenderService) -> None:
    first, reset = talk(service, "a comedy from the 90s", "start_over|start over with a drama")
    assert reset.state is not None and reset.state.genres == ("Drama",) and reset.state.year_from is None
    assert not {r.item.item_id for r in first.items} & {r.item.item_id for r in reset.items}


def test_already_seen_excludes_without_a_rating(service: RecommenderService, store) -> None:  # type: ignore[no-untyped-def]
    first, after = talk(service, "a comedy", "feedback|we already saw the first two")
    seen = [r.item.item_id for r in first.items[:2]]
    assert after.state is not None and set(seen) <= set(after.state.seen_items)
    assert not set(seen) & {r.item.item_id for r in after.items}
    profile = load_profile(store, service.user_id(ConversationContext(user="ann")), service.settings.like_threshold)
    assert profile.ratings == {} and not profile.liked


def test_a_vague_opener_gets_one_question_then_a_list(service: RecommenderService) -> None:
    asked, answered = talk(service, "what should I watch tonight?", "hmm, not sure")
    assert asked.question is not None and asked.question.options and not asked.items
    assert answered.question is None and answered.items  # never two questions in a row


def test_surprise_me_recommends_at_once(service: RecommenderService) -> None:
    (result,) = talk(service, "surprise me")
    assert result.question is None and result.items
    (bored,) = talk(service, "I'm so bored", user="bored")
    assert bored.question is None and bored.items


def test_a_mood_shows_items_squarely_inside_it_first(service: RecommenderService) -> None:
    """"something to cheer me up" (any of Comedy, Children's, Musical, Romance) showed Men in Black,
    one of whose four genres touches the mood, and not Groundhog Day, all inside it (on MovieLens:
    Star Wars and Titanic first, for their Romance)."""
    (result,) = talk(service, "something to cheer me up")
    titles = [r.item.title for r in result.items]
    assert "Groundhog Day (1993)" in titles and "Men in Black (1997)" not in titles
    assert violations(result) == []


def test_loosening_is_said_and_named(service: RecommenderService) -> None:
    (western,) = talk(service, "a western")  # the small catalog has none: said, not silently ignored
    assert any("western" in n for n in western.notices) and western.state is not None
    assert not western.state.constrained
    _, loosened = talk(service, "a comedy from the 1940s", "it should also be a horror", user="bo")
    assert loosened.relaxed and any("loosen" in n or "other years" in n or "dropped" in n for n in loosened.notices)
    assert violations(loosened) == []


MESSAGES = st.sampled_from([
    "a comedy", "something with action", "it should also be a drama", "no horror", "nothing romantic",
    "from the 90s", "before 1990", "after 1980", "something older", "a bit newer", "other options",
    "more like the first one", "actually a thriller instead", "start_over|start over", "surprise me",
    "not too scary", "comedy or romance", "any decade is fine", "feedback|seen the second one already",
    "a sci-fi film", "like Toy Story but older", "doesn't have to be a drama",
])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(MESSAGES, min_size=1, max_size=6))
def test_shown_items_never_break_an_active_constraint_unless_the_reply_says_so(
    service: RecommenderService, messages: list[str]
) -> None:
    for result in talk(service, *messages, user="prop"):
        assert violations(result) == []
        assert all(r.item.item_id not in (result.state.seen_items if result.state else ()) for r in result.items)


def test_the_oldest_statement_is_loosened_first(service: RecommenderService) -> None:
    """"make it the 1990s" after the search ran dry must keep the 1990s and loosen what came before."""
    *_, last = talk(service, "a horror film", "something from the 1940s")  # no 1940s horror here
    assert last.relaxed == ("genre:Horror",)
    assert [r.item.title for r in last.items] == ["Casablanca (1942)"]
    assert violations(last) == []


def test_an_era_the_catalog_lacks_is_loosened_before_anything_said_earlier(service: RecommenderService) -> None:
    """"a romantic comedy", then "from the 2000s" in a catalog that ends in 1998 dropped the romance
    and the comedy ("nothing new is also Romance") and then the era too: a list of anything."""
    *_, last = talk(service, "a comedy", "from the 2000s")
    assert last.relaxed == ("years",)
    assert last.notices[0] == "The catalog has nothing from 2000s, so I looked at other years."
    assert last.items and all("Comedy" in r.item.genres for r in last.items)


def test_a_turn_the_nlu_did_not_route_is_a_search_only_when_it_asks_for_one(service: RecommenderService) -> None:
    def kind(text: str, intent: str = "out_of_scope", state: DialogueState | None = None) -> str:
        return service.read_turn(ConversationContext(user="k", text=text, intent=intent, state=state or DialogueState())).kind

    assert kind("got any war movies?") == "search"
    assert kind("nah, something with romance", "deny") == "search"
    assert kind("comedy pls", "nlu_fallback") == "search"
    assert kind("are you serious?") == "none"  # a word that implies a genre is not a request
    assert kind("I'm going to war with my boss") == "none"
    assert kind("what's the weather like") == "none"
    assert kind("a serious one", "nlu_fallback", DialogueState(asked="genre")) == "search"  # an answer
    assert kind("we already saw those", "feedback", DialogueState(last_items=("1", "2"))) == "seen"
    # the same test in Chinese (the NLU sent these to help and feedback in the Chinese simulator)
    assert kind("别给我恐怖的", "help") == "search"
    assert kind("我不太喜欢喜剧题材的", "feedback") == "search"
    assert kind("给我找个comedy吧", "nlu_fallback") == "search"
    assert kind("西红柿炒蛋怎么做") == "none"
    assert kind("再加个条件：甜一点") == "search"  # "add a condition: sweeter" (out_of_scope in the simulator)
    assert kind("could it also be romantic") == "search"
    assert kind("別的呢？", "nlu_fallback", DialogueState(last_items=("1", "2"))) == "search"  # after a list
    assert kind("others?", "nlu_fallback") == "none"  # nothing shown yet: nothing to show more of
    shown = DialogueState(last_items=("1", "2"))
    assert kind("nothing with aliens", "nlu_fallback", shown) == "search"  # a refusal after a list
    assert kind("these are too recent", "nlu_fallback", shown) == "search"
    assert kind("these are too recent", "nlu_fallback") == "none"  # nothing shown: no list to critique
    # a genre named as a thing to watch, at any length (the simulator's "I'd say a good drama" and
    # "I'd say a detective story" were out_of_scope and got the redirect)
    assert kind("I'd say a good drama") == "search"
    assert kind("well I would say a nice love story") == "search"
    assert kind("my brother and I are at war again") == "none"
    # boredom and "surprise me" ask for anything at all ("I'm bored" was a goodbye and ended the chat);
    # a bare yes is a Surprise act too, but asks for a list only right after an offer (action_fallback)
    assert kind("I'm bored", "goodbye") == "search"
    assert kind("ugh, so bored tonight. entertain me", "nlu_fallback") == "search"
    assert kind("need to kill some time", "out_of_scope") == "search"
    assert kind("surprise me", "nlu_fallback") == "search"
    assert kind("yes", "affirm") == "none"
    assert kind("this board game is boring") == "none"


def test_a_title_guess_understanding_drops_names_no_item(service: RecommenderService) -> None:
    """Seen in the simulator: "not a love story" as feedback disliked "Love! Valour! Compassion!",
    and "looking for an edge-of-my-seat film" liked "Ed"."""
    def names(text: str, title: str) -> bool:
        ctx = ConversationContext(user="k", text=text, intent="feedback", entities=(EntityHint("title", title),),
                                  state=DialogueState(last_items=("1", "2")))
        return service.read_turn(ctx).names_an_item

    assert not names("not a love story", "love")
    assert not names("looking for an edge-of-my-seat film", "edge-of-my-seat")
    assert names("I loved Toy Story", "Toy Story")


def test_a_search_sent_to_saved_items_or_why_is_answered_as_one(service: RecommenderService) -> None:
    """Seen in the simulator: "show me science fiction" got the saved list, "show me something that
    makes me laugh" the "why" answer."""
    def misrouted(text: str, intent: str) -> bool:
        return service.misrouted_search(ConversationContext(user="k", text=text, intent=intent, state=DialogueState()))

    assert misrouted("show me science fiction", "show_saved")
    assert misrouted("show me something that makes me laugh", "ask_why")
    assert not misrouted("show me my saved comedies", "show_saved")
    assert not misrouted("why these comedies?", "ask_why")
    assert not misrouted("what makes these good for a comedy night", "ask_why")
    assert not misrouted("为什么推荐这些喜剧", "ask_why")
    # the farewell's own words: "later!" is a goodbye, an era with no farewell in it is a search
    assert misrouted("year-wise i'm thinking late 70's", "goodbye")
    assert not misrouted("ok thanks, see you later", "goodbye")
    assert not misrouted("later!", "goodbye")
    assert misrouted("thanks! now something from the 80s", "goodbye")
    assert misrouted("got a bunch of guys over, beer and explosions kinda night", "goodbye")  # "night" said bye
    assert not misrouted("ok night!", "goodbye")
    assert not misrouted("show me what I saved", "show_saved")
    assert not misrouted("show me science fiction", "greet")  # only the intents that have their own words


def test_words_that_change_nothing_are_owned_up_to(service: RecommenderService) -> None:
    _, unclear = talk(service, "a comedy", "hmm, let me think about the vibe here")
    assert unclear.state is not None and unclear.state.genres == ("Comedy",)
    assert unclear.notices and unclear.notices[0].startswith("I didn't catch anything new")
    _, clear = talk(service, "a comedy", "other options", user="eve")
    assert not any(n.startswith("I didn't catch") for n in clear.notices)


def test_a_count_asked_for_holds_until_another_is_asked_for(service: RecommenderService) -> None:
    """"give me three comedies" showed the policy's count (the settings' 3 here, so four are asked for)."""
    four, more, two = talk(service, "give me four comedies", "other options", "just two more please")
    assert [len(r.items) for r in (four, more, two)] == [4, 4, 1]  # 9 comedies in the catalog: one left
    assert two.state is not None and two.state.count == 2
    assert all("Comedy" in r.item.genres for r in four.items + more.items + two.items)


def test_a_count_above_the_most_shown_is_capped_and_said(service: RecommenderService) -> None:
    (many,) = talk(service, "show me 25 comedies")
    assert many.state is not None and many.state.count == 10
    assert any("at most 10" in n for n in many.notices)


def test_older_is_fine_opens_the_window_and_keeps_the_genre(service: RecommenderService) -> None:
    """"older is fine" after an animated list moved the search before 1937, and the animation went."""
    nineties, older = talk(service, "a comedy from the 90s", "older is fine")
    assert older.state is not None and older.state.genres == ("Comedy",)
    assert (older.state.year_from, older.state.year_to) == (None, 1999)
    assert violations(nineties) == [] and violations(older) == [] and older.items


def test_a_title_the_person_hated_is_steered_away_from(service: RecommenderService) -> None:
    (after,) = talk(service, "i hated scream, something else please")
    assert after.state is not None and "5" in after.state.rejected_items and not after.state.liked_items
    assert "5" not in {r.item.item_id for r in after.items}


def test_a_hated_title_is_enough_to_recommend_without_a_question(service: RecommenderService) -> None:
    """"i hated titanic, give me something totally different" got the vague opener's question."""
    (after,) = talk(service, "i hated scream, give me something totally different")
    assert after.question is None and after.items
    assert "5" not in {r.item.item_id for r in after.items}


def test_the_last_years_are_the_catalogs_last_years(service: RecommenderService) -> None:
    """"from the last 10 years" counts back from the newest film the catalog has."""
    newest = max(i.year for i in service.bundles.current().index.items if i.year is not None)
    *_, last = talk(service, "a comedy", "from the last 10 years")
    assert last.state is not None and (last.state.year_from, last.state.year_to) == (newest - 9, None)
    assert last.items and all(r.item.year is not None and r.item.year >= newest - 9 for r in last.items)


def test_a_tone_refused_is_heard_while_the_genre_stays(service: RecommenderService) -> None:
    """"less dark" after thrillers was "nothing new heard": the dark mood's genre is wanted, so the
    refusal is a tone to have less of, and a mood of that tone asked for before is taken back."""
    *_, darker, lighter = talk(service, "a thriller", "something dark", "hmm, less dark")
    assert darker.state is not None and [m.word for m in darker.state.moods] == ["dark"]
    assert lighter.state is not None and lighter.state.genres == ("Thriller",) and lighter.items
    assert lighter.state.moods == () and lighter.state.avoid == ("dark",)
    assert "less “dark”" in lighter.text and not violations(lighter)


def test_a_person_refused_without_cast_data_is_said_once(service: RecommenderService) -> None:
    """"no Tom Cruise movies" was kept as words to rank lower, as if the catalog could tell; with no
    cast or crew data the bot says it cannot rule him out, and the search goes on."""
    *_, refused, later = talk(service, "a comedy", "no Tom Cruise movies", "something from the 90s")
    assert "can't rule out Tom Cruise" in refused.text and refused.items
    assert refused.state is not None and refused.state.avoid == () and refused.state.genres == ("Comedy",)
    assert "Tom Cruise" not in later.text


def test_what_a_complaint_named_is_kept_and_said(service: RecommenderService) -> None:
    """"nothing too cheesy" after comedies was heard as nothing; it is kept as what to have less of
    (a ranking signal over the item descriptions, never a filter) and shown in the summary."""
    _first, second, third = talk(service, "a comedy", "nothing too cheesy", "and no subtitles")
    assert third.state is not None and third.state.avoid == ("cheesy", "subtitles")
    assert third.state.genres == ("Comedy",) and third.items
    assert "less “cheesy; subtitles”" in third.text
    assert second.items and not violations(second)


def test_taking_back_a_filter_is_no_request_to_forget_the_person(service: RecommenderService) -> None:
    """"forget the decade" is forget_me to the NLU; it got "This will permanently delete your likes ..."."""
    state = DialogueState(genres=("Mystery",), year_from=1940, year_to=1949, last_items=("1", "2"))

    def misrouted(text: str) -> bool:
        return service.misrouted_search(ConversationContext(user="k", text=text, intent="forget_me", state=state))

    assert misrouted("forget the decade")
    assert misrouted("actually forget the year thing")
    assert not misrouted("forget me")
    assert not misrouted("forget everything about me")
    assert not misrouted("delete my ratings")
    assert not misrouted("忘掉我")
