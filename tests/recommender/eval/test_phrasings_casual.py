"""The casual English wording set: every act of the default set worded at least twelve new ways,
every genre and era form renders and says exactly its window, refusals only refuse, added genres
are added, neutral turns carry no genre or era word, no title leaks, and `--phrasings casual`
picks the set."""

from __future__ import annotations

import random
import re
import string

import pytest
from phrasing_checks import default_and, genre_renderings

from recommender.catalog.movielens import GENRES
from recommender.eval.simulator import phrasings, phrasings_heldout, phrasings_zh
from recommender.eval.simulator.acts import Act, Era
from recommender.eval.simulator.phrasings_casual import GENRE_WORDS, TEMPLATES, decade_names, era_phrases, render
from recommender.eval.simulator.render import LeakageError, leaks, normalise
from recommender.eval.simulator.users import true_era

MIN_TEMPLATES = 12
_FIELDS = {"noun", "pred", "mass", "when", "bare"}
_NEUTRAL_KINDS = ("opener", "older", "newer", "other", "no_preference")
# words that would state a genre or an era; none may appear in a template outside its own act
_GENRE_HINTS = ("funny", "laugh", "scary", "kid", "child", "family", "love", "romantic", "war", "action", "drama",
                "crime", "mystery", "western", "musical", "music", "song", "sing", "cartoon", "anim", "magic",
                "fantas", "thrill", "suspense", "horror", "adventur", "documentar", "noir", "sci", "cowboy", "dark",
                "comed", "feel-good", "classic")
_ERA_HINTS = ("old", "new", "recent", "modern", "dated", "ancient", "earlier", "later", "back", "decade", "year",
              "century", "era", "period")
_ADDS = ("too", "as well", "also", "on top of that", "plus", "at the same time")
_REFUSES = ("not", "n't", "except", "pass", "nah", "no ", "no more", "skip", "leave out", "filter out", "hates",
            "sick of", "avoid")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _bare_text(template: str) -> str:
    return re.sub(r"\{\w+\}", " ", template).lower()


def _has_word(text: str, stems: tuple[str, ...]) -> list[str]:
    return [s for s in stems if re.search(rf"\b{re.escape(s)}", text)]


def test_every_act_kind_of_the_default_set_is_worded() -> None:
    assert set(TEMPLATES) == set(phrasings.TEMPLATES)


@pytest.mark.parametrize("kind", sorted(phrasings.TEMPLATES))
def test_every_act_kind_has_at_least_twelve_distinct_templates(kind: str) -> None:
    assert len(set(TEMPLATES[kind])) == len(TEMPLATES[kind]) >= MIN_TEMPLATES


def test_most_templates_are_new_to_the_other_english_sets() -> None:
    # written without reading them: a few short everyday phrases ("any others?") may coincide, no more
    others = {normalise(t) for module in (phrasings, phrasings_heldout) for ts in module.TEMPLATES.values() for t in ts}
    every = [t for ts in TEMPLATES.values() for t in ts]
    shared = [t for t in every if normalise(t) in others]
    assert len(shared) <= 0.2 * len(every)


def test_templates_use_only_known_placeholders() -> None:
    for kind, templates in TEMPLATES.items():
        for template in templates:
            used = _placeholders(template)
            assert used <= _FIELDS, (kind, template)
            if kind in _NEUTRAL_KINDS:
                assert not used, (kind, template)
            if kind in ("era", "answer_era"):
                assert used and used <= {"when", "bare"}, (kind, template)
            if kind in ("genre", "answer_genre"):
                assert used and used <= {"noun", "mass"}, (kind, template)
            if kind == "add_genre":
                assert used == {"pred"}, (kind, template)
            if kind == "exclude":
                assert used == {"mass"}, (kind, template)


def test_templates_carry_no_genre_or_era_word_of_their_own() -> None:
    for kind, templates in TEMPLATES.items():
        for template in templates:
            text = _bare_text(template)
            assert not _has_word(text, _GENRE_HINTS), (kind, template)
            if kind not in ("era", "answer_era", "older", "newer"):
                assert not _has_word(text, _ERA_HINTS), (kind, template)


def test_added_genres_are_added_and_refusals_only_refuse() -> None:
    for template in TEMPLATES["add_genre"]:
        assert any(w in template for w in _ADDS), template
        assert not any(w in _bare_text(template) for w in (" not ", "n't", " no ", "instead", "rather")), template
    for template in TEMPLATES["exclude"]:
        assert any(w in template.lower() for w in _REFUSES), template


def test_the_style_is_casual() -> None:
    every = [t for ts in TEMPLATES.values() for t in ts]
    lower = [t for t in every if t == t.lower()]
    assert len(lower) >= 0.9 * len(every)
    joined = " ".join(every)
    for marker in ("tbh", "idk", "i guess", "maybe", "pls", "?"):
        assert marker in joined, marker
    words = " ".join(w for g in GENRE_WORDS.values() for w in g.nouns + g.predicates + g.masses)
    for typo in ("comdey", "thriler", "documentery", "mistery", "horor"):
        assert typo in words, typo


