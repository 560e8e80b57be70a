"""A message as tokens, and the one way cue tables are matched against them.

Every cue table (negations, drops, "instead", "is fine") is a set of token sequences built
with `token_phrase`; `match_at` finds the longest one at a position. Shared by the negation
scope, the genre reading and the free-text wish, so they all cut words the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)*(?:-[a-z0-9]+)*'?|[.,!?;:/&()+]")


@dataclass(frozen=True)
class Tok:
    """One word or punctuation mark, with where it sits in the lower-cased message."""

    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Tok]:
    """Words (with their apostrophes and hyphens) and punctuation of a lower-cased message."""
    return [Tok(m.group(0).replace("’", "'"), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def token_phrase(words: str) -> tuple[str, ...]:
    """A cue written as words -> the token sequence `match_at` compares."""
    return tuple(t.text for t in tokenize(words))


def match_at(tokens: list[Tok], i: int, phrases: set[tuple[str, ...]] | list[tuple[str, ...]]) -> int:
    """Length of the longest phrase of `phrases` starting at token i (0 if none)."""
    if i >= len(tokens):
        return 0
    best = 0
    for phrase in _by_first_word(id(phrases), phrases).get(tokens[i].text, ()):
        n = len(phrase)
        if n > best and tuple(t.text for t in tokens[i : i + n]) == phrase:
            best = n
    return best


_FIRST_WORD_INDEX: dict[int, dict[str, list[tuple[str, ...]]]] = {}


def _by_first_word(key: int, phrases: set[tuple[str, ...]] | list[tuple[str, ...]]) -> dict[str, list[tuple[str, ...]]]:
    """The cue tables indexed by their first word (built once per table: a turn is read in ~1 ms)."""
    index = _FIRST_WORD_INDEX.get(key)
    if index is None:
        index = {}
        for phrase in phrases:
            if phrase:
                index.setdefault(phrase[0], []).append(phrase)
        _FIRST_WORD_INDEX[key] = index
    return index


# chat spellings read as the words they stand for ("nuthin b4 1980", "aliens n stuff", "w/ some action")
_SLANG = {"b4": "before", "nuthin": "nothing", "nothin": "nothing", "nuffin": "nothing", "w/o": "without",
          "w/": "with", "n": "and", "luv": "love", "somethin": "something", "sumthin": "something", "sum": "some",
          "tho": "though", "rly": "really", "abt": "about", "ppl": "people", "b/c": "because"}
_SLANG_WORD = re.compile(r"(?<![\w/])(?:" + "|".join(re.escape(w) for w in sorted(_SLANG, key=len, reverse=True)) + r")(?![\w/])")


def respell(text: str) -> str:
    """A lower-cased message with chat spellings as the words they stand for; a lone "n" only
    between two words ("aliens n stuff")."""

    def word(m: re.Match[str]) -> str:
        between_words = re.search(r"\w $", text[: m.start()]) and re.match(r" \w", text[m.end() :])
        return m.group(0) if m.group(0) == "n" and not between_words else _SLANG[m.group(0)]

    return _SLANG_WORD.sub(word, text)
