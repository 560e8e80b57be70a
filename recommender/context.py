"""Context extraction: raw NLU words -> structured preferences (genres, years, ordinals, kinds).

Everything here is pure and catalog-aware only through the genre vocabulary passed in,
so the same rules work for movies, books or products.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz, process

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "top": 1,
}
_DECADE_WORDS = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
    "seventies": 1970, "eighties": 1980, "nineties": 1990, "noughties": 2000, "aughts": 2000,
}

# Common surface forms of genres; matched against the catalog's own genre names afterwards.
GENRE_SYNONYMS: dict[str, str] = {
    "scifi": "sci-fi", "sci fi": "sci-fi", "science fiction": "sci-fi", "sf": "sci-fi", "space": "sci-fi",
    "kids": "children's", "kid": "children's", "children": "children's", "childrens": "children's",
    "family": "children's", "noir": "film-noir", "film noir": "film-noir", "animated": "animation",
    "cartoon": "animation", "cartoons": "animation", "anime": "animation", "romcom": "romance",
    "rom-com": "romance", "romantic": "romance", "love story": "romance", "docs": "documentary",
    "documentaries": "documentary", "doc": "documentary", "musicals": "musical", "westerns": "western",
    "cowboy": "western", "war movie": "war", "thrillers": "thriller", "comedies": "comedy", "funny": "comedy",
    "horror movie": "horror", "scary": "horror", "crime drama": "crime", "detective": "mystery",
    "whodunit": "mystery", "action packed": "action", "action-packed": "action", "adventures": "adventure",
    "dramas": "drama", "fantasy movies": "fantasy",
}

# Moods are soft words that stand for a set of genres ("funny" -> Comedy).
MOOD_GENRES: dict[str, tuple[str, ...]] = {
    "funny": ("comedy",), "hilarious": ("comedy",), "comedic": ("comedy",), "lighthearted": ("comedy",),
    "light-hearted": ("comedy",), "light": ("comedy",), "silly": ("comedy",), "laugh": ("comedy",),
    "feel-good": ("comedy", "children's", "musical"), "feel good": ("comedy", "children's", "musical"),
    "uplifting": ("comedy", "musical", "drama"), "heartwarming": ("children's", "comedy", "drama"),
    "cute": ("children's", "animation"), "scary": ("horror",), "spooky": ("horror",), "creepy": ("horror",),
    "terrifying": ("horror",), "frightening": ("horror",), "romantic": ("romance",), "sweet": ("romance",),
    "exciting": ("action", "adventure", "thriller"), "thrilling": ("thriller", "action"),
    "suspenseful": ("thriller", "mystery"), "tense": ("thriller",), "intense": ("thriller", "action"),
    "dark": ("crime", "film-noir", "thriller"), "gritty": ("crime", "war"), "sad": ("drama",),
    "emotional": ("drama", "romance"), "moving": ("drama",), "serious": ("drama",), "thoughtful": ("drama",),
    "mind-bending": ("sci-fi", "mystery"), "mind bending": ("sci-fi", "mystery"), "epic": ("adventure", "war"),
    "magical": ("fantasy",), "adventurous": ("adventure",), "action-packed": ("action",),
    "mysterious": ("mystery",), "violent": ("action", "crime"),
}

FEEDBACK_WORDS: dict[str, str] = {
    "like": "like", "liked": "like", "likes": "like", "love": "like", "loved": "like", "loves": "like",
    "great": "like", "good": "like", "enjoyed": "like", "enjoy": "like", "awesome": "like", "amazing": "like",
    "fan": "like", "thumbs up": "like", "👍": "like", "up": "like",
    "dislike": "dislike", "disliked": "dislike", "hate": "dislike", "hated": "dislike", "bad": "dislike",
    "boring": "dislike", "terrible": "dislike", "awful": "dislike", "meh": "dislike", "not a fan": "dislike",
    "thumbs down": "dislike", "👎": "dislike", "down": "dislike", "no": "dislike", "reject": "dislike",
    "save": "bookmark", "saved": "bookmark", "bookmark": "bookmark", "bookmarked": "bookmark",
    "watchlist": "bookmark", "remember": "bookmark", "keep": "bookmark", "unbookmark": "unbookmark",
    "unsave": "unbookmark", "remove": "unbookmark",
    "rate": "rating", "rated": "rating", "rating": "rating", "stars": "rating", "star": "rating",
    "score": "rating", "click": "click", "clicked": "click", "open": "click", "opened": "click",
}


def _clean(word: str) -> str:
    return re.sub(r"\s+", " ", word.strip().lower().strip(".,!?\"'"))


def parse_ordinal(text: str | None) -> int | None:
    """'second', '2nd', '#2', 'number two', 'last' -> 1-based position (-1 for last); else None."""
    if not text:
        return None
    word = _clean(text)
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


def parse_decade(text: str | None) -> tuple[int, int] | None:
    """'90s', "the '90s", '1990s', 'nineties', 'early 80s' -> (first year, last year) or None."""
    if not text:
        return None
    word = _clean(text).replace("’", "'")
    part = None
    for prefix in ("early", "mid", "late"):
        if word.startswith(prefix):
            part, word = prefix, word.removeprefix(prefix).strip(" -")
    word = word.removeprefix("the ").strip()
    start: int | None = None
    if word in _DECADE_WORDS:
        start = _DECADE_WORDS[word]
    elif match := re.fullmatch(r"(\d{4})'?s?", word):
        start = int(match.group(1)) // 10 * 10
    elif match := re.fullmatch(r"'?(\d0)'?s", word):
        two = int(match.group(1))
        start = 1900 + two if two >= 20 else 2000 + two
    if start is None:
        return None
    if part == "early":
        return start, start + 3
    if part == "mid":
        return start + 3, start + 6
    if part == "late":
        return start + 6, start + 9
    return start, start + 9


def parse_year(text: str | None) -> int | None:
    """'1995' -> 1995 when it is a plausible year."""
    if not text:
        return None
    match = re.search(r"\b(1[89]\d{2}|20\d{2})\b", text)
    return int(match.group(1)) if match else None


def match_genres(words: Iterable[str], vocabulary: Sequence[str]) -> tuple[list[str], list[str]]:
    """Map user words onto the catalog's genre names; returns (matched genres, unmatched words)."""
    lower = {g.lower(): g for g in vocabulary}
    matched: list[str] = []
    unmatched: list[str] = []
    for raw in words:
        word = _clean(raw)
        word = GENRE_SYNONYMS.get(word, word)
        candidates = [word, word.rstrip("s"), word + "s"]
        found = next((lower[c] for c in candidates if c in lower), None)
        if found is None and lower:
            best = process.extractOne(word, list(lower), scorer=fuzz.ratio, score_cutoff=80)
            found = lower[best[0]] if best else None
        if found is None:
            unmatched.append(raw)
        elif found not in matched:
            matched.append(found)
    return matched, unmatched


