"""Words of feedback and references: ordinals, ratings, feedback kinds, titles.

Genres, moods, eras and the scope of negation are read by `recommender.dialogue` (one lexicon);
what stays here is what feedback and "why?" turns need.
"""

from __future__ import annotations

import re

from recommender import feedback as fb
from recommender.dialogue.chinese import number
from recommender.dialogue.tokens import match_at, token_phrase, tokenize
from recommender.phrases import has_chinese

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "top": 1,
}
# word -> kind, from the one vocabulary
FEEDBACK_WORDS: dict[str, str] = {word: kind for kind, spec in fb.KINDS.items() for word in spec.words}
# Chinese words are found inside a phrase (no spaces between words), the longest first ("不喜欢" before "喜欢")
FEEDBACK_WORDS_ZH: tuple[tuple[str, str], ...] = tuple(sorted(
    ((word, kind) for kind, spec in fb.KINDS.items() for word in spec.words_zh), key=lambda wk: -len(wk[0])
))
_ORDINAL_ZH = re.compile(r"^(?:第\s*(?P<n>\d{1,2}|[一二两三四五六七八九十]{1,3})|(?P<last>最后|末尾|倒数第一)|(?P<top>头))")


def _clean(word: str) -> str:
    return re.sub(r"\s+", " ", word.strip().lower().strip(".,!?\"'"))


def parse_ordinal(text: str | None) -> int | None:
    """'second', '2nd', '#2', 'number two', 'last' -> 1-based position (-1 for last); else None."""
    if not text:
        return None
    word = _clean(text)
    if has_chinese(word):  # 第二部, 第2个, 最后一部, 头一部
        match = _ORDINAL_ZH.match(word)
        if match is None:
            return None
        if match.group("last"):
            return -1
        return number(match.group("n")) if match.group("n") else 1
    word = re.sub(r"^(the|number|no\.?|#)\s*", "", word).strip()
    word = re.sub(r"\s*(one|movie|film|book|item)$", "", word).strip() if word not in _NUMBER_WORDS else word
    if word in ("last", "final", "bottom"):
        return -1
    if word in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[word]
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    match = re.fullmatch(r"#?(\d{1,2})(st|nd|rd|th)?", word)
    if match:
        return int(match.group(1))
    return None


def parse_year(text: str | None) -> int | None:
    """'1995' -> 1995 when it is a plausible year."""
    if not text:
        return None
    match = re.search(r"\b(1[89]\d{2}|20\d{2})\b", text)
    return int(match.group(1)) if match else None


