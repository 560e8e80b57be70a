"""The held-out wording set: every act worded at least ten new ways, none shared with the default
set, every genre and era renders, no title leaks, and `--phrasings` picks the set."""

from __future__ import annotations

import random
import string

import pytest
from phrasing_checks import default_and, genre_renderings

from recommender.catalog.movielens import GENRES
from recommender.eval.simulator import phrasings
from recommender.eval.simulator.acts import Act, Era
from recommender.eval.simulator.phrasings_heldout import GENRE_WORDS, TEMPLATES, render
from recommender.eval.simulator.render import LeakageError, leaks, normalise
from recommender.eval.simulator.users import true_era

MIN_TEMPLATES = 10
_FIELDS = {"noun", "adj", "mass", "bare", "from"}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_act_type_of_the_default_set_is_worded() -> None:
    assert set(TEMPLATES) == set(phrasings.TEMPLATES)


@pytest.mark.parametrize("kind", sorted(phrasings.TEMPLATES))
def test_every_act_type_has_at_least_ten_distinct_templates(kind: str) -> None:
    assert len(set(TEMPLATES[kind])) == len(TEMPLATES[kind]) >= MIN_TEMPLATES


def test_no_template_is_shared_with_the_default_set() -> None:
    default = {normalise(t) for ts in phrasings.TEMPLATES.values() for t in ts}
    shared = sorted(t for ts in TEMPLATES.values() for t in ts if normalise(t) in default)
    assert not shared


def test_templates_use_only_known_placeholders() -> None:
    for kind, templates in TEMPLATES.items():
        for template in templates:
            used = _placeholders(template)
            assert used <= _FIELDS, (kind, template)
            if kind in ("opener", "older", "newer", "other", "no_preference"):
                assert not used, (kind, template)


def test_every_movielens_genre_has_held_out_words() -> None:
    assert set(GENRE_WORDS) == set(GENRES)
    for genre, words in GENRE_WORDS.items():
        assert len(words.nouns) >= 4 and len(words.adjs) >= 4 and len(words.masses) >= 3, genre


@pytest.mark.parametrize("genre", GENRES)
def test_every_template_renders_for_every_genre(genre: str) -> None:
    for key, seen in genre_renderings(render, genre):
        assert len(seen) >= len(TEMPLATES[key]), key


@pytest.mark.parametrize("year", [1926, 1939, 1955, 1968, 1973, 1977, 1984, 1990, 1995, 1998])
def test_era_acts_render_their_numbers(year: int) -> None:
    rng = random.Random(year)
    for _ in range(60):
        era = true_era(year, rng)
        assert era.contains(year)
        text = render(Act("era", era=era, answer=rng.random() < 0.5), rng)
        assert "{" not in text and "}" not in text
        if era.form in ("before", "after", "between", "around"):
            assert str(era.a) in text
        if era.form == "between":
            assert str(era.b) in text


def test_parts_of_a_decade_say_which_part() -> None:
    rng = random.Random(0)
    late = {render(Act("era", era=Era("part", 1970, year_from=1976, year_to=1979)), rng) for _ in range(200)}
    assert all("late" in t or "tail end" in t for t in late)
    early = {render(Act("era", era=Era("part", 1980, year_from=1980, year_to=1984)), rng) for _ in range(200)}
    assert all("early" in t or "start" in t for t in early)


@pytest.mark.parametrize("kind", ["opener", "older", "newer", "other", "no_preference"])
def test_critiques_render(kind: str) -> None:
    rng = random.Random(5)
    assert {render(Act(kind), rng) for _ in range(300)} == set(TEMPLATES[kind])  # type: ignore[arg-type]


def test_the_title_never_leaks() -> None:
    rng = random.Random(7)
    for genre, words in GENRE_WORDS.items():
        for title in (f"{words.nouns[1].title()} (1995)", f"{words.masses[0].title()} (1987)"):
            for kind in ("genre", "add_genre", "exclude"):
                for _ in range(40):
                    text = render(Act(kind, genre=genre), rng, title)  # type: ignore[arg-type]
                    assert not leaks(text, title), (title, text)


def test_a_title_every_wording_would_name_is_refused() -> None:
    with pytest.raises(LeakageError):
        render(Act("era", era=Era("before", 1990, year_to=1990)), random.Random(0), title="1990")


def test_a_dialogue_with_the_held_out_set_uses_its_words() -> None:
    default, heldout = default_and("heldout")
    assert default.turns[0].act == heldout.turns[0].act  # same user, same first act
    assert all(not t.leaked for d in (default, heldout) for t in d.turns)
    assert [t.text for t in default.turns] != [t.text for t in heldout.turns]
