"""The Chinese wording set: every act of the default set worded many ways in Chinese, every genre
and era form renders in Chinese, no title leaks (also next to Chinese characters), and
`--phrasings zh` picks the set."""

from __future__ import annotations

import random
import re
import string

import pytest
from phrasing_checks import default_and, genre_renderings

from recommender.catalog.movielens import GENRES
from recommender.eval.simulator import phrasings
from recommender.eval.simulator.acts import Act, Era
from recommender.eval.simulator.phrasings_zh import GENRE_WORDS, TEMPLATES, decade_names, era_phrases, leaks_zh, render
from recommender.eval.simulator.render import LeakageError, leaks
from recommender.eval.simulator.users import true_era

MIN_TEMPLATES = 9
_FIELDS = {"noun", "pred", "mass", "bare"}
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CHINESE_NUMBERS = {1920: "二十", 1930: "三十", 1940: "四十", 1950: "五十", 1960: "六十", 1970: "七十",
                    1980: "八十", 1990: "九十"}
_SPOKEN = {1920: "二零", 1930: "三零", 1940: "四零", 1950: "五零", 1960: "六零", 1970: "七零", 1980: "八零",
           1990: "九零"}
_PART_WORDS = {"early": ("初", "早期", "前半"), "mid": ("中",), "late": ("末", "后期", "后半")}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_act_kind_of_the_default_set_is_worded() -> None:
    assert set(TEMPLATES) == set(phrasings.TEMPLATES)


@pytest.mark.parametrize("kind", sorted(phrasings.TEMPLATES))
def test_every_act_kind_has_many_distinct_templates(kind: str) -> None:
    assert len(set(TEMPLATES[kind])) == len(TEMPLATES[kind]) >= MIN_TEMPLATES


def test_templates_use_only_known_placeholders_and_are_chinese() -> None:
    for kind, templates in TEMPLATES.items():
        han = [t for t in templates if _HAN.search(t) or t in ("{noun}", "{bare}")]
        assert len(han) == len(templates), kind
        for template in templates:
            used = _placeholders(template)
            assert used <= _FIELDS, (kind, template)
            if kind in ("opener", "older", "newer", "other", "no_preference"):
                assert not used, (kind, template)
            if kind in ("era", "answer_era"):
                assert used == {"bare"}, (kind, template)
            if kind in ("genre", "add_genre", "exclude", "answer_genre"):
                assert used and used <= {"noun", "pred", "mass"}, (kind, template)


def test_every_movielens_genre_has_chinese_words() -> None:
    assert set(GENRE_WORDS) == set(GENRES)
    for genre, words in GENRE_WORDS.items():
        assert len(set(words.nouns)) >= 5 and len(set(words.preds)) >= 4 and len(set(words.masses)) >= 3, genre
        for word in words.nouns + words.preds:
            assert word.strip() == word and "{" not in word, (genre, word)
        assert sum(bool(_HAN.search(w)) for w in words.nouns) >= 4, genre


def test_the_genre_words_of_the_brief_are_there() -> None:
    expected = {
        "Action": "动作", "Adventure": "冒险", "Animation": "动画", "Children's": "儿童", "Comedy": "喜剧",
        "Crime": "犯罪", "Documentary": "纪录片", "Drama": "剧情片", "Fantasy": "奇幻", "Film-Noir": "黑色电影",
        "Horror": "恐怖", "Musical": "歌舞", "Mystery": "悬疑", "Romance": "爱情", "Sci-Fi": "科幻",
        "Thriller": "惊悚", "War": "战争", "Western": "西部",
    }
    for genre, word in expected.items():
        assert any(word in n for n in GENRE_WORDS[genre].nouns), genre
        assert any(word in m for m in GENRE_WORDS[genre].masses), genre
    assert {"搞笑片", "搞笑的电影"} & set(GENRE_WORDS["Comedy"].nouns)
    assert "黑帮片" in GENRE_WORDS["Crime"].nouns
    assert "文艺片" in GENRE_WORDS["Drama"].nouns
    assert "吓人的" in GENRE_WORDS["Horror"].masses
    assert "音乐剧" in GENRE_WORDS["Musical"].nouns
    assert "推理片" in GENRE_WORDS["Mystery"].nouns
    assert "牛仔片" in GENRE_WORDS["Western"].nouns
    assert "小孩看的电影" in GENRE_WORDS["Children's"].nouns
    assert "sci-fi" in GENRE_WORDS["Sci-Fi"].nouns  # mixed Chinese-English: "来点sci-fi"


@pytest.mark.parametrize("genre", GENRES)
def test_every_template_and_word_renders_for_every_genre(genre: str) -> None:
    words = GENRE_WORDS[genre]
    for key, seen in genre_renderings(render, genre):
        assert all(_HAN.search(text) for text in seen), seen
        assert len(seen) >= len(TEMPLATES[key]), key
        said = " ".join(seen)
        if key in ("genre", "answer_genre"):
            assert all(n in said for n in words.nouns), (key, genre)
        if key == "add_genre":
            assert all(p in said for p in words.preds), (key, genre)
        if key == "exclude":
            assert all(m in said for m in words.masses), (key, genre)


