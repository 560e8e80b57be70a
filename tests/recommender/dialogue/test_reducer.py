"""reduce(state, acts): table-driven rules and hypothesis properties over random act sequences."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.dialogue.acts import (
    AddGenres,
    AddMood,
    AddPerson,
    Avoid,
    ClearEra,
    DropGenres,
    ExcludeGenres,
    LikeItems,
    OtherOptions,
    RejectItems,
    ReplaceGenres,
    Reset,
    SeenItems,
    SetCount,
    SetEra,
    ShiftEra,
    Surprise,
    Undo,
    WidenEra,
    Wish,
)
from recommender.dialogue.reducer import record_shown, reduce
from recommender.dialogue.state import DialogueState, Mood

S = DialogueState


@pytest.mark.parametrize(
    ("before", "acts", "after"),
    [
        (S(), [AddGenres(("Adventure",)), AddGenres(("Drama",))], S(genres=("Adventure", "Drama"))),
        (S(genres=("Adventure", "Drama")), [ReplaceGenres(("Comedy",))], S(genres=("Comedy",))),
        (S(exclude_genres=("Horror",)), [ExcludeGenres(("Thriller",)), ExcludeGenres(("Crime",))],
         S(exclude_genres=("Horror", "Thriller", "Crime"))),
        (S(genres=("Comedy", "Horror")), [ExcludeGenres(("Horror",))], S(genres=("Comedy",), exclude_genres=("Horror",))),
        (S(exclude_genres=("Horror",)), [AddGenres(("Horror",))], S(genres=("Horror",))),
        (S(genres=("Drama",)), [DropGenres(("Drama",))], S()),
        (S(), [AddGenres(("Comedy", "Drama"), any_of=True)], S(genre_options=("Comedy", "Drama"))),
        (S(genre_options=("Comedy", "Drama")), [ExcludeGenres(("Drama",))], S(exclude_genres=("Drama",))),
        (S(genres=("War",)), [SetEra(None, 1969, replace=False)], S(genres=("War",), year_to=1969)),
        (S(year_from=1980, year_to=1989), [SetEra(None, 1969, replace=False)], S(year_to=1969)),
        (S(year_from=1980), [SetEra(None, 1989, replace=False)], S(year_from=1980, year_to=1989)),
        (S(year_from=1980, year_to=1989), [SetEra(1990, 1999)], S(year_from=1990, year_to=1999)),
        (S(year_from=1990, year_to=1999), [ShiftEra(-1)], S(year_from=1980, year_to=1989)),
        (S(year_from=1990, year_to=1999), [ShiftEra(1)], S(year_from=2000, year_to=2009)),
        (S(), [ShiftEra(-1, pivot=1995)], S(year_to=1994)),
        (S(year_from=1990, year_to=1999), [ShiftEra(-1, pivot=1996)], S(year_from=1990, year_to=1995)),
        (S(year_from=1990, year_to=1999), [ShiftEra(1, pivot=1993)], S(year_from=1994, year_to=1999)),
        (S(year_from=1990, year_to=1999), [ShiftEra(-1, pivot=1990)], S(year_from=1980, year_to=1989)),
        (S(year_from=1986, year_to=1989), [ShiftEra(-1, pivot=1988)], S(year_from=1986, year_to=1987)),
        (S(year_from=1986, year_to=1989), [ShiftEra(-1, pivot=1986)], S(year_from=1982, year_to=1985)),
        (S(year_from=1986, year_to=1989), [ShiftEra(1, pivot=1987)], S(year_from=1988, year_to=1989)),
        (S(year_to=2009), [ShiftEra(1, pivot=1997)], S(year_from=1998, year_to=2009)),
        (S(year_from=1970), [ShiftEra(-1, pivot=1985)], S(year_from=1970, year_to=1984)),
        (S(year_from=1970), [ShiftEra(-1, pivot=1970)], S(year_to=1969)),
        (S(year_to=1969), [ClearEra()], S()),
        (S(year_from=1990, year_to=1999), [WidenEra(-1)], S(year_to=1999)),
        (S(year_from=1990, year_to=1999), [WidenEra(1)], S(year_from=1990)),
        (S(genres=("Animation",)), [WidenEra(-1)], S(genres=("Animation",))),
        (S(), [SetCount(3)], S(count=3)),
        (S(), [SetCount(40)], S(count=10)),
        (S(genres=("War",), count=3), [Reset()], S()),
        (S(), [AddMood("exciting", ("Action", "Thriller"))], S(moods=(Mood("exciting", ("Action", "Thriller")),))),
        (S(exclude_genres=("Thriller",)), [AddMood("exciting", ("Action", "Thriller"))],
         S(exclude_genres=("Thriller",), moods=(Mood("exciting", ("Action",)),))),
        (S(rejected_items=("6",)), [LikeItems(("6",))], S(liked_items=("6",))),
        (S(liked_items=("6",)), [RejectItems(("6",))], S(rejected_items=("6",))),
        (S(), [SeenItems(("1", "2"))], S(seen_items=("1", "2"))),
        (S(genres=("War",), shown_items=("1",), seen_items=("2",)), [Reset()], S(shown_items=("1",), seen_items=("2",))),
        (S(genres=("War",)), [OtherOptions(), Surprise()], S(genres=("War",))),
        (S(), [Wish("a heist with a twist"), Wish("a heist with a twist")], S(wish=("a heist with a twist",))),
    ],
)
def test_reduce(before: DialogueState, acts: list[object], after: DialogueState) -> None:
    got = replace(reduce(before, acts), stated=(), undo="")  # the order of statements and undo are tested below
    assert got == S(**{**after.to_dict(), "moods": after.moods, "turns": before.turns + 1})  # type: ignore[arg-type]


def test_stated_keeps_the_order_of_statements() -> None:
    state = reduce(S(), [AddGenres(("Adventure",))])
    state = reduce(state, [SetEra(1990, 1999)])
    state = reduce(state, [AddGenres(("Drama",))])
    assert state.stated == ("genre:Adventure", "years", "genre:Drama")
    state = reduce(state, [ShiftEra(-1)])  # restating the years makes them the newest
    assert state.stated == ("genre:Adventure", "genre:Drama", "years")
    state = reduce(state, [ExcludeGenres(("Adventure",))])
    assert state.stated == ("genre:Drama", "years")
    assert reduce(state, [Reset()]).stated == ()


def test_record_shown_keeps_the_list_and_never_forgets_earlier_ones() -> None:
    state = record_shown(record_shown(S(), ["1", "2"]), ["3"])
    assert state.last_items == ("3",) and state.shown_items == ("1", "2", "3")


def test_summary_line() -> None:
    state = S(genres=("Adventure", "Drama"), year_from=1990, year_to=1999, exclude_genres=("Thriller", "Crime"))
    assert state.summary() == "Adventure + Drama · 1990s · not Thriller or Crime"
    assert S(year_to=1969, liked_items=("6",)).summary({"6": "Heat (1995)"}) == "before 1970 · like Heat (1995)"


# ------------------------------------------------------------------------------ properties
GENRES = ("Action", "Comedy", "Drama", "Horror", "Romance", "Thriller", "War", "Western")
genre = st.sampled_from(GENRES)
genres = st.lists(genre, min_size=1, max_size=3, unique=True).map(tuple)
year = st.integers(min_value=1920, max_value=2020)
ids = st.lists(st.sampled_from([str(i) for i in range(1, 30)]), min_size=1, max_size=3, unique=True).map(tuple)
act = st.one_of(
    st.builds(AddGenres, genres, st.booleans()),
    st.builds(ReplaceGenres, genres, st.booleans()),
    st.builds(ExcludeGenres, genres),
    st.builds(DropGenres, genres),
    st.builds(AddMood, st.sampled_from(["exciting", "dark", "light"]), genres),
    st.builds(SetEra, st.none() | year, st.none() | year, st.booleans()),
    st.builds(ShiftEra, st.sampled_from([-1, 1]), st.none() | year),
    st.just(ClearEra()),
    st.builds(AddPerson, st.sampled_from(["Robin Williams", "Meryl Streep"])),
    st.builds(LikeItems, ids),
    st.builds(RejectItems, ids),
    st.builds(SeenItems, ids),
    st.just(OtherOptions()),
    st.builds(Wish, st.sampled_from(["a heist", "about friendship"])),
    st.just(Reset()),
    st.just(Surprise()),
)
turns = st.lists(st.lists(act, max_size=4), min_size=1, max_size=6)


def _run(history: list[list[object]]) -> DialogueState:
    state = S()
    for acts in history:
        state = reduce(state, acts)  # type: ignore[arg-type]
    return state


@settings(max_examples=300, deadline=None)
@given(turns, genres)
def test_an_exclusion_never_becomes_a_wish(history: list[list[object]], excluded: tuple[str, ...]) -> None:
    """After "no X" nothing but an explicit later wish for X (or starting over) brings X back."""
    state = reduce(_run(history), [ExcludeGenres(excluded)])
    for later in [[OtherOptions()], [SetEra(1990, 1999)], [ShiftEra(-1, 1995)], [LikeItems(("3",))],
                  [SeenItems(("4",))], [AddMood("dark", excluded)], [DropGenres(excluded)]]:
        after = reduce(state, later)  # type: ignore[arg-type]
        wanted = set(after.genres) | set(after.genre_options) | {g for m in after.moods for g in m.genres}
        assert not wanted & set(excluded)
        assert set(excluded) <= set(after.exclude_genres)


@settings(max_examples=300, deadline=None)
@given(turns, st.lists(st.one_of(
    st.builds(SetEra, st.none() | year, st.none() | year, st.booleans()), st.builds(ShiftEra, st.sampled_from([-1, 1])),
    st.builds(LikeItems, ids), st.builds(RejectItems, ids), st.builds(SeenItems, ids), st.just(OtherOptions()),
    st.builds(Wish, st.just("x y")), st.builds(AddPerson, st.just("Someone")), st.just(Surprise()),
), min_size=1, max_size=4))
def test_a_constraint_is_never_silently_dropped(history: list[list[object]], unrelated: list[object]) -> None:
    """Acts about other attributes leave the genre constraints exactly as they were."""
    state = _run(history)
    after = reduce(state, unrelated)  # type: ignore[arg-type]
    assert (after.genres, after.genre_options, after.exclude_genres, after.moods) == (
        state.genres, state.genre_options, state.exclude_genres, state.moods
    )


@settings(max_examples=300, deadline=None)
@given(turns, genres)
def test_a_new_genre_narrows_and_keeps_every_earlier_one(history: list[list[object]], added: tuple[str, ...]) -> None:
    state = _run(history)
    after = reduce(state, [AddGenres(added)])
    assert set(state.genres) <= set(after.genres) and set(added) <= set(after.genres)
    assert not set(added) & set(after.exclude_genres)
    assert set(state.exclude_genres) - set(added) <= set(after.exclude_genres)


@settings(max_examples=200, deadline=None)
@given(turns)
def test_the_state_survives_its_slot(history: list[list[object]]) -> None:
    """What the tracker stores and gives back is the same state (an action-server restart loses nothing)."""
    import json

    state = record_shown(_run(history), ["7", "8"])
    assert DialogueState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


@settings(max_examples=200, deadline=None)
@given(turns)
def test_a_year_window_is_never_inverted(history: list[list[object]]) -> None:
    state = _run(history)
    if state.year_from is not None and state.year_to is not None:
        assert state.year_from <= state.year_to


def test_a_forged_state_slot_stays_small() -> None:
    forged = {"shown_items": [str(i) for i in range(100_000)], "genres": ["x" * 10_000], "moods": [{"word": "w"}] * 999}
    state = DialogueState.from_dict(forged)
    assert len(state.shown_items) == 500 and len(state.genres[0]) == 200 and len(state.moods) == 20


def test_what_to_have_less_of_accumulates_once_each_and_keeps_the_last_three() -> None:
    state = reduce(DialogueState(), [Avoid("gory"), Avoid("gory"), Avoid("subtitles")])
    assert state.avoid == ("gory", "subtitles")
    state = reduce(state, [Avoid("cheesy"), Avoid("talking")])
    assert state.avoid == ("subtitles", "cheesy", "talking")
    assert state.constrained
    assert DialogueState.from_dict(state.to_dict()).avoid == state.avoid


def test_undo_goes_back_one_change_and_keeps_what_was_shown() -> None:
    """"undo that" after "from the 90s" kept the 90s (it was read as nothing, or as starting over)."""
    state = reduce(S(), [AddGenres(("Comedy",))])
    state = reduce(replace(state, shown_items=("1", "2"), last_items=("1", "2")), [SetEra(1990, 1999)])
    state = reduce(state, [SeenItems(("3",))])  # a turn that changes no search leaves the undo as it was
    undone = reduce(state, [Undo()])
    assert (undone.genres, undone.year_from, undone.year_to) == (("Comedy",), None, None)
    assert undone.shown_items == ("1", "2") and undone.seen_items == ("3",) and undone.turns == 4
    assert reduce(undone, [Undo()]).year_from is None  # used up: a second undo changes nothing


def test_a_forged_undo_is_dropped_not_fatal() -> None:
    for forged in ("{not json", '{"genres": 5, "year_from": "x"}', "[]", "x" * 30_000):
        state = S.from_dict({"genres": ["Drama"], "undo": forged})
        assert reduce(state, [Undo()]).turns == 1
