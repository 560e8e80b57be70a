"""The one vocabulary of feedback: every kind a person can give, what it weighs and what it means.

Training data, the stored profile, the behaviour model, the prompt bandit, the retrain's held-out
set, the buttons and the words the bot answers with all read this table; no other module names a
kind (`tests/recommender/test_feedback.py` fails if one does). Change a weight here and every
consumer changes with it.

- `value`: the kind's place on the 1-5 rating scale. A rating carries its own value; a click says
  nothing about taste (None: the models read it as engagement at the neutral weight).
- `positive`: whether the event rewards what was shown (bandit, LLM weight, retrain hold-out).
  A rating is positive at or above the configured like threshold.
- `keeps_opinion`: an event with no opinion of its own (opening, saving) never overrides an opinion
  the user already gave on that item; without one, a bookmark stands for a 4.
- `action`: the state in the Markov model of user actions (None: not an action).
- `interaction`: whether the preference models train on it ("unbookmark" only undoes a bookmark).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

FeedbackKind = Literal["click", "like", "dislike", "rating", "bookmark", "unbookmark"]

CLICK: FeedbackKind = "click"
LIKE: FeedbackKind = "like"
DISLIKE: FeedbackKind = "dislike"
RATING: FeedbackKind = "rating"
BOOKMARK: FeedbackKind = "bookmark"
UNBOOKMARK: FeedbackKind = "unbookmark"

IGNORE_ACTION = "ignore"  # the behaviour model's state for an item shown and left alone
NEUTRAL_VALUE = 3.0  # the rating-scale weight of engagement without an opinion
DISLIKE_AT_MOST = 2.0  # a rating at or below this is a dislike; between it and the like threshold, no opinion


@dataclass(frozen=True)
class KindSpec:
    """Everything the system knows about one feedback kind."""

    name: FeedbackKind
    value: float | None
    positive: bool
    keeps_opinion: bool
    action: str | None
    interaction: bool
    acknowledgement: str  # what the bot says once it is stored: {title}, {value}
    words: tuple[str, ...]  # how people say it (the NLU's `feedback_kind` entity values, typed words)
    button: str | None = None  # the quick-reply label where the kind is a one-tap button
    acknowledgement_zh: str = ""  # the acknowledgement in Chinese (recommender.phrases languages)
    words_zh: tuple[str, ...] = ()  # how people say it in Chinese (matched inside a phrase: no spaces)


KINDS: Mapping[FeedbackKind, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec(CLICK, None, True, True, "click", True, "Noted that you opened {title}.",
                 ("click", "clicked", "open", "opened"), acknowledgement_zh="记下了：你打开了{title}。",
                 words_zh=("点开", "打开")),
        KindSpec(LIKE, 5.0, True, False, "like", True, "Noted: you like {title}. I'll find more like it.",
                 ("like", "liked", "likes", "love", "loved", "loves", "great", "good", "enjoyed", "enjoy",
                  "awesome", "amazing", "fan", "thumbs up", "👍", "up", "masterpiece", "favorite", "favourite", "fave",
                  "brilliant", "excellent", "fantastic", "superb", "wonderful", "incredible", "perfect", "fun", "nice",
                  "cool", "solid", "a classic", "adore", "adored", "a gem", "top notch", "10/10", "5/5"), button="👍",
                 acknowledgement_zh="记下了：你喜欢{title}。我会多找类似的。",
                 words_zh=("喜欢", "喜歡", "爱看", "很棒", "好看", "不错", "赞", "点赞", "超爱", "最爱", "爱")),
        KindSpec(DISLIKE, 1.0, False, False, "dislike", True,
                 "Got it, no more {title}. I'll steer away from similar picks.",
                 ("dislike", "disliked", "hate", "hated", "bad", "boring", "terrible", "awful", "meh",
                  "not a fan", "thumbs down", "👎", "down", "no", "reject", "trash", "garbage", "rubbish", "crap",
                  "overrated", "worst", "waste of time", "a waste", "dull", "lame", "disappointing", "a letdown",
                  "horrible", "sucked", "sucks", "stinks", "no thanks", "nope", "not for me", "not my thing", "yuck",
                  "couldn't sit through", "couldnt sit through", "could not sit through", "walked out",
                  "fell asleep", "turned it off", "1/10", "0/10"), button="👎",
                 acknowledgement_zh="明白，不再推荐{title}，也会避开类似的。",
                 words_zh=("不喜欢", "不喜歡", "讨厌", "难看", "无聊", "不好看", "烂", "踩", "不感兴趣", "一般般")),
        KindSpec(BOOKMARK, 4.0, True, True, "bookmark", True,
                 "Saved {title}. Say “show my saved items” any time.",
                 ("save", "saved", "bookmark", "bookmarked", "watchlist", "remember", "keep"), button="☆",
                 acknowledgement_zh="已收藏{title}。随时说“我收藏了哪些”就能查看。",
                 words_zh=("收藏", "收藏起来", "存", "存起来", "加入片单", "稍后看", "想看", "马克", "mark")),
        KindSpec(RATING, None, True, False, "rate", True, "Thanks! You rated {title} {value:g}/5.",
                 ("rate", "rated", "rating", "stars", "star", "score"), acknowledgement_zh="谢谢！你给{title}打了{value:g}/5分。",
                 words_zh=("打分", "评分", "打", "分", "星", "颗星")),
        KindSpec(UNBOOKMARK, None, False, True, None, False, "Removed {title} from your saved items.",
                 ("unbookmark", "unsave", "remove"), acknowledgement_zh="已把{title}从收藏里移除。",
                 words_zh=("取消收藏", "移除", "删掉收藏", "不收藏了")),
    )
}
KIND_NAMES: tuple[FeedbackKind, ...] = tuple(KINDS)
# Kinds a chat button sends (the widget's and the channels' per-item buttons).
BUTTON_KINDS: tuple[FeedbackKind, ...] = tuple(k for k, s in KINDS.items() if s.button is not None)
# The behaviour model's states, "ignore" first (their order is the saved transition matrix's).
ACTIONS: tuple[str, ...] = (IGNORE_ACTION, *(s.action for s in KINDS.values() if s.action is not None))
ACTION_OF_KIND: Mapping[str, str] = {k: s.action for k, s in KINDS.items() if s.action is not None}
# Kinds positive whatever their value (a rating is positive by its value): for SQL filters.
ALWAYS_POSITIVE: tuple[FeedbackKind, ...] = tuple(k for k, s in KINDS.items() if s.positive and k != RATING)


def spec(kind: str) -> KindSpec:
    """The kind's entry; ValueError naming the known kinds for anything else."""
    try:
        return KINDS[kind]  # type: ignore[index]
    except KeyError:
        raise ValueError(f"unknown feedback kind {kind!r}; expected one of {', '.join(KIND_NAMES)}") from None