def normalise_feedback_kind(text: str | None) -> str | None:
    """'loved' -> 'like', 'hated' -> 'dislike', 'save' -> 'bookmark', '5 stars' -> 'rating'."""
    if not text:
        return None
    word = _clean(text)
    if word in FEEDBACK_WORDS:
        return FEEDBACK_WORDS[word]
    if has_chinese(word):
        return next((kind for phrase, kind in FEEDBACK_WORDS_ZH if phrase in word), None)
    for phrase, kind in sorted(FEEDBACK_WORDS.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{re.escape(phrase)}\b", word):
            return kind
    return None


def parse_rating(text: str | None) -> float | None:
    """'4', '4 stars', 'a five', '4.5', '4,5' -> a number (range checked by the caller)."""
    if not text:
        return None
    word = _clean(str(text))
    match = re.search(r"\d+(?:[.,]\d+)?", word)
    if match:
        return float(match.group(0).replace(",", "."))
    for name, value in _NUMBER_WORDS.items():
        if re.search(rf"\b{name}\b", word):
            return float(value)
    if (match := re.search(r"[一二两三四五]", word)) and has_chinese(word):  # 四分, 五星
        return float(number(match.group(0)) or 0) or None
    return None


def normalise_title(title: str) -> str:
    """'Godfather, The (1972)' -> 'the godfather': the form users type."""
    text = re.sub(r"\s*\(\d{4}\)\s*$", "", title.strip())
    text = re.sub(r"\s*\([^)]*\)\s*$", "", text)  # trailing alias like "(a.k.a. ...)"
    match = re.fullmatch(r"(.*), (The|A|An|Les|La|Le|Il|Das|Der|Die|El)", text)
    if match:
        text = f"{match.group(2)} {match.group(1)}"
    return re.sub(r"\s+", " ", text).lower().strip()


def display_title(title: str) -> str:
    """'Godfather, The (1972)' -> 'The Godfather (1972)': catalog sort order undone for reading."""
    match = re.fullmatch(r"(.*), (The|A|An|Les|La|Le|Il|Das|Der|Die|El)( \(.*\))?", title.strip())
    if not match:
        return title
    return f"{match.group(2)} {match.group(1)}{match.group(3) or ''}"


# -- words of a critique or of feedback the NLU left unlabelled ----------------------------------
_REFUSAL = re.compile(r"\b(not|no|don'?t|didn'?t)\b")  # "not the last one": a refusal with no word of taste
# words that turn the verdict of a word of taste after them: "wasn't bad", "can't say i loved it"
_NEGATORS = {"not", "no", "never", "didn't", "didnt", "don't", "dont", "doesn't", "doesnt", "wasn't", "wasnt", "isn't",
             "isnt", "aren't", "arent", "weren't", "werent", "can't", "cant", "cannot", "couldn't", "couldnt", "won't",
             "wouldn't", "wouldnt", "hardly", "nothing", "without", "neither", "nor"}
_TASTE = {kind: {token_phrase(w) for w in fb.KINDS[kind].words} for kind in (fb.LIKE, fb.DISLIKE)}
_NEGATION_REACH = 3  # tokens before a word of taste that a negator may sit in
_BOOKMARK = re.compile(r"\b(save|saved|bookmark|bookmarked|watchlist|remember|keep)\b|☆|⭐")
_UNBOOKMARK = re.compile(r"\b(unsave|unbookmark|remove)\b")


def guess_feedback_kind(text: str, rating: float | None) -> str:
    """Feedback without a kind word from the NLU ("not the last one", "the second one, 4 stars")."""
    lowered = text.lower()
    if rating is not None:
        return fb.RATING
    if has_chinese(lowered):
        return next((kind for phrase, kind in FEEDBACK_WORDS_ZH if phrase in lowered and kind != fb.RATING), fb.LIKE)
    if _UNBOOKMARK.search(lowered):
        return fb.UNBOOKMARK
    if _BOOKMARK.search(lowered):
        return fb.BOOKMARK
    if (verdict := taste_verdict(lowered)) is not None:
        return verdict
    return fb.DISLIKE if _REFUSAL.search(lowered) else fb.LIKE


def taste_verdict(text: str) -> str | None:
    """Like or dislike from the words of taste in English feedback, each turned by a negation just
    before it ("pulp fiction wasn't bad at all" likes, "can't say i loved #3" dislikes, "scream was
    trash" dislikes); None when they cancel out or there are none. A sentence's words, not the one
    word the NLU tagged: it tags "loved" in "can't say i loved #3"."""
    tokens = tokenize(text.lower())
    if len(tokens) > 2 and tokens[0].text in ("no", "nope", "nah") and tokens[1].text in ",!":
        tokens = tokens[2:]  # "no, i loved it": an interjection answering the bot
    score, i = 0, 0
    while i < len(tokens):
        n_like, n_dislike = match_at(tokens, i, _TASTE[fb.LIKE]), match_at(tokens, i, _TASTE[fb.DISLIKE])
        n = max(n_like, n_dislike)
        if n == 0:
            i += 1
            continue
        sign = 1 if n_like > n_dislike else -1
        before = [t.text for t in tokens[max(0, i - _NEGATION_REACH) : i]]
        clause = max((k for k, w in enumerate(before) if w in ",.;!?"), default=-1)  # no negation across a clause
        before = before[clause + 1 :]
        if _NEGATORS & set(before):
            sign = -sign
        score += sign
        i += n
    return fb.LIKE if score > 0 else fb.DISLIKE if score < 0 else None
