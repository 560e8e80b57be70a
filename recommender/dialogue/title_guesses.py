"""Which of the NLU's title guesses name no film: a word of a genre phrase ("story" of "a love
story"), an adjective before a genre ("heavy dramas"), part of a longer title the words name ("back"
of "back to the future"), a word of a refusal ("hard" of "a hard no") or of a rating ("star" of "a
five star movie"), or one content word of a longer title ("hard" of "cry so hard" is no Die Hard).
The fuzzy catalog lookup finds a film for almost any word, so each guess is checked against the
sentence first.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from recommender.dialogue.negation import cue_spans
from recommender.dialogue.tokens import tokenize


def names_no_film(value: str, text: str, terms: Collection[str], title_spans: list[tuple[int, int]]) -> bool:
    """Whether the lower-cased guess `value` is a word of the sentence rather than a film's name."""
    return (_inside_a_genre_phrase(value, text, terms) or _describes_a_genre(value, text, terms)
            or _inside_a_longer_title(value, text, title_spans) or _inside_a_refusal(value, text)
            or _inside_a_rating(value, text))


def _inside_a_longer_title(value: str, text: str, title_spans: list[tuple[int, int]]) -> bool:
    """Whether the NLU's title `value` is only part of a longer title the words name (a span that
    joins several, "toy story and babe" as the fuzzy lookup may take it, does not count)."""
    return any(
        end - start > len(value) and re.search(rf"\b{re.escape(value)}\b", text[start:end])
        and not re.search(r"\s(?:and|or|&|plus)\s|,", text[start:end])
        for start, end in title_spans
    )


def _inside_a_refusal(value: str, text: str) -> bool:
    """Whether `value` lies inside words that say no ("hard" of "a hard no", "cup of tea" of "not my
    cup of tea")."""
    idx = text.find(value)
    return idx >= 0 and any(start <= idx and idx + len(value) <= end for start, end in cue_spans(tokenize(text)))


_TITLE_FUNCTION_WORDS = {"the", "a", "an", "of", "and", "in", "on", "to", "la", "le", "les", "il", "el", "das", "der"}


def one_word_of_a_longer_title(value: str, title: str | None) -> bool:
    """Whether a one-word guess is only one of several content words of the title it matched: people
    name "Die Hard" in full, and "hard", "star" or "wrong" alone are words of a sentence. ("godfather"
    still names The Godfather: the rest of that title is function words.)"""
    if title is None or " " in value.strip():
        return False
    words = re.findall(r"[a-z0-9']+", re.sub(r"\s*\([^)]*\)\s*$", "", title.lower()))
    content = [w for w in words if w not in _TITLE_FUNCTION_WORDS]
    return len(content) > 1 and value.strip().lower() in content


_RATING_WORDS = re.compile(
    r"\b(?:\d{1,2}(?:[.,]\d)?|one|two|three|four|five|six|seven|eight|nine|ten|half a)[- ]?(?:stars?|points?)\b"
    r"|\b(?:\d{1,2}|one|two|three|four|five|ten) out of (?:\d{1,2}|five|ten)\b"
)


def _inside_a_rating(value: str, text: str) -> bool:
    """Whether `value` lies inside a rating ("star" of "a five star movie" matched Lone Star)."""
    idx = text.find(value)
    return idx >= 0 and any(m.start() <= idx and idx + len(value) <= m.end() for m in _RATING_WORDS.finditer(text))


def _describes_a_genre(value: str, text: str, terms: Collection[str]) -> bool:
    """Whether a one-word `value` is an adjective right before a genre word ("heavy dramas")."""
    if " " in value:
        return False
    after = re.search(rf"\b{re.escape(value)}\s+([\w'-]+)", text)
    return after is not None and (after.group(1) in terms or after.group(1).rstrip("s") in terms)


def _inside_a_genre_phrase(value: str, text: str, terms: Collection[str]) -> bool:
    """Whether `value` is only part of a longer genre phrase the text says ("love story")."""
    return any(
        len(term) > len(value) and re.search(rf"\b{re.escape(value)}\b", term) and re.search(rf"\b{re.escape(term)}\b", text)
        for term in terms
    )