def test_the_forms_of_the_brief_are_there() -> None:
    joined = " ".join(t for ts in TEMPLATES.values() for t in ts)
    for form in ("i'm not really into {mass}", "{mass}, not my thing", "anything except {mass}", "pass on {mass}",
                 "{mass}? nah", "do you have any {mass}?", "and make it {pred} too", "{pred} as well would be ideal",
                 "these feel a bit dated", "go back further in time", "something more modern than these",
                 "got anything else?", "next batch", "whatever works", "surprise me on that one"):
        assert form in joined, form


def test_every_movielens_genre_has_casual_words() -> None:
    assert set(GENRE_WORDS) == set(GENRES) == set(phrasings_zh.GENRE_WORDS)
    for genre, words in GENRE_WORDS.items():
        assert len(set(words.nouns)) == len(words.nouns) >= 5, genre
        assert len(set(words.predicates)) == len(words.predicates) >= 4, genre
        assert len(set(words.masses)) == len(words.masses) >= 4, genre
        for word in words.nouns + words.predicates + words.masses:
            assert word.strip() == word and "{" not in word and "}" not in word, (genre, word)


def test_no_genre_word_names_another_genre() -> None:
    own = {"Action": "action", "Adventure": "adventur", "Animation": "anim", "Comedy": "comed", "Crime": "crime",
           "Documentary": "documentar", "Drama": "drama", "Fantasy": "fantas", "Horror": "horror",
           "Musical": "musical", "Mystery": "myster", "Romance": "roman", "Sci-Fi": "sci", "Thriller": "thrill",
           "War": "war", "Western": "western"}
    for genre, words in GENRE_WORDS.items():
        for word in words.nouns + words.predicates + words.masses:
            others = [g for g, stem in own.items() if g != genre and re.search(rf"\b{stem}", word)]
            assert not others, (genre, word, others)
    assert not any("romcom" in w for g in GENRE_WORDS.values() for w in g.nouns + g.masses)


@pytest.mark.parametrize("genre", GENRES)
def test_every_template_and_word_renders_for_every_genre(genre: str) -> None:
    words = GENRE_WORDS[genre]
    for key, seen in genre_renderings(render, genre):
        assert len(seen) >= len(TEMPLATES[key]), key
        said = " ".join(seen)
        if key == "genre":
            assert all(n in said for n in words.nouns), (key, genre)
        if key == "answer_genre":
            assert all(n in said for n in words.nouns + words.masses), (key, genre)
        if key == "add_genre":
            assert all(p in said for p in words.predicates), (key, genre)
        if key == "exclude":
            assert all(m in said for m in words.masses), (key, genre)


def _says_window(era: Era, text: str) -> bool:
    """Whether `text` states `era` in one of the ways this set words it."""
    a, b = era.a, era.b
    if era.form == "decade":
        return any(name in text for name in decade_names(a))
    if era.form == "part":
        words = {"early": ("early", "start of", "first half"), "mid": ("mid", "middle of"),
                 "late": ("late", "end of")}[_part(era)]
        return any(w in text for w in words) and any(n.removeprefix("the ") in text for n in decade_names(a))
    if era.form == "before":
        return str(a) in text and any(w in text for w in ("before", "pre-", "or earlier", "no later than", "up to",
                                                          "at the latest"))
    if era.form == "after":
        return str(a) in text and any(w in text for w in ("after", "post-", "or later", "onwards", "no earlier than",
                                                          "since"))
    if era.form == "between":
        assert b is not None
        full = str(a) in text and str(b) in text
        short = f"{a % 100:02d}" in text and f"{b % 100:02d}" in text and a >= 1950 and b <= 1999
        return (full or short) and any(w in text for w in ("between", " to ", "-"))
    return str(a) in text and any(w in text for w in ("around", "ish", "circa", "roughly", "or so", "give or take",
                                                      "thereabouts", "about"))


def _part(era: Era) -> str:
    offset = (era.year_from or era.a) - era.a
    return "early" if offset == 0 else ("late" if offset >= 6 else "mid")


@pytest.mark.parametrize("year", [1926, 1939, 1944, 1955, 1968, 1973, 1977, 1984, 1990, 1995, 1998])
def test_era_acts_state_exactly_their_window(year: int) -> None:
    rng = random.Random(year)
    forms = set()
    for _ in range(120):
        era = true_era(year, rng)
        assert era.contains(year)
        forms.add(era.form)
        text = render(Act("era", era=era, answer=rng.random() < 0.5), rng)
        assert "{" not in text and "}" not in text
        assert _says_window(era, text), (era, text)
        if era.form != "part":
            assert not re.search(r"\b(early|mid|late|start|end|half)\b", text), (era, text)
        if era.form not in ("before", "after"):
            assert not re.search(r"\b(before|after|earlier|later|since|onwards)\b", text), (era, text)
    assert forms == {"decade", "part", "before", "after", "between", "around"}


