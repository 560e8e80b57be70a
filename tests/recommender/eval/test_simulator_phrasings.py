"""The simulated user's wording: many phrasings per act and genre, and no title ever leaks."""

from __future__ import annotations

import argparse
import importlib
import random
import string

import pytest

from recommender.catalog.movielens import GENRES
from recommender.eval.simulator import phrasings
from recommender.eval.simulator.acts import Act, Era
from recommender.eval.simulator.catalog import SimulatorError
from recommender.eval.simulator.phrasings import GENRE_WORDS, TEMPLATES, decade_names, render, renderer
from recommender.eval.simulator.render import LeakageError, leaks, normalised_titles
from recommender.eval.simulator.users import true_era

MIN_TEMPLATES = 8


def test_every_movielens_genre_has_words_and_unknown_has_none() -> None:
    assert set(GENRE_WORDS) == set(GENRES)
    assert "unknown" not in GENRE_WORDS
    for genre, words in GENRE_WORDS.items():
        assert len(words.nouns) >= 4 and len(words.predicates) >= 3 and len(words.masses) >= 3, genre


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_every_act_has_at_least_eight_templates(kind: str) -> None:
    assert len(set(TEMPLATES[kind])) >= MIN_TEMPLATES


def test_slang_and_plural_words_from_the_brief_are_there() -> None:
    assert {"comedies", "something funny", "a laugh"} <= set(GENRE_WORDS["Comedy"].nouns)
    assert {"a gangster film", "a heist"} <= set(GENRE_WORDS["Crime"].nouns)
    assert {"sci-fi", "science fiction", "something set in space"} <= set(GENRE_WORDS["Sci-Fi"].nouns)
    assert {"a kids' movie", "a family film"} <= set(GENRE_WORDS["Children's"].nouns)
    assert "noir" in GENRE_WORDS["Film-Noir"].nouns
    assert {"a documentary", "a doc"} <= set(GENRE_WORDS["Documentary"].nouns)
    assert {"a musical", "something with singing"} <= set(GENRE_WORDS["Musical"].nouns)


@pytest.mark.parametrize("genre", GENRES)
def test_genre_acts_render_without_leftover_placeholders(genre: str) -> None:
    rng = random.Random(1)
    for kind in ("genre", "add_genre", "exclude"):
        for answer in (False, True):
            for _ in range(30):
                text = render(Act(kind, genre=genre, answer=answer), rng)  # type: ignore[arg-type]
                assert text and "{" not in text and "}" not in text


def test_era_acts_render_their_numbers() -> None:
    rng = random.Random(2)
    seen = set()
    for year in (1931, 1955, 1968, 1977, 1984, 1995, 1998):
        for _ in range(40):
            era = true_era(year, rng)
            text = render(Act("era", era=era, answer=rng.random() < 0.5), rng)
            assert "{" not in text
            seen.add(era.form)
            if era.form in ("before", "after", "between", "around"):
                assert str(era.a) in text
    assert seen == {"decade", "part", "before", "after", "between", "around"}


def test_decades_in_digits_and_words() -> None:
    assert set(decade_names(1980)) == {"the 1980s", "the 80s", "the '80s", "the eighties"}
    assert decade_names(2000) == ("the 2000s",)
    rng = random.Random(0)
    late = {render(Act("era", era=Era("part", 1970, year_from=1976, year_to=1979), answer=True), rng)
            for _ in range(200)}
    assert any("late" in t for t in late)


def test_titles_are_normalised_with_their_article_moved_back() -> None:
    assert normalised_titles("Godfather, The (1972)") == ("godfather", "the godfather")
    assert normalised_titles("Shanghai Triad (Yao a yao yao dao waipo qiao) (1995)") == ("shanghai triad",)
    assert normalised_titles("Star Wars (1977)") == ("star wars",)


def test_leakage_check_finds_the_title_as_whole_words_only() -> None:
    assert leaks("I loved The Godfather!", "Godfather, The (1972)")
    assert leaks("something like star-wars please", "Star Wars (1977)")
    assert not leaks("something from the 70s", "Star Wars (1977)")
    assert not leaks("I'm in the mood for a western", "M (1931)")  # "I'm" is not the word "m"
    assert not leaks("heated debate", "Heat (1995)")


def test_render_never_sends_a_wording_that_names_the_target() -> None:
    rng = random.Random(3)
    title = "Something Funny (1994)"  # one of the Comedy wordings
    texts = {render(Act("genre", genre="Comedy"), rng, title) for _ in range(300)}
    assert texts and not any(leaks(t, title) for t in texts)
    assert not any("something funny" in t for t in texts)


def test_render_refuses_when_every_wording_leaks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(phrasings.TEMPLATES, "other", ("other options",))
    with pytest.raises(LeakageError):
        render(Act("other"), random.Random(0), "Other Options (1990)")


def test_user_words_stay_plain_text() -> None:
    allowed = set(string.ascii_letters + string.digits + " ',.?!-")
    for kind, templates in TEMPLATES.items():
        for template in templates:
            text = template.replace("{noun}", "").replace("{pred}", "").replace("{mass}", "")
            text = text.replace("{from}", "").replace("{in}", "").replace("{bare}", "")
            assert set(text) <= allowed, (kind, template)


@pytest.mark.parametrize("name", phrasings.PHRASING_SETS)
def test_every_wording_set_is_chosen_by_name_everywhere(name: str) -> None:
    """The renderer, the run's config and `simulate --phrasings` know every set by the same name."""
    from dataclasses import asdict

    from recommender.commands import simulate
    from recommender.eval.simulator.run import SimConfig

    module = phrasings if name == "default" else importlib.import_module(f"recommender.eval.simulator.phrasings_{name}")
    assert renderer(name) is module.render
    assert asdict(SimConfig(phrasings=name))["phrasings"] == name
    parser = argparse.ArgumentParser()
    simulate.add_arguments(parser)
    assert parser.parse_args(["--phrasings", name]).phrasings == name


def test_the_default_set_is_the_default_and_an_unknown_one_is_refused() -> None:
    from dataclasses import asdict

    from recommender.commands import simulate
    from recommender.eval.simulator.run import SimConfig

    assert asdict(SimConfig())["phrasings"] == "default"

    with pytest.raises(SimulatorError):
        renderer("nope")
    parser = argparse.ArgumentParser()
    simulate.add_arguments(parser)
    assert parser.parse_args([]).phrasings == "default" and renderer() is phrasings.render
    with pytest.raises(SystemExit):
        parser.parse_args(["--phrasings", "other"])