def is_kind(kind: object) -> bool:
    """Whether `kind` is one of the feedback kinds."""
    return isinstance(kind, str) and kind in KINDS


def scale_value(kind: str, value: float | None) -> float | None:
    """The event's weight on the 1-5 scale: a rating's own value, the kind's value, or None (no opinion)."""
    if kind == RATING:
        return float(value) if value is not None and math.isfinite(value) else None
    return spec(kind).value


def is_positive(kind: str, value: float | None, like_threshold: float) -> bool:
    """Whether the event rewards what was shown: a like, a bookmark, a click, or a rating at the threshold."""
    if kind == RATING:
        return value is not None and math.isfinite(value) and value >= like_threshold
    return is_kind(kind) and spec(kind).positive


def opinion(kind: str, value: float | None, like_threshold: float) -> bool | None:
    """True for a like (or a rating at the threshold), False for a dislike (or a rating of 2 or less), else None."""
    if kind == LIKE:
        return True
    if kind == DISLIKE:
        return False
    if kind == RATING and value is not None and math.isfinite(value):
        if value >= like_threshold:
            return True
        if value <= DISLIKE_AT_MOST:
            return False
    return None


def acknowledgement(kind: str, title: str, value: float | None = None, lang: str = "en") -> str:
    """What the bot says once the event is stored ("Saved Heat (1995). ...", in `lang`)."""
    entry = spec(kind)
    template = entry.acknowledgement_zh if lang == "zh" and entry.acknowledgement_zh else entry.acknowledgement
    return template.format(title=title, value=value if value is not None else 0.0)
