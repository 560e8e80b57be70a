"""`reduce(state, acts) -> state`: the one place where a turn changes the search. Pure.

Rules, in one sentence each:
- later statements win over earlier ones only where they conflict (wanting a genre lifts its
  exclusion and excluding one drops it from the wanted ones; two genres that do not conflict
  narrow together);
- an open era bound ("before 1970") keeps the other side when the two still make a window,
  a closed window ("the 1980s") replaces the old one;
- references liked, rejected or seen are remembered by catalog id, rejected and seen ones are
  never shown again;
- a count asked for ("three comedies") holds until another is asked for or the search is reset;
- `Reset` clears the search but keeps what was shown, so nothing is repeated;
- `Undo` goes back to the search before the last turn that changed it (once: the undo is used up);
- `stated` remembers the order of statements, so loosening starts with the oldest one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from recommender.dialogue.acts import (
    Act,
    AddGenres,
    AddMood,
    AddPerson,
    AllowGenres,
    Avoid,
    ClearEra,
    DropGenres,
    ExcludeGenres,
    ExcludePerson,
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
    Unknown,
    WidenEra,
    Wish,
)
from recommender.dialogue.count import MAX_COUNT
from recommender.dialogue.state import MAX_REMEMBERED_ITEMS, DialogueState, Mood

MAX_WISHES = 3


def reduce(state: DialogueState, acts: Sequence[Act]) -> DialogueState:
    """The state after one user turn's acts, applied in order. A turn that changes the search
    remembers the search before it, so that "undo that" can go back one step."""
    before = state.search_json()
    for act in acts:
        state = _restated(state, _apply(state, act))
    if not any(isinstance(a, Undo) for a in acts) and state.search_json() != before:
        state = replace(state, undo=before)
    return replace(state, turns=state.turns + 1)


def _restated(before: DialogueState, after: DialogueState) -> DialogueState:
    """Keep `stated` in order of statement: what this act set or changed moves to the end."""
    old, new = before.constraint_keys(), after.constraint_keys()
    touched = [k for k in new if old.get(k) != new[k]]
    kept = [k for k in after.stated if k in new and k not in touched]
    unknown = [k for k in new if k not in kept and k not in touched]
    return replace(after, stated=(*unknown, *kept, *touched))


def _apply(state: DialogueState, act: Act) -> DialogueState:
    if isinstance(act, AddGenres):
        if act.any_of and len(act.genres) > 1:
            return _want(state, (), options=act.genres)
        return _want(state, act.genres)
    if isinstance(act, ReplaceGenres):
        cleared = replace(state, genres=(), genre_options=(), moods=())
        if act.any_of and len(act.genres) > 1:
            return _want(cleared, (), options=act.genres)
        return _want(cleared, act.genres)
    if isinstance(act, ExcludeGenres):
        out = set(act.genres)
        return replace(
            state,
            exclude_genres=_union(state.exclude_genres, act.genres),
            genres=tuple(g for g in state.genres if g not in out),
            genre_options=_options_without(state.genre_options, out),
            moods=tuple(
                Mood(m.word, kept) for m in state.moods if (kept := tuple(g for g in m.genres if g not in out))
            ),
        )
    if isinstance(act, DropGenres):
        out = set(act.genres)
        return replace(
            state,
            genres=tuple(g for g in state.genres if g not in out),
            genre_options=_options_without(state.genre_options, out),
            moods=tuple(m for m in state.moods if not out & set(m.genres)),
        )
    if isinstance(act, AllowGenres):
        return replace(state, exclude_genres=tuple(g for g in state.exclude_genres if g not in act.genres))
    if isinstance(act, AddMood):
        genres = tuple(g for g in act.genres if g not in state.exclude_genres)
        avoid = tuple(a for a in state.avoid if not _same_tone(a, act.word))  # "darker is fine after all"
        if not genres or any(m.word == act.word for m in state.moods):
            return replace(state, avoid=avoid)
        return replace(state, moods=(*state.moods, Mood(act.word, genres)), avoid=avoid)
    if isinstance(act, SetEra):
        return _set_era(state, act)
    if isinstance(act, ShiftEra):
        return _shift_era(state, act)
    if isinstance(act, ClearEra):
        return replace(state, year_from=None, year_to=None)
    if isinstance(act, WidenEra):
        return replace(state, year_from=None) if act.direction < 0 else replace(state, year_to=None)
    if isinstance(act, AddPerson):
        return replace(state, people=_union(state.people, (act.name,)),
                       exclude_people=tuple(p for p in state.exclude_people if p.lower() != act.name.lower()))
    if isinstance(act, ExcludePerson):
        return replace(state, exclude_people=_union(state.exclude_people, (act.name,)),
                       people=tuple(p for p in state.people if p.lower() != act.name.lower()))
    if isinstance(act, LikeItems):
        return replace(
            state,
            liked_items=_union(state.liked_items, act.item_ids),
            rejected_items=_without(state.rejected_items, act.item_ids),
        )
    if isinstance(act, RejectItems):
        return replace(
            state,
            rejected_items=_capped(_union(state.rejected_items, act.item_ids)),
            liked_items=_without(state.liked_items, act.item_ids),
        )
    if isinstance(act, SeenItems):
        return replace(state, seen_items=_capped(_union(state.seen_items, act.item_ids)))
    if isinstance(act, SetCount):
        return replace(state, count=min(max(act.count, 1), MAX_COUNT))
    if isinstance(act, Avoid):
        moods = tuple(m for m in state.moods if not _same_tone(m.word, act.text))  # "something dark", then "less dark"
        if not act.text or act.text in state.avoid:
            return replace(state, moods=moods)
        return replace(state, avoid=(*state.avoid, act.text)[-MAX_WISHES:], moods=moods)
    if isinstance(act, Wish):
        text = act.text.strip()
        if not text or text in state.wish:
            return state
        return replace(state, wish=(*state.wish, text)[-MAX_WISHES:])
    if isinstance(act, Reset):
        return DialogueState(
            shown_items=state.shown_items, seen_items=state.seen_items, rejected_items=state.rejected_items,
            last_items=state.last_items, notified=state.notified, turns=state.turns,
        )
    if isinstance(act, Undo):
        return state.undone()
    if isinstance(act, (OtherOptions, Surprise, Unknown)):
        return state  # they change what the turn does, not what is searched for
    raise TypeError(f"unknown act {act!r}")


def record_shown(state: DialogueState, item_ids: Sequence[str]) -> DialogueState:
    """After a list was shown: remember it for "the second one" and never show it again."""
    if not item_ids:
        return state
    return replace(state, last_items=tuple(item_ids), shown_items=_capped(_union(state.shown_items, item_ids)))


def record_notice(state: DialogueState, key: str) -> DialogueState:
    """Remember that a one-time notice ("no cast data") was given."""
    return state if key in state.notified else replace(state, notified=(*state.notified, key))


def _want(state: DialogueState, genres: Iterable[str], options: Sequence[str] = ()) -> DialogueState:
    genres = tuple(genres)
    lifted = set(genres) | set(options)
    wanted = _union(state.genres, genres)
    new_options = tuple(g for g in options if g not in wanted)
    if options and len(new_options) < 2:  # "comedy or drama" where one is already required
        new_options = ()
    return replace(
        state,
        genres=wanted,
        genre_options=new_options if options else _options_without(state.genre_options, set(genres)),
        exclude_genres=tuple(g for g in state.exclude_genres if g not in lifted),
    )


def _options_without(options: tuple[str, ...], out: set[str]) -> tuple[str, ...]:
    """An any-of group loses `out`; with one left it is no choice at all, so it goes."""
    kept = tuple(g for g in options if g not in out)
    if len(kept) == len(options):
        return options
    return kept if len(kept) > 1 else ()


def _set_era(state: DialogueState, act: SetEra) -> DialogueState:
    year_from, year_to = act.year_from, act.year_to
    if year_from is not None and year_to is not None and year_from > year_to:
        year_from, year_to = year_to, year_from
    if act.replace or (year_from is not None and year_to is not None):
        return replace(state, year_from=year_from, year_to=year_to)
    new_from = year_from if year_from is not None else state.year_from
    new_to = year_to if year_to is not None else state.year_to
    if new_from is not None and new_to is not None and new_from > new_to:
        # "before 1970" after "the 1980s": the new bound wins, the old side goes
        new_from, new_to = (year_from, None) if year_from is not None else (None, year_to)
    return replace(state, year_from=new_from, year_to=new_to)


def _shift_era(state: DialogueState, act: ShiftEra) -> DialogueState:
    """"Older": older than what was just shown (before `pivot`, read from the last list by understand),
    keeping the window's start where it still fits, however narrow ("late 80s" then "older" stays in
    the late 80s: a critique narrows what was said, it does not take it back); "newer": newer than
    all of it, keeping the window's end. A window the pivot leaves no room in moves back or forward
    by its width; an open side is opened further."""
    older = act.direction < 0
    year_from, year_to = state.year_from, state.year_to
    closed = year_from is not None and year_to is not None
    width = (year_to - year_from + 1) if closed else 0  # type: ignore[operator]
    if act.pivot is not None:
        if older:
            new_to = act.pivot - 1
            if year_to is not None:
                new_to = min(new_to, year_to)
            if year_from is None or new_to >= year_from:
                return replace(state, year_to=new_to)
        else:
            new_from = act.pivot + 1
            if year_from is not None:
                new_from = max(new_from, year_from)
            if year_to is None or new_from <= year_to:
                return replace(state, year_from=new_from)
    if closed:
        assert year_from is not None and year_to is not None
        return replace(
            state,
            year_from=year_from - width if older else year_to + 1,
            year_to=year_from - 1 if older else year_to + width,
        )
    if older:
        bound = year_from if year_from is not None else act.pivot if act.pivot is not None else year_to
        return state if bound is None else replace(state, year_from=None, year_to=bound - 1)
    bound = year_to if year_to is not None else act.pivot if act.pivot is not None else year_from
    return state if bound is None else replace(state, year_from=bound + 1, year_to=None)


def _union(old: Sequence[str], new: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*old, *new)))


def _without(old: Sequence[str], out: Iterable[str]) -> tuple[str, ...]:
    gone = set(out)
    return tuple(v for v in old if v not in gone)


def _capped(ids: tuple[str, ...]) -> tuple[str, ...]:
    return ids[-MAX_REMEMBERED_ITEMS:]


def _same_tone(a: str, b: str) -> bool:
    """Whether two mood words name one tone: "dark" and "darker", "light" and "lighter"."""
    a, b = a.lower(), b.lower()
    return a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)))
