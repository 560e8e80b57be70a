"""Every sentence the recommender writes for a person, in each language it speaks ("en", "zh").

One table, so a new language is one column and no module hides a reply in English. The
dialogue reader is shared (recommender/dialogue/chinese.py turns Chinese into the English it
reads); what differs per language is only the words written back, and they live here. Catalog
titles stay as the catalog has them; genre names go through `genre_name` (one table per language).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")
DEFAULT_LANGUAGE: Language = "en"

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# catalog genre (MovieLens names) -> its Chinese name; other catalogs' genres are shown as they are
GENRE_NAMES: dict[str, str] = {
    "Action": "动作", "Adventure": "冒险", "Animation": "动画", "Children's": "儿童", "Children": "儿童",
    "Comedy": "喜剧", "Crime": "犯罪", "Documentary": "纪录片", "Drama": "剧情", "Fantasy": "奇幻",
    "Film-Noir": "黑色电影", "Horror": "恐怖", "IMAX": "IMAX", "Musical": "歌舞", "Mystery": "悬疑",
    "Romance": "爱情", "Sci-Fi": "科幻", "Thriller": "惊悚", "War": "战争", "Western": "西部",
}

# mood words as the dialogue reader names them (recommender/dialogue/lexicon.py) -> Chinese; others as they are
MOOD_NAMES: dict[str, str] = {
    "feel-good": "温馨", "light-hearted": "轻松", "light": "轻松", "fun": "有趣", "cute": "可爱", "exciting": "刺激",
    "dark": "黑暗", "violent": "暴力", "gritty": "硬核", "epic": "史诗", "date night": "约会", "sad": "伤感",
    "moving": "感人", "emotional": "动情", "intense": "紧张", "mind-bending": "烧脑", "thought-provoking": "发人深省",
    "uplifting": "励志", "heartwarming": "暖心", "cheerful": "欢快",
}

_TEXT: dict[str, dict[Language, str]] = {
    # the list and its header
    "one_pick": {"en": "Here is 1 pick", "zh": "为你挑了 1 部"},
    "n_picks": {"en": "Here are {n} picks", "zh": "为你挑了 {n} 部"},
    "n_picks_short": {"en": "Here are {n} picks:", "zh": "为你挑了 {n} 部："},
    "header": {"en": "{count}:", "zh": "{count}："},
    "header_with_state": {"en": "{count} ({described}):", "zh": "{count}（{described}）："},
    "found_nothing_for": {"en": "I couldn't find anything {described}.", "zh": "没有找到符合“{described}”的电影。"},
    "found_nothing_new": {"en": "I couldn't find anything new.", "zh": "没有找到新的电影。"},
    "loosen_hint": {"en": "Try loosening a filter, e.g. another decade or genre.", "zh": "试试放宽一个条件，比如换个年代或类型。"},
    "nothing_fits": {"en": "I could not find anything that fits. Could you loosen a filter?",
                     "zh": "没有找到合适的。能放宽一个条件吗？"},
    "nothing_new_heard": {"en": "I didn't catch anything new to go by in that, so here are more picks for what you asked before.",
                          "zh": "这句话里我没听出新的条件，先按你之前说的再推荐几部。"},
    # why, saved
    "nothing_shown_yet": {"en": "I haven't recommended anything yet. Tell me what you're in the mood for!",
                          "zh": "我还没推荐过任何电影。说说你想看什么吧！"},
    "shown_list_gone": {"en": "I can't find the last recommendations any more. Shall I suggest something new?",
                        "zh": "找不到上一次的推荐了。要我重新推荐几部吗？"},
    "not_recommended_by_me": {"en": "I didn't recommend this one myself.", "zh": "这部不是我推荐的。"},
    "nothing_saved": {"en": "You haven't saved anything yet. Tap ☆ on a recommendation to save it.",
                      "zh": "你还没有收藏任何电影。点推荐下面的 ☆ 就能收藏。"},
    "why_these": {"en": "Here's why I picked these:", "zh": "推荐这些的理由："},
    "welcome": {"en": "You're welcome! Ask me for more any time.", "zh": "不客气！想看别的随时告诉我。"},
    "why_default": {"en": "I picked these from what you told me and what similar viewers liked.",
                    "zh": "这些是根据你说的条件和口味相近的观众喜欢的电影挑的。"},
    "saved_by_you": {"en": "saved by you; {description}", "zh": "你收藏的；{description}"},
    "you_saved": {"en": "You saved {n} item{s}:", "zh": "你收藏了 {n} 部："},
    # notices of the query plan
    "no_genre_info": {"en": "This catalog has no genre information, so I couldn't filter by genre.",
                      "zh": "这个目录没有类型信息，所以没法按类型筛选。"},
    "no_people_info": {"en": "I don't have cast or crew information for this catalog, so I can't look for {people}.",
                       "zh": "这个目录没有演职员信息，所以没法按{people}来找。"},
    "no_people_info_exclude": {"en": "I don't have cast or crew information for this catalog, so I can't rule out {people}.",
                               "zh": "这个目录没有演职员信息，所以没法排除{people}。"},
    "at_most_n": {"en": "I show at most {n} at a time.", "zh": "每次最多推荐 {n} 部。"},
    "only_n_match": {"en": "Only {n} new title{s} match all of that.", "zh": "完全符合这些条件的新电影只有 {n} 部。"},
    "unknown_title": {"en": "I couldn't find “{word}” in the catalog.", "zh": "目录里找不到“{word}”。"},
    "unknown_word": {"en": "I didn't understand “{word}” as a genre, so I left it out.",
                     "zh": "我没把“{word}”理解成一种类型，先忽略了。"},
    "unknown_attribute": {"en": "I have no “{word}” {attribute} in this catalog, so I left it out.",
                          "zh": "这个目录里没有“{word}”，先忽略了。"},
    "loosened_mood": {"en": "Nothing new was also “{word}”, so I loosened that.", "zh": "没有新的电影同时符合“{word}”，这个条件放宽了。"},
    "loosened_options": {"en": "Nothing new matched “{options}” as well, so I loosened that.",
                         "zh": "没有新的电影同时符合“{options}”，这个条件放宽了。"},
    "loosened_people": {"en": "Nothing new has {people}, so I looked beyond that.", "zh": "没有新的电影有{people}，所以放宽了这个条件。"},
    "loosened_years": {"en": "I've run out of new titles from {era} for this, so I looked at other years.",
                       "zh": "{era}的新电影推荐完了，所以也看了其他年份。"},
    "no_titles_from_era": {"en": "The catalog has nothing from {era}, so I looked at other years.",
                           "zh": "目录里没有{era}的电影，所以也看了其他年份。"},
    "loosened_genre": {"en": "Nothing new is also {genre}, so I dropped that one.", "zh": "没有新的电影同时是{genre}片，所以去掉了这个类型。"},
    # the one question of a vague opener
    "ask_era": {"en": "Happy to help! Any particular era you're in the mood for?", "zh": "乐意效劳！想看哪个年代的？"},
    "ask_reference": {"en": "Happy to help! Tell me a title you loved and I'll find more like it.",
                      "zh": "乐意效劳！说一部你喜欢的电影，我来找类似的。"},
    "ask_genre": {"en": "Happy to help! What kind are you in the mood for? Pick one, or name a title you loved.",
                  "zh": "乐意效劳！想看什么类型的？选一个，或者说一部你喜欢的电影。"},
    # buttons
    "other_options": {"en": "Other options", "zh": "换一批"},
    "why_these_button": {"en": "Why these?", "zh": "为什么推荐这些？"},
    "surprise_me": {"en": "Surprise me", "zh": "随便推荐"},
    "like_button": {"en": "👍 Like", "zh": "👍 喜欢"},
    "dislike_button": {"en": "👎 Dislike", "zh": "👎 不喜欢"},
    "save_button": {"en": "☆ Save", "zh": "☆ 收藏"},
    "rate_menu": {"en": "Rate", "zh": "评分"},
    "more_about_it": {"en": "More about it", "zh": "详情"},
    "not_quite_it": {"en": "Not quite it? Ask for other options, or why I picked these.",
                     "zh": "不太合适？可以换一批，或者问我为什么推荐这些。"},
    # the state line ("Adventure + Drama · 1990s · not Thriller or Crime")
    "with_people": {"en": "with {people}", "zh": "有{people}"},
    "like_titles": {"en": "like {titles}", "zh": "类似{titles}"},
    "not_genres": {"en": "not {genres}", "zh": "不要{genres}"},
    "avoiding": {"en": "less “{words}”", "zh": "少一些“{words}”"},
    "or": {"en": " or ", "zh": "或"},
    "and": {"en": " and ", "zh": "和"},
    "list_sep": {"en": ", ", "zh": "、"},
    # eras
    "era_decade": {"en": "{start}s", "zh": "{start}年代"},
    "era_range": {"en": "{start}–{end}", "zh": "{start}–{end}年"},
    "era_year": {"en": "{year}", "zh": "{year}年"},
    "era_before": {"en": "before {year}", "zh": "{year}年以前"},
    "era_after": {"en": "{year} or later", "zh": "{year}年及以后"},
    # template reasons (recommender/reasons.py)
    "by_people": {"en": "by {people}", "zh": "{people}作品"},
    "from_year": {"en": "from {year}", "zh": "{year}年"},
    "from_catalog": {"en": "from the catalog", "zh": "来自目录"},
    "genre_film": {"en": "{genres}", "zh": "{genres}片"},
    "reason_join": {"en": " ", "zh": "的"},
    "liked_by_fans_of": {"en": "{reason}, liked by people who liked {title}", "zh": "{reason}，喜欢{title}的人也喜欢它"},
    "similar_to": {"en": "{reason}, similar to {title}", "zh": "{reason}，和{title}相似"},
    "matches": {"en": "{reason}, matches {moods}", "zh": "{reason}，符合“{moods}”"},
    "story_fits": {"en": "{reason}, its story fits what you described", "zh": "{reason}，剧情符合你的描述"},
    "rated_by": {"en": "{reason}; {count} people rated it, {mean}/5 on average", "zh": "{reason}；{count}人评分，平均{mean}/5"},
    "popular": {"en": "{reason}; popular ({count} ratings)", "zh": "{reason}；很受欢迎（{count}个评分）"},
}


def has_chinese(text: str) -> bool:
    """True when the text holds a Chinese character."""
    return HAN.search(text) is not None


def language(value: object) -> Language:
    """A supported language code from a slot or setting ("zh", "zh-CN", "en"); anything else is English."""
    text = str(value or "").strip().lower()
    return "zh" if text.startswith("zh") else DEFAULT_LANGUAGE


def language_of_text(text: str, previous: object = None) -> Language:
    """The language a message is written in: Chinese characters make it Chinese, Latin letters English;
    a message with neither ("4", "👍") keeps the previous language (as rasa_addons/language.py)."""
    if has_chinese(text):
        return "zh"
    if any("a" <= ch.lower() <= "z" for ch in text) and not text.startswith("/"):
        return "en"
    return language(previous)


def say(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The sentence `key` in `lang` (English where the language lacks it), with `values` filled in."""
    texts = _TEXT[key]
    return texts.get(language(lang), texts[DEFAULT_LANGUAGE]).format(**values)