def test_every_era_template_renders_for_every_form() -> None:
    rng = random.Random(2)
    eras = [Era("decade", 1980, year_from=1980, year_to=1989), Era("part", 1990, year_from=1996, year_to=1999),
            Era("before", 1970, year_to=1970), Era("after", 1985, year_from=1985),
            Era("between", 1985, 1995, year_from=1985, year_to=1995), Era("around", 1990, year_from=1985, year_to=1995)]
    for era in eras:
        for answer, key in ((False, "era"), (True, "answer_era")):
            texts = {render(Act("era", era=era, answer=answer), rng) for _ in range(600)}
            assert len(texts) >= len(TEMPLATES[key])
            assert all(_says_window(era, t) for t in texts), era


def test_decades_in_digits_and_words() -> None:
    assert set(decade_names(1980)) == {"the 1980s", "1980s", "the 80s", "the 80's", "the '80s", "the eighties",
                                       "80s", "eighties"}
    assert set(decade_names(1910)) == {"the 1910s", "1910s"}
    assert "the noughties" in decade_names(2000)
    rng = random.Random(0)
    said = {era_phrases(Era("decade", 1990, year_from=1990, year_to=1999), rng)["bare"] for _ in range(300)}
    assert said == set(decade_names(1990))


@pytest.mark.parametrize(("part", "lo", "hi"), [("early", 0, 4), ("mid", 3, 7), ("late", 6, 9)])
def test_parts_of_a_decade_say_which_part(part: str, lo: int, hi: int) -> None:
    rng = random.Random(1)
    era = Era("part", 1980, year_from=1980 + lo, year_to=1980 + hi)
    words = {"early": ("early", "start", "first half"), "mid": ("mid",), "late": ("late", "end")}
    texts = {render(Act("era", era=era, answer=rng.random() < 0.5), rng) for _ in range(300)}
    for text in texts:
        assert any(w in text for w in words[part]), text
        assert not any(re.search(rf"\b{w}", text) for p, ws in words.items() if p != part for w in ws), text


def test_the_era_forms_of_the_brief() -> None:
    rng = random.Random(4)

    def said(era: Era) -> set[str]:
        out: set[str] = set()
        for _ in range(400):
            out.update(era_phrases(era, rng).values())
        return out

    assert {"pre-1970", "1970 or earlier", "no later than 1970"} <= said(Era("before", 1970, year_to=1970))
    assert {"1985 or later", "post-1985", "after 1985"} <= said(Era("after", 1985, year_from=1985))
    assert {"between 85 and 95", "between 1985 and 1995"} <= said(Era("between", 1985, 1995, year_from=1985,
                                                                      year_to=1995))
    assert "between 35 and 45" not in said(Era("between", 1935, 1945, year_from=1935, year_to=1945))
    assert {"give or take 1990", "around 1990"} <= said(Era("around", 1990, year_from=1985, year_to=1995))
    assert {"made in the 80s", "from the eighties"} <= said(Era("decade", 1980, year_from=1980, year_to=1989))
    assert {"from the late nineties", "the late 90s"} <= said(Era("part", 1990, year_from=1996, year_to=1999))


@pytest.mark.parametrize("kind", list(_NEUTRAL_KINDS))
def test_critiques_render_every_template(kind: str) -> None:
    rng = random.Random(5)
    assert {render(Act(kind), rng) for _ in range(400)} == set(TEMPLATES[kind])  # type: ignore[arg-type]


def test_older_and_newer_say_which_way() -> None:
    older = ("older", "further back", "back further", "back a bit more", "before all", "earlier", "too recent",
             "too new", "too modern")
    newer = ("newer", "more recent", "modern", "dated", "after all", "too old", "kinda old", "ancient", "later",
             "up to date")
    for template in TEMPLATES["older"]:
        assert any(w in template for w in older) and not any(w in template for w in ("newer", "dated", "ancient")), \
            template
    for template in TEMPLATES["newer"]:
        assert any(w in template for w in newer) and not any(w in template for w in ("older", "further back")), \
            template


def test_the_title_never_leaks_over_many_seeds() -> None:
    for seed in range(10):
        rng = random.Random(seed)
        for genre, words in GENRE_WORDS.items():
            for word in words.nouns + words.masses:
                title = f"{word.title()} (1995)"
                for kind in ("genre", "add_genre", "exclude"):
                    text = render(Act(kind, genre=genre, answer=seed % 2 == 0), rng, title)  # type: ignore[arg-type]
                    assert not leaks(text, title), (title, text)


def test_a_title_every_wording_would_name_is_refused() -> None:
    with pytest.raises(LeakageError):
        render(Act("era", era=Era("before", 1990, year_to=1990)), random.Random(0), title="1990")
    text = render(Act("era", era=Era("decade", 1990, year_from=1990, year_to=1999)), random.Random(0), title="1990")
    assert not leaks(text, "1990")


def test_a_dialogue_with_the_casual_set_uses_its_words() -> None:
    default, casual = default_and("casual")
    assert default.turns[0].act == casual.turns[0].act  # same user, same first act
    assert all(not t.leaked for d in (default, casual) for t in d.turns)
    assert [t.text for t in default.turns] != [t.text for t in casual.turns]
    templates = {t for ts in TEMPLATES.values() for t in ts}
    assert casual.turns[0].text in templates or casual.turns[0].act.kind != "opener"
