"""How many items the person asked to see: "give me three comedies", "top 5", "just one",
"two more", "a couple of thrillers".

A number counts only where it counts things to watch: before a noun for them (with at most three
words between: "five more sci-fi films"), after "top"/"best", or right after a verb of asking
("show me 4", "just two please"). "The first two" (a reference into the list), "the 90s", "1994",
"5 stars", "one of the best films" and titles ("Twelve Monkeys", "2 Days in the Valley") are not
counts. "One" before a noun is mostly an article ("can you find me one comedy?", "is there one
that's also a comedy?"): it counts only after "just"/"only", or as "a single".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COUNT = 10
"""The most items one turn shows, whatever was asked (a chat message is not a catalog page)."""

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "a couple": 2, "a couple of": 2,
    "a pair of": 2, "a dozen": 12, "half a dozen": 6, "a single": 1,
    "couple": 2, "pair": 2,  # "another couple"
}
_NUMBER = (r"(?P<n>\d{1,2}(?![\d/:%']|[.,]\d|\s*(?:s\b|stars?\b|-star|out of|hours?|mins?|minutes?|pm\b|am\b))"
           r"|half a dozen|a dozen|a couple(?: of)?|a pair of|a single|one|two|three|four|five|six|seven|"
           r"eight|nine|ten|eleven|twelve|fifteen|twenty)")
# what a count counts: a thing to watch or read, or a plural genre word (checked by the caller)
_NOUNS = (r"movies?|films?|flicks?|titles?|picks?|options?|suggestions?|recommendations?|recs?|ideas?|ones?|results?|"
          r"choices?|books?|novels?|reads?|shows?|items?|things?")
_BARRIERS = frozenset({"of", "the", "from", "in", "with", "and", "or", "to", "by", "than", "star", "stars", "a", "an",
                       "that", "that's", "thats", "which", "who", "is", "are", "also", "where", "if", "but", "so"})
MAX_WORDS_BETWEEN = 3
# a count is no count after these: "the two films", "that one movie", "first two", "every one"
_NOT_AFTER = re.compile(
    r"\b(?:the|that|this|those|these|my|his|her|their|our|its|every|each|which|first|last|next|same|no|"
    r"top|best|other|any)\s+$"
)
_TOP_BEFORE = re.compile(r"\b(?:top|best)\s+$")
_NUMBER_AT = re.compile(rf"\b{_NUMBER}(?=\s+[a-z])")
_WORD = re.compile(r"[a-z][a-z'-]*")
_AFTER_TOP = re.compile(rf"(?<!\bthe )\b(?:top|best)\s+{_NUMBER}\b(?!\s+of\s+(?:them|those|these|that|the list|your list)\b)")
_AFTER_ASKING = re.compile(
    rf"\b(?:just|only|give me|show me|show|send me|list|suggest|recommend|pick|need|want|like|get me|gimme)\s+"
    rf"(?:(?:me|us)\s+)?(?:just\s+|only\s+|like\s+|maybe\s+|about\s+|around\s+)?{_NUMBER}"
    rf"(?:\s+more)?(?=\s*(?:$|[.,!?;]|please|pls|plz|thanks|then|now|today|tonight|instead|at a time|this time|"
    rf"like (?:that|this|those|these|it|them|the \w+ one))\b|\s*$|\s*[.,!?;])"
)
# "ok, 2 of those from the 60s", "another couple": a count of the same kind of thing
_OF_THOSE = re.compile(
    rf"(?:^|[,.;!?]\s*|\b(?:ok|okay|so|then|now|maybe|just|only|give me|show me|want|like|need)\s+){_NUMBER}"
    r"\s+(?:more\s+)?of\s+(?:those|these|them|that kind|the same)\b"
)
# "4 is enough", "3 will do": how many, said as what suffices
_ENOUGH = re.compile(rf"(?:^|[,.;!?]\s*|\b(?:ok|okay|so|maybe|just|only|like)\s+){_NUMBER}\s+(?:is|are|would be|will|should)\s+"
                     r"(?:enough|plenty|fine|good|do|be enough|be fine|do it)\b")
_ANOTHER = re.compile(r"\banother\s+(?P<n>couple|pair|two|three|four|five|six|seven|eight|nine|ten|\d{1,2})\b(?!\s*(?:years?|decades?|s\b))")
_MORE = re.compile(
    rf"(?:^|[.,!?;]\s*|\b(?:and|then|ok|okay|sure|yes|great|cool|nice|now|maybe)\s+){_NUMBER}\s+more"
    rf"(?!\s+(?:time|thing|question|try|minute|sec|second|day|week|hour|of)s?\b)\b"
)
_NOUN = re.compile(rf"^(?:{_NOUNS})$")


@dataclass(frozen=True)
class CountPhrase:
    """A number of items asked for, and where its number sits in the lower-cased message (only the
    number: "horror" of "5 horror films" is still read as a genre)."""

    count: int
    start: int
    end: int


def find_count(text: str, genre_words: frozenset[str] = frozenset()) -> CountPhrase | None:
    """The last count of items to show in lower-cased `text` ("the last one said wins"), or None.

    `genre_words` are the catalog's genre surface forms: "three comedies" counts comedies.
    """
    found: list[CountPhrase] = []
    for m in _NUMBER_AT.finditer(text):
        end = _counted_noun_end(text, m.end(), genre_words)
        if end is None or (_NOT_AFTER.search(text[: m.start()]) and not _TOP_BEFORE.search(text[: m.start()])):
            continue  # "the top twelve dramas" counts dramas; "the top two" alone points into the list
        if m.group("n") == "one" and not re.search(r"\b(?:just|only)\s+$", text[: m.start()]):
            continue  # "find me one comedy" is "a comedy"; "just one comedy" counts
        found.append(CountPhrase(_value(m.group("n")), m.start("n"), m.end("n")))
    for pattern in (_AFTER_TOP, _AFTER_ASKING, _MORE, _OF_THOSE, _ANOTHER, _ENOUGH):
        for m in pattern.finditer(text):
            if pattern is _OF_THOSE and m.group("n") == "one":
                continue  # "one of those scary ones": a kind, not a count
            if not any(f.start == m.start("n") for f in found):
                found.append(CountPhrase(_value(m.group("n")), m.start("n"), m.end("n")))
    if not found:
        return None
    return max(found, key=lambda f: f.start)


def _counted_noun_end(text: str, pos: int, genre_words: frozenset[str]) -> int | None:
    """Where the noun a number counts ends, looking at most three words past `pos`; None when the
    number counts no thing to watch ("2 days in the valley", "one of the best")."""
    for i, word in enumerate(_WORD.finditer(text, pos)):
        if i > MAX_WORDS_BETWEEN or text[pos : word.start()].strip(" -"):
            return None  # too far, or punctuation between
        w = word.group(0)
        if _NOUN.match(w) or w in genre_words or w.rstrip("s") in genre_words or w.removesuffix("ies") + "y" in genre_words:
            if not w.startswith("thing"):
                return word.end()
            things_to = re.match(r"\s+to\s+(?:watch|see|read)\b", text[word.end() :])  # not "ten things i hate"
            return word.end() + things_to.end() if things_to else None
        if w in _BARRIERS:
            return None
        pos = word.end()
    return None


def _value(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]