@pytest.mark.parametrize("year", [1926, 1939, 1944, 1955, 1968, 1973, 1977, 1984, 1990, 1995, 1998])
def test_era_acts_render_their_numbers_in_chinese(year: int) -> None:
    rng = random.Random(year)
    forms = set()
    for _ in range(80):
        era = true_era(year, rng)
        assert era.contains(year)
        forms.add(era.form)
        text = render(Act("era", era=era, answer=rng.random() < 0.5), rng)
        assert "{" not in text and "}" not in text and _HAN.search(text), text
        decade = era.a
        if era.form in ("decade", "part"):
            assert "年代" in text and any(name in text for name in decade_names(decade)), text
        if era.form in ("before", "after", "between", "around"):
            assert str(era.a) in text and "年" in text, text
        if era.form == "between":
            assert str(era.b) in text
        if era.form == "before":
            assert "前" in text or "早于" in text, text
        if era.form == "after":
            assert "后" in text or "晚于" in text, text
        if era.form == "around":
            assert any(w in text for w in ("左右", "前后", "上下", "差不多")), text
    assert forms == {"decade", "part", "before", "after", "between", "around"}


def test_decades_in_digits_and_words() -> None:
    assert set(decade_names(1980)) == {"1980年代", "80年代", "八十年代", "八零年代", "上世纪80年代", "上世纪八十年代"}
    assert decade_names(2000) == ("2000年代",)
    for decade, word in _CHINESE_NUMBERS.items():
        assert f"{word}年代" in decade_names(decade) and f"{_SPOKEN[decade]}年代" in decade_names(decade)
    rng = random.Random(0)
    said = {era_phrases(Era("decade", 1990, year_from=1990, year_to=1999), rng)["bare"] for _ in range(300)}
    assert said == set(decade_names(1990))


@pytest.mark.parametrize(("part", "lo", "hi"), [("early", 0, 4), ("mid", 3, 7), ("late", 6, 9)])
def test_parts_of_a_decade_say_which_part(part: str, lo: int, hi: int) -> None:
    rng = random.Random(1)
    era = Era("part", 1980, year_from=1980 + lo, year_to=1980 + hi)
    texts = {render(Act("era", era=era), rng) for _ in range(300)}
    assert all(any(w in t for w in _PART_WORDS[part]) for t in texts), texts
    others = [w for p, ws in _PART_WORDS.items() if p != part for w in ws if w != "中"]
    assert not any(w in t for t in texts for w in others if w not in _PART_WORDS[part])


def test_the_era_forms_of_the_brief() -> None:
    rng = random.Random(4)

    def said(era: Era) -> set[str]:
        return {era_phrases(era, rng)["bare"] for _ in range(200)}

    assert "1970年以前" in said(Era("before", 1970, year_to=1970))
    assert "2000年以后" in said(Era("after", 2000, year_from=2000))
    assert "1985到1995年之间" in said(Era("between", 1985, 1995, year_from=1985, year_to=1995))
    assert "大概1990年左右" in said(Era("around", 1990, year_from=1985, year_to=1995))
    assert {"八十年代末", "80年代末", "上世纪八十年代末"} <= said(Era("part", 1980, year_from=1986, year_to=1989))


@pytest.mark.parametrize("kind", ["opener", "older", "newer", "other", "no_preference"])
def test_critiques_render_every_template(kind: str) -> None:
    rng = random.Random(5)
    texts = {render(Act(kind), rng) for _ in range(400)}  # type: ignore[arg-type]
    assert texts == set(TEMPLATES[kind])
    assert all(_HAN.search(t) for t in texts)


def test_older_and_newer_say_which_way() -> None:
    assert all(any(w in t for w in ("老", "早", "新了", "前")) for t in TEMPLATES["older"])
    assert all(any(w in t for w in ("新", "近", "晚", "后", "旧", "老了")) for t in TEMPLATES["newer"])


def test_negations_of_the_brief_are_there() -> None:
    joined = " ".join(TEMPLATES["exclude"])
    for form in ("不要{mass}", "别给我{mass}", "除了{mass}都行", "{mass}就算了", "不想看{mass}"):
        assert form in joined


def test_the_title_never_leaks_over_many_seeds() -> None:
    for seed in range(20):
        rng = random.Random(seed)
        for genre, words in GENRE_WORDS.items():
            latin = [w for w in words.nouns + words.masses if not _HAN.search(w)]
            for word in latin:
                title = f"{word.title()} (1995)"
                for kind in ("genre", "add_genre", "exclude"):
                    text = render(Act(kind, genre=genre, answer=seed % 2 == 0), rng, title)  # type: ignore[arg-type]
                    assert not leaks(text, title) and not leaks_zh(text, title), (title, text)


def test_english_glued_to_chinese_counts_as_a_leak() -> None:
    assert not leaks("90年代alien", "Alien (1979)")  # normalise() drops the Chinese and glues "90alien"
    assert leaks_zh("90年代alien", "Alien (1979)")
    assert leaks_zh("来点sci-fi吧", "Sci-Fi (1995)")
    assert not leaks_zh("来点科幻片吧", "Star Wars (1977)")


def test_a_year_title_every_era_wording_would_name_is_refused() -> None:
    with pytest.raises(LeakageError):
        render(Act("era", era=Era("before", 1990, year_to=1990)), random.Random(0), title="1990")
    text = render(Act("era", era=Era("decade", 1990, year_from=1990, year_to=1999)), random.Random(0), title="1990")
    assert "1990" not in text


def test_a_dialogue_with_the_chinese_set_speaks_chinese() -> None:
    default, zh = default_and("zh")
    assert default.turns[0].act == zh.turns[0].act  # same user, same first act
    assert all(not t.leaked for d in (default, zh) for t in d.turns)
    assert all(_HAN.search(t.text) for t in zh.turns)