def genre_name(genre: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A catalog genre as a reader of `lang` calls it ("Horror" -> "恐怖"); unknown ones as they are."""
    return GENRE_NAMES.get(genre, genre) if language(lang) == "zh" else genre


def mood_name(word: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A mood word as a reader of `lang` says it ("feel-good" -> "温馨"); unknown ones as they are."""
    return MOOD_NAMES.get(word, word) if language(lang) == "zh" else word


def join(words: Sequence[str], lang: str = DEFAULT_LANGUAGE, last: str = "and") -> str:
    """'a, b and c' / 'a、b和c'; `last` is "and" or "or"."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    if language(lang) == "en" and last == "or":
        return " or ".join(words)
    return say("list_sep", lang).join(words[:-1]) + say(last, lang) + words[-1]


def era(year_from: int | None, year_to: int | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """'1990s' / '1990年代', '1985–1995', '1994', 'before 1970', '2000 or later', or ''."""
    if year_from is not None and year_to is not None:
        if year_from == year_to:
            return say("era_year", lang, year=year_from)
        if year_from % 10 == 0 and year_to == year_from + 9:
            return say("era_decade", lang, start=year_from)
        return say("era_range", lang, start=year_from, end=year_to)
    if year_to is not None:
        return say("era_before", lang, year=year_to + 1)
    if year_from is not None:
        return say("era_after", lang, year=year_from)
    return ""
