"""Chinese and mixed turns -> the same acts as their English meaning (recommender/dialogue/chinese.py).

Each row is a sentence a Chinese-speaking person might type; the acts are what the search must do.
The sentences are written apart from the NLU training data (data/nlu/zh.yml).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_understand import SHOWN, acts

from recommender.dialogue.acts import (
    AddGenres,
    AddMood,
    DropGenres,
    ExcludeGenres,
    LikeItems,
    OtherOptions,
    ReplaceGenres,
    SeenItems,
    SetCount,
    SetEra,
    ShiftEra,
    Surprise,
)
from recommender.dialogue.chinese import number, to_english
from recommender.dialogue.state import DialogueState


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("推荐一部90年代的喜剧电影", (SetEra(1990, 1999), AddGenres(("Comedy",)))),
        ("给我三部喜剧", (SetCount(3), AddGenres(("Comedy",)))),
        ("再来两部恐怖片", (SetCount(2), AddGenres(("Horror",)))),
        ("来点90年代的sci-fi", (SetEra(1990, 1999), AddGenres(("Sci-Fi",)))),
        ("有没有好看的comedy", (AddGenres(("Comedy",)),)),
        ("上世纪八十年代的爱情片", (SetEra(1980, 1989), AddGenres(("Romance",)))),
        ("九十年代以前的", (SetEra(None, 1989, replace=False),)),
        ("1970年以前的战争片", (SetEra(None, 1969, replace=False), AddGenres(("War",)))),
        ("2000年以后的科幻", (SetEra(2001, None, replace=False), AddGenres(("Sci-Fi",)))),
        # from the Chinese simulator's transcripts: "前后" is around (it was read as "before after"),
        # and everyday words for laughing, singing and dancing, and depth
        ("我比较喜欢1995年前后的", (SetEra(1993, 1997, replace=True),)),
        ("要能让我笑出来的电影", (AddGenres(("Comedy",)),)),
        ("不要唱唱跳跳的", (ExcludeGenres(("Musical",)),)),
        ("再加个条件：有点深度", (AddGenres(("Drama",)),)),
        ("跳过恐怖片", (ExcludeGenres(("Horror",)),)),
        ("给小朋友看的就算了", (ExcludeGenres(("Children's",)),)),
        ("九十年代以后的", (SetEra(1990, None, replace=False),)),   # the 1990s on, not from 2000   # "for kids to watch: no thanks" wanted them
        ("1985到1995年之间的犯罪片", (SetEra(1985, 1995), AddGenres(("Crime",)))),
        ("80年代末的动作片", (SetEra(1986, 1989), AddGenres(("Action",)))),
        ("八九十年代的喜剧", (SetEra(1980, 1999), AddGenres(("Comedy",)))),
        ("九零年代的科幻", (SetEra(1990, 1999), AddGenres(("Sci-Fi",)))),
        ("90年代后半段的", (SetEra(1996, 1999),)),
        ("早于1970年的", (SetEra(None, 1969, replace=False),)),
        ("不要恐怖片", (ExcludeGenres(("Horror",)),)),
        ("除了恐怖片都行", (ExcludeGenres(("Horror",)),)),
        ("恐怖片就算了", (ExcludeGenres(("Horror",)),)),
        # from the Chinese simulator's transcripts (40 users, seed 7): "and such" between the genre word and
        # its refusal, and fighting-and-killing as what it is, an action film (it ruled crime out)
        ("外星人啥的就算了", (ExcludeGenres(("Sci-Fi",)),)),
        ("打打杀杀的就算了", (ExcludeGenres(("Action",)),)),
        ("不喜欢爱情片和歌舞片", (ExcludeGenres(("Romance", "Musical")),)),
        ("喜剧就行，不要爱情片", (ExcludeGenres(("Romance",)), AddGenres(("Comedy",)))),
        ("冒险片，也要是剧情片", (AddGenres(("Adventure", "Drama")),)),
        ("换成喜剧", (ReplaceGenres(("Comedy",)),)),
        ("有没有温馨一点的", (AddMood("feel-good", ("Comedy", "Children's", "Musical", "Romance")),)),
        ("喜欢第二部", (LikeItems(("12",)),)),
        ("再来点像第二部的", (LikeItems(("12",)),)),
        ("像Toy Story那样的", (LikeItems(("1",)),)),
        ("前两部都看过了", (SeenItems(("11", "12")),)),
        ("换一批", (OtherOptions(),)),
        ("老一点的", (ShiftEra(-1, 1995),)),
        ("随便推荐几部", (Surprise(),)),
        # a refusal after what it refuses, as Chinese puts it
        ("幼稚的儿童片不要哈", (ExcludeGenres(("Children's",)),)),
        ("冒险片就免了吧", (ExcludeGenres(("Adventure",)),)),
        ("嗯 爱情戏还是算了吧", (ExcludeGenres(("Romance",)),)),  # found talking to the bot: read as a wish
        ("恐怖的不看", (ExcludeGenres(("Horror",)),)),
        ("最好不是鬼片", (ExcludeGenres(("Horror",)),)),
        ("不要感情戏", (ExcludeGenres(("Romance",)),)),
        ("比较严肃的片子", (AddGenres(("Drama",)),)),
        ("要更近期的", (ShiftEra(1, 1995),)),
        # traditional characters read as simplified
        ("戰爭片", (AddGenres(("War",)),)),
        ("別的呢？", (OtherOptions(),)),
        ("这些太旧了", (ShiftEra(1, 1995),)),
        ("往前推推", (ShiftEra(-1, 1995),)),
        ("谈情说爱的就免了吧", (ExcludeGenres(("Romance",)),)),
    ],
)
def test_a_chinese_sentence_means_what_its_english_does(text: str, expected: tuple[object, ...]) -> None:
    assert acts(text, intent="refine") == expected


def test_a_hedge_in_chinese_keeps_the_genre_wanted_before() -> None:
    """"来点吓人的" ... "别太血腥": still horror, a milder one (as "nothing with too much gore")."""
    state = DialogueState(genres=("Horror",), last_items=SHOWN.last_items)
    said = acts("别太血腥", intent="refine", state=state)
    assert not any(isinstance(a, (ExcludeGenres, DropGenres)) for a in said), said


def test_chinese_entity_values_from_the_nlu_are_read_too() -> None:
    """A genre the NLU labelled in Chinese on a button-like message reaches the state."""
    from recommender.dialogue.understand import EntityHint

    said = acts("/inform_preference", entities=(EntityHint("genre", "科幻"),))
    assert said == (AddGenres(("Sci-Fi",)),)


def test_chinese_numbers_and_rating_words() -> None:
    assert [number(t) for t in ("三", "十", "十二", "二十", "7", "x", "十十十", "二二十")] == [3, 10, 12, 20, 7, None, None, None]
    assert to_english("给第一部打4分") == "the first one 4 stars"
    assert "stars" not in to_english("十分好看")  # "very", not a rating of 10


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("第十二三两零〇九年代前后以部个分星不要太别除了都行，。！？ abc0123456789像的了")) | st.characters(),
               max_size=60))
def test_any_text_reads_without_error(text: str) -> None:
    """Hostile or odd Chinese ("第十十十部", "九十十年代") never breaks a turn: it reads as something or nothing."""
    assert isinstance(to_english(text), str)
    acts(text, intent="refine")