def mood_genre_groups(moods: Iterable[str], vocabulary: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Each known mood -> (mood, catalog genres it stands for); unknown moods are skipped."""
    lower = {g.lower(): g for g in vocabulary}
    groups = []
    for raw in moods:
        mood = _clean(raw)
        genres = tuple(lower[g] for g in MOOD_GENRES.get(mood, ()) if g in lower)
        if genres:
            groups.append((mood, genres))
    return groups


def normalise_feedback_kind(text: str | None) -> str | None:
    """'loved' -> 'like', 'hated' -> 'dislike', 'save' -> 'bookmark', '5 stars' -> 'rating'."""
    if not text:
        return None
    word = _clean(text)
    if word in FEEDBACK_WORDS:
        return FEEDBACK_WORDS[word]
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
_OLDER = re.compile(r"\b(old|older|oldest|earlier|classic|classics|vintage|before)\b")
_NEWER = re.compile(r"\b(new|newer|newest|recent|modern|later|latest|after)\b")
_OTHER = re.compile(r"\b(other|others|else|different|another|more options|next)\b")
_MORE_LIKE = re.compile(r"\b(more like|similar|like (the|that|this|number|no\.?|#))")
_NEGATION = r"\b(no|not|without|nothing|except|skip|avoid|less|fewer|don'?t want)\b"
_DISLIKE = re.compile(r"\b(not|no|don'?t|didn'?t|hate|hated|dislike|disliked|bad|boring|awful|terrible|meh)\b|👎")
_BOOKMARK = re.compile(r"\b(save|saved|bookmark|bookmarked|watchlist|remember|keep)\b|☆|⭐")
_UNBOOKMARK = re.compile(r"\b(unsave|unbookmark|remove)\b")


def critique_directions(words: str) -> tuple[bool, bool, bool, bool]:
    """(older, newer, other options, more like a reference) named in a critique's words."""
    text = words.lower()
    older = bool(_OLDER.search(text))
    newer = bool(_NEWER.search(text)) and not older
    return older, newer, bool(_OTHER.search(text)), bool(_MORE_LIKE.search(text))


def negated_genres(text: str, genres: Iterable[str]) -> list[str]:
    """The genres the text rules out: "no horror", "without the romance", "don't want comedy"."""
    lowered = text.lower()
    return [
        genre for genre in genres
        if re.search(_NEGATION + r"[^.,;!?]{0,40}?\b" + re.escape(genre.lower()) + r"\b", lowered)
    ]


def guess_feedback_kind(text: str, rating: float | None) -> str:
    """Feedback without a kind word from the NLU ("not the last one", "the second one, 4 stars")."""
    lowered = text.lower()
    if rating is not None:
        return "rating"
    if _UNBOOKMARK.search(lowered):
        return "unbookmark"
    if _BOOKMARK.search(lowered):
        return "bookmark"
    if _DISLIKE.search(lowered):
        return "dislike"
    return "like"
