"""Dialogue state -> the structured query of one turn: hard filters, seeds, notices.

Moved out of the service so there is one reading of the state: what the ranker filters on is
exactly what `DialogueState.summary` shows. When nothing new passes every filter, constraints
are loosened one at a time in a fixed order (moods, "X or Y", the years, then the oldest wanted
genre) and the reply says which one and why; exclusions and items already shown or seen are
never loosened.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from rapidfuzz import fuzz

from recommender.context import display_title
from recommender.dialogue.state import DialogueState, describe_era
from recommender.phrases import genre_name, join, say
from recommender.profile import Profile
from recommender.retrieval.filters import HardFilters
from recommender.retrieval.index import CatalogIndex

NOTICE_NO_PEOPLE = "people"
NOTICE_NO_GENRES = "genres"


@dataclass(frozen=True)
class QueryPlan:
    """Everything the ranker needs for one turn, plus what the reply must tell the person."""

    filters: HardFilters
    mood_groups: tuple[tuple[str, tuple[str, ...]], ...]
    seeds: dict[int, float]
    negative_seeds: dict[int, float]
    people: tuple[str, ...]
    notices: tuple[str, ...]
    relaxed: tuple[str, ...]  # constraints loosened this turn: "mood:funny", "genre:Drama", "years", ...
    summary: str  # the state in one line, as the ranker used it
    state: DialogueState  # the state with one-time notices recorded
    mask: np.ndarray  # candidate rows after any loosening


def plan_query(
    state: DialogueState, index: CatalogIndex, profile: Profile, k: int, *,
    unknown: tuple[tuple[str, str], ...] = (), lang: str = "en",
) -> QueryPlan:
    """Filters, seeds and loosening for `state`; `unknown` (word, attribute) pairs are mentioned once each;
    the notices and the summary are written in `lang`."""
    notices: list[str] = []
    if (state.genres or state.exclude_genres or state.genre_options or state.moods) and not index.genre_names:
        state, said = _once(state, NOTICE_NO_GENRES)
        if said:
            notices.append(say("no_genre_info", lang))
    state, unknown_said = unknown_notices(state, unknown, lang)
    notices += unknown_said
    people = state.people
    if (people or state.exclude_people) and not any(item.people for item in index.items):
        state, said = _once(state, NOTICE_NO_PEOPLE)
        if said:
            notices.append(say("no_people_info", lang, people=join(people, lang)) if people
                           else say("no_people_info_exclude", lang, people=join(state.exclude_people, lang)))
        state, people = replace(state, people=(), exclude_people=()), ()
    seeds, negative = _seeds(state, index, profile)
    exclude_ids = frozenset(
        state.shown_items + state.rejected_items + state.seen_items + state.liked_items + profile.seen
    )
    moods = tuple((m.word, m.genres) for m in state.moods)
    filters = HardFilters(
        genre_groups=tuple((g,) for g in state.genres)
        + ((state.genre_options,) if state.genre_options else ())
        + tuple(gs for _, gs in moods),
        exclude_genres=state.exclude_genres,
        year_from=state.year_from,
        year_to=state.year_to,
        exclude_item_ids=exclude_ids,
    )
    if state.exclude_people:  # never loosened, as genres ruled out are not
        filters = replace(filters, exclude_item_ids=filters.exclude_item_ids | _rows_with(index, state.exclude_people))
    mask = _mask(index, filters, people)
    relaxed: list[str] = []
    loosened_state = state
    order = _loosening_order(state)
    # a constraint nothing in the catalog meets ("from the 2000s" where the newest film is from 1998)
    # goes first: keeping it could only empty the list, whatever else is dropped
    impossible = [key for key in order if not _alone(index, state, key).any()]
    for key in impossible + [key for key in order if key not in impossible]:
        if mask.any():
            break
        filters, people, loosened_state, why = _loosen(key, filters, people, loosened_state, state, lang)
        if key == "years" and key in impossible:
            why = say("no_titles_from_era", lang, era=describe_era(state.year_from, state.year_to, lang))
        relaxed.append(key)
        notices.append(why)
        mask = _mask(index, filters, people)
    if not relaxed and 0 < int(mask.sum()) < k and state.constrained:
        notices.append(say("only_n_match", lang, n=int(mask.sum()), s="s" if mask.sum() != 1 else ""))
    titles = {index.items[index.position[i]].item_id: display_title(index.items[index.position[i]].title)
              for i in state.liked_items if i in index.position}
    return QueryPlan(
        filters=filters,
        mood_groups=tuple((w, gs) for w, gs in moods if gs in filters.genre_groups),
        seeds=seeds,
        negative_seeds=negative,
        people=people,
        notices=tuple(notices),
        relaxed=tuple(relaxed),
        summary=(loosened_state if relaxed else state).summary(titles, lang),
        state=state,
        mask=mask,
    )


def unknown_notices(
    state: DialogueState, unknown: tuple[tuple[str, str], ...], lang: str = "en"
) -> tuple[DialogueState, list[str]]:
    """One notice per (word, attribute) the catalog does not know, the first time it comes up."""
    notices = []
    for word, attribute in unknown:
        state, said = _once(state, f"unknown:{attribute}:{word.lower()}")
        if said and attribute == "title":
            notices.append(say("unknown_title", lang, word=word))
        elif said and attribute == "word":
            notices.append(say("unknown_word", lang, word=word))
        elif said:
            notices.append(say("unknown_attribute", lang, word=word, attribute=attribute))
    return state, notices


def _once(state: DialogueState, key: str) -> tuple[DialogueState, bool]:
    if key in state.notified:
        return state, False
    return replace(state, notified=(*state.notified, key)), True


def _seeds(state: DialogueState, index: CatalogIndex, profile: Profile) -> tuple[dict[int, float], dict[int, float]]:
    """Rows to recommend like (this conversation's references weigh most, the newest most of all)."""
    seeds: dict[int, float] = {}
    for item_id in profile.liked:
        row = index.position.get(item_id)
        if row is not None:
            rating = profile.ratings.get(item_id)
            seeds[row] = max(seeds.get(row, 0.0), 1.0 if rating is None else (rating - 3.0) / 2.0)
    liked_rows = [index.position[i] for i in state.liked_items if i in index.position]
    for n, row in enumerate(liked_rows):
        seeds[row] = 2.0 if n == len(liked_rows) - 1 else 1.0
    negative = {index.position[i]: 1.0 for i in (*profile.disliked, *state.rejected_items) if i in index.position}
    return seeds, negative


def _mask(index: CatalogIndex, filters: HardFilters, people: tuple[str, ...]) -> np.ndarray:
    mask = filters.mask(index)
    if people:
        wanted = [p.lower() for p in people]
        mask &= np.array(
            [any(fuzz.partial_ratio(w, p.lower()) >= 90 for w in wanted for p in it.people) for it in index.items]
        )
    return mask


def _rows_with(index: CatalogIndex, people: tuple[str, ...]) -> frozenset[str]:
    """The ids of the items any of `people` worked on (the same fuzzy match as looking for them)."""
    names = [p.lower() for p in people]
    return frozenset(it.item_id for it in index.items
                     if any(fuzz.partial_ratio(n, p.lower()) >= 90 for n in names for p in it.people))


def _loosening_order(state: DialogueState) -> list[str]:
    """What may be loosened, in order: soft moods first, then the hard constraints from the oldest
    statement to the newest (what the person said last is kept longest); exclusions never."""
    moods = [f"mood:{m.word}" for m in state.moods]
    hard = [k for k in state.stated if not k.startswith("mood:")]
    hard += [k for k in state.constraint_keys() if k not in hard and not k.startswith("mood:")]
    return moods + hard


def _alone(index: CatalogIndex, state: DialogueState, key: str) -> np.ndarray:
    """The catalog rows one loosenable constraint allows on its own (people: every row)."""
    if key.startswith("mood:"):
        return index.genre_mask(next(m.genres for m in state.moods if m.word == key.removeprefix("mood:")))
    if key == "genres_any":
        return index.genre_mask(state.genre_options)
    if key == "years":
        return HardFilters(year_from=state.year_from, year_to=state.year_to).mask(index)
    if key.startswith("genre:"):
        return index.genre_mask((key.removeprefix("genre:"),))
    return np.ones(len(index), dtype=bool)


def _loosen(
    key: str, filters: HardFilters, people: tuple[str, ...], state: DialogueState, asked: DialogueState,
    lang: str = "en",
) -> tuple[HardFilters, tuple[str, ...], DialogueState, str]:
    """Drop one constraint (`key`) from the filters and the shown state; returns the notice too."""
    if key.startswith("mood:"):
        mood = next(m for m in asked.moods if m.word == key.removeprefix("mood:"))
        groups = tuple(g for g in filters.genre_groups if g != mood.genres)
        return replace(filters, genre_groups=groups), people, replace(
            state, moods=tuple(m for m in state.moods if m != mood)
        ), say("loosened_mood", lang, word=mood.word)
    if key == "genres_any":
        groups = tuple(g for g in filters.genre_groups if g != asked.genre_options)
        options = join([genre_name(g, lang) for g in asked.genre_options], lang, "or")
        return replace(filters, genre_groups=groups), people, replace(state, genre_options=()), say(
            "loosened_options", lang, options=options
        )
    if key == "people":
        return filters, (), replace(state, people=()), say("loosened_people", lang, people=join(asked.people, lang))
    if key == "years":
        era = describe_era(asked.year_from, asked.year_to, lang)
        return replace(filters, year_from=None, year_to=None), people, replace(state, year_from=None, year_to=None), (
            say("loosened_years", lang, era=era)
        )
    genre = key.removeprefix("genre:")
    groups = tuple(g for g in filters.genre_groups if g != (genre,))
    return replace(filters, genre_groups=groups), people, replace(
        state, genres=tuple(g for g in state.genres if g != genre)
    ), say("loosened_genre", lang, genre=genre_name(genre, lang))
