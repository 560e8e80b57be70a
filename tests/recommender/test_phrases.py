"""Every sentence in both languages (recommender/phrases.py), and the Chinese replies built from it."""

from __future__ import annotations

import string

import pytest

from recommender import feedback as fb
from recommender.context import normalise_feedback_kind, parse_ordinal, parse_rating
from recommender.dialogue.state import DialogueState
from recommender.phrases import _TEXT, LANGUAGES, era, language, language_of_text, say
from recommender.reasons import describe_item
from recommender.types import Item


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(_TEXT))
def test_every_sentence_exists_in_every_language_with_the_same_placeholders(key: str) -> None:
    texts = _TEXT[key]
    assert set(texts) == set(LANGUAGES)
    english = _fields(texts["en"])
    optional = {"s", "attribute"}  # Chinese has no plural ending; an English attribute word is left out
    for lang in LANGUAGES:
        assert _fields(texts[lang]) <= english, (key, lang)
        assert english - optional <= _fields(texts[lang]), (key, lang)


def test_the_state_line_in_chinese() -> None:
    state = DialogueState(genres=("Adventure", "Drama"), year_from=1990, year_to=1999,
                          exclude_genres=("Thriller", "Crime"))
    assert state.summary() == "Adventure + Drama · 1990s · not Thriller or Crime"
    assert state.summary(lang="zh") == "冒险 + 剧情 · 1990年代 · 不要惊悚或犯罪"
    from recommender.dialogue.state import Mood

    moody = DialogueState(moods=(Mood("feel-good", ("Comedy",)), Mood("twisty", ("Mystery",))))
    assert moody.summary(lang="zh") == "温馨、twisty"


def test_eras_and_item_descriptions_in_chinese() -> None:
    assert [era(*span, lang="zh") for span in ((1990, 1999), (1994, 1994), (None, 1969), (2001, None), (1985, 1995))] == [
        "1990年代", "1994年", "1970年以前", "2001年及以后", "1985–1995年"
    ]
    item = Item("1", "Toy Story (1995)", genres=("Animation", "Children's", "Comedy"), year=1995)
    assert describe_item(item, ("Comedy",), lang="zh") == "1995年的喜剧/动画/儿童片"
    assert describe_item(item, ("Comedy",)) == "Comedy/Animation/Children's from 1995"


def test_feedback_acknowledgements_and_words_in_chinese() -> None:
    for kind in fb.KIND_NAMES:
        assert fb.acknowledgement(kind, "Heat (1995)", 4.0, "zh") != fb.acknowledgement(kind, "Heat (1995)", 4.0)
    assert fb.acknowledgement(fb.RATING, "Heat (1995)", 4.0, "zh") == "谢谢！你给Heat (1995)打了4/5分。"
    assert [normalise_feedback_kind(w) for w in ("喜欢", "不喜欢", "收藏", "取消收藏", "打分")] == [
        fb.LIKE, fb.DISLIKE, fb.BOOKMARK, fb.UNBOOKMARK, fb.RATING
    ]
    assert [parse_ordinal(w) for w in ("第二部", "第3个", "最后一部", "头一部", "第十个")] == [2, 3, -1, 1, 10]
    assert [parse_rating(w) for w in ("4分", "五星", "四颗星", "3.5分")] == [4.0, 5.0, 4.0, 3.5]


def test_the_language_of_a_message() -> None:
    assert language_of_text("推荐一部喜剧") == "zh"
    assert language_of_text("来点sci-fi") == "zh"
    assert language_of_text("a comedy please", "zh") == "en"
    assert language_of_text("4", "zh") == "zh"  # no words: keeps the language before
    assert language_of_text('/feedback{"kind":"like"}', "zh") == "zh"
    assert [language(v) for v in ("zh", "zh-CN", "en", None, "fr")] == ["zh", "zh", "en", "en", "en"]
    assert say("n_picks", "zh", n=3) == "为你挑了 3 部"
