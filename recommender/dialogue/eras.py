"""Years and eras as people say them: '90s', 'the thirties', 'late 80s', 'before 1970',
'after 2000', 'between 1985 and 1995', 'around 1990', 'make it the 1980s', 'older', 'older is fine',
'not in black and white'.

`find_eras` returns each phrase's span and what it means, so the caller can leave those words
out when it looks for genres ("the 1990s" is no genre, and "80s" is no rating).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recommender.dialogue.count import NUMBER_WORDS

_DECADE_WORDS = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
    "seventies": 1970, "eighties": 1980, "nineties": 1990, "noughties": 2000, "aughts": 2000,
}
# decade words as they get typed: "ninties", "eightes", "seventys", "fourties", "eigthies"
_DECADE_STEMS = {"twent": 1920, "thirt": 1930, "fourt": 1940, "fift": 1950, "sixt": 1960,
                 "sevent": 1970, "eight": 1980, "eigth": 1980, "ninet": 1990, "nint": 1990}
_MISSPELT_DECADE = r"(?:" + "|".join(sorted(_DECADE_STEMS, key=len, reverse=True)) + r")(?:ies|ys|eis|es|is|ees)"
# a part of a decade said in words ("the tail end of the nineties", "the start of the 1990s")
_PART_WORDS = {
    "start of": "early", "beginning of": "early", "first part of": "early", "dawn of": "early",
    "first half of": "first half", "second half of": "second half", "latter half of": "second half",
    "back half of": "second half", "middle of": "mid", "end of": "late", "tail end of": "late",
    "latter part of": "late", "last part of": "late", "close of": "late",
}
_PART = r"early|mid|late|" + "|".join(w.replace(" ", r"\s+") for w in sorted(_PART_WORDS, key=len, reverse=True))
_DECADE = (
    rf"(?:the\s+)?(?:(?P<part>{_PART})(?:\s+the)?[\s-]*)?"
    r"(?:(?P<d4>1[89]\d0|20[0-4]0)\s?'?s(?![a-z])"  # not "after 2000 sci-fi"
    r"|'?(?P<d2>[2-9]0|00|10)\s?'?s(?![a-z])"
    r"|(?:nineteen[\s-]*)?(?P<dw>twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties|noughties|aughts|"
    + _MISSPELT_DECADE + ")"
    r"|(?P<two>two[\s-]*thousands))"
)
_YEAR = r"(?:the year\s+)?(?P<year>1[89]\d{2}|20[0-4]\d)"
_POINT = rf"(?:{_DECADE}|{_YEAR})(?![\d])"


def _point(text: str) -> tuple[int, int] | None:
    """The first and last year of one point in time: a year or a (part of a) decade."""
    match = re.fullmatch(_POINT, text.strip())
    if match is None:
        return None
    if match.group("year"):
        year = int(match.group("year"))
        return year, year
    if match.group("d4"):
        start = int(match.group("d4"))
    elif match.group("d2"):
        two = int(match.group("d2"))
        start = 1900 + two if two >= 20 else 2000 + two
    elif match.group("dw"):
        word = match.group("dw")
        start = _DECADE_WORDS.get(word) or _DECADE_STEMS[max((s for s in _DECADE_STEMS if word.startswith(s)), key=len)]
    else:
        start = 2000
    part = match.group("part")
    part = _PART_WORDS.get(" ".join(part.split()), part) if part else part
    if part == "first half":
        return start, start + 4
    if part == "second half":
        return start + 5, start + 9
    if part == "early":
        return start, start + 3
    if part == "mid":
        return start + 3, start + 6
    if part == "late":
        return start + 6, start + 9
    return start, start + 9


@dataclass(frozen=True)
class EraPhrase:
    """One era phrase: its span in the (lower-cased) text and the window it asks for.

    `replace` is False for an open bound ("before 1970"), which keeps the other side of an
    existing window where the two still overlap. `shift` is -1/+1 for "older"/"newer" (asked
    for); `widen` is -1/+1 for "older is fine"/"newer is fine too" (allowed, not asked for).
    """

    start: int
    end: int
    year_from: int | None = None
    year_to: int | None = None
    replace: bool = True
    shift: int = 0
    clear: bool = False
    widen: int = 0
    hedged: bool = False  # "not too old": a shift that rules out only the far end
    refused: bool = False  # "none from the 90s": year_from-year_to is what is ruled out
    years_back: int = 0  # "from the last 10 years": counted back from the catalog's newest year


_P = rf"(?P<a>{_POINT.replace('?P<', '?P<a_')})"
_Q = rf"(?P<b>{_POINT.replace('?P<', '?P<b_')})"
_BETWEEN = re.compile(
    rf"\b(?:between|from|in)?\s*{_P}\s*(?:and|to|through|thru|till|until|-|–|—|→|~|/)\s*{_Q}"
)
_SHORT_RANGE = re.compile(
    r"(?:\bbetween|\bfrom)\s+'?(?P<a>\d{2})\b\s*(?:and|to|through|thru|till|until|-|–|—)\s*'?(?P<b>\d{2})\b"
    r"|'(?P<c>\d{2})\s*(?:-|–|—|to|through|thru|and)\s*'(?P<d>\d{2})\b"
)
# "nothing from before 1985", "no movies made after 1990": the refusal sits before the filler
_REFUSING_FROM = "".join(rf"(?<!{who} {filler} )" for who in ("nothing", "no movies", "no films", "none")
                         for filler in ("from", "made", "released"))
_BEFORE = re.compile(
    rf"(?<!not )(?<!no )(?<!nothing )(?<!none ){_REFUSING_FROM}\b(?P<cue>before|pre-?|prior to|earlier than|older than|until|till|"
    rf"up to|up until|no later than|not after|not later than|not newer than|no newer than|nothing after|"
    rf"nothing newer than|nothing later than|none after|(?:nothing|no movies|no films|none) (?:from|made|released) "
    rf"(?:after|later than|newer than)|by)\s*{_P}"
)
_AFTER = re.compile(
    rf"(?<!not )(?<!no )(?<!nothing )(?<!none ){_REFUSING_FROM}\b(?P<cue>after|post-?|since|later than|newer than|"
    rf"more recent than|not before|no earlier than|not older than|no older than|not earlier than|nothing before|"
    rf"nothing older than|nothing earlier than|none before|"
    rf"(?:nothing|no movies|no films|none) (?:from|made|released) (?:before|earlier than|older than)|starting(?: in| from| with)?|beginning(?: in| with)?)\s*{_P}"
    rf"(?:\s*(?:on|onwards?|or later|and later|or newer|and newer|and up))?"
)
_ONWARDS = re.compile(rf"{_P}\s*(?:on|onwards?|or (?:later|newer|after)|and (?:later|newer|after|up|beyond)|\+)(?!\w)")
_OR_EARLIER = re.compile(rf"{_P}\s*(?:or|and) (?:earlier|older|before)\b")
_AROUND = re.compile(rf"\b(?:around|about|circa|ca\.?|roughly|approximately|approx\.?|close to|near|somewhere around)\s*{_P}")
_ISH = re.compile(rf"{_P}\s*-?ish\b")
_POINT_ALONE = re.compile(rf"(?<![\w-]){_P}")
_CENTURY = re.compile(r"\b(this century|21st century|twenty-first century|20th century|twentieth century)\b")
# "from the turn of the century / millennium": the years around 2000
_TURN_OF_CENTURY = re.compile(r"\b(?:the )?turn of the (?:century|millennium)|\baround (?:the )?millennium\b|\by2k\b")
_CLEAR = re.compile(
    r"\b(?:any|whatever|whichever)\s+(?:year|decade|era|time|period)s?\b"
    r"|\b(?:year|decade|era|when it was made|release date)\s+(?:doesn'?t|does not|don'?t)\s+matter\b"
    r"|\bdon'?t care (?:about )?(?:when|the year|the decade)\b"
    r"|\b(?:forget|drop|ignore|never mind|nevermind|remove|scrap|lose|ditch|skip)\s+(?:about\s+)?(?:the\s+)?"
    r"(?:year|decade|era|date|period|time ?frame)s?(?: (?:thing|part|bit|limit|filter))?\b"
)
_OLDER = re.compile(
    r"\b(?:older|earlier ones?|an earlier|something earlier|(?:a )?(?:bit|little|touch|tad|lot) earlier|vintage|"
    r"old-school|old school|oldies|(?:something |a |an old |old |the )?classics?(?= (?:movies?|films?|ones|please|pls)\b|\W*$)|too (?:new|recent|modern)|further back|(?:go|going) back(?: further| more)?|"
    r"back in time|(?:go|going|move|something|anything|a little|slightly|bit|even) earlier|earlier than (?:these|those|that|this)|"
    r"(?:earlier|older) (?:movies|films|ones|stuff|titles|years|decades|era|pictures|releases|picks)|^earlier\b|"
    r"predates? (?:these|those)|before (?:all )?(?:of )?(?:these|those|that|them)|"
    r"golden age|something old|an old (?:movie|film|one)|old (?:movies|films|ones|stuff))\b"
)
# "older is fine", "I don't mind older films", "it doesn't have to be new": older ones are allowed, not
# asked for. The window opens on that side; nothing moves (after an animated list, "older is fine"
# had moved the search before 1937, where no animation is, and the animation went)
_FINE = (r"(?:'s|'re|\s+(?:is|are|would be|'d be|will be|can be|could be|be))?\s+(?:also\s+|too\s+|totally\s+|"
         r"perfectly\s+|just\s+|absolutely\s+|still\s+|really\s+)?(?:fine|ok|okay|alright|all right|acceptable|"
         r"no problem|not a problem|welcome|allowed|good too|good as well|great too|cool too|cool)\b"
         r"|\s+(?:works?|do|does)\s+(?:too|as well|for me)\b")
_THINGS = r"(?:\s+(?:ones|movies|films|stuff|titles|picks|releases|classics|years|decades))?"
_OLDER_OK = re.compile(
    rf"\b(?:older|old|earlier|vintage|old-school|black and white){_THINGS}(?:{_FINE})"
    r"|\b(?:do not|don'?t|wouldn'?t|would not|won'?t|not) (?:really )?mind\s+(?:some\s+|an?\s+|the\s+)?(?:older|old|earlier)\b"
    r"|\b(?:can|could|may|might) (?:also |even |well )?(?:be|go) (?:older|old|earlier)\b|\bopen to (?:older|old)\b"
    r"|\b(?:doesn'?t|does not|don'?t|do not|needn'?t|need not|no need (?:for it )?to) (?:have to |need to )?be (?:new|recent|modern)\b"
)
_NEWER_OK = re.compile(
    rf"\b(?:newer|new|recent|more recent|modern|later){_THINGS}(?:{_FINE})"
    r"|\b(?:do not|don'?t|wouldn'?t|would not|won'?t|not) (?:really )?mind\s+(?:some\s+|an?\s+|the\s+)?(?:newer|new|recent|more recent|modern)\b"
    r"|\b(?:can|could|may|might) (?:also |even |well )?(?:be|go) (?:newer|more recent|later)\b|\bopen to (?:newer|new|recent)\b"
    r"|\b(?:doesn'?t|does not|don'?t|do not|needn'?t|need not|no need (?:for it )?to) (?:have to |need to )?be (?:old|classic)\b"
)
_NEWER = re.compile(
    r"\b(?:newer|more recent|recent|modern|later ones?|something later|(?:a )?(?:bit|little|touch|tad|lot) later|"
    r"contemporary|latest|up to date|too (?:old|dated)|this decade|these days|nowadays|current (?:ones|stuff|films|movies)|less (?:dated|old)|not as (?:old|dated)|fresher|closer to (?:today|now|the present)|more current|"
    r"forward in time|further forward|(?:go|going|move|something|anything|a little|slightly|bit|even) later|"
    r"later than (?:these|those|that|this)|(?:later|newer) (?:movies|films|ones|stuff|titles|years|decades|era|pictures|releases|picks)|"
    r"^later\b|after (?:all )?(?:of )?(?:these|those|that|them)|outdated|"
    r"(?:feels?|feeling|looks?|looking|seems?|a bit|kind of|kinda|sort of|too|very|so|rather|quite|pretty|bit) dated)\b"
)
# black and white is an era: nearly every film was in colour by the late 1960s
COLOUR_FROM = 1966
_MONO = r"(?:black[- ]and[- ]white|black ?& ?white|b&w|b/w|monochrome)"
_NOT_MONO = re.compile(
    rf"\b(?:not|no|nothing|none|never|without|anything but|skip(?: the)?)\s+(?:in\s+|shot in\s+|filmed in\s+)?{_MONO}"
    r"|\bin (?:full )?colou?r\b|\bcolou?r (?:films?|movies?|ones|pictures?)\b"
)
# how many years back: the counts' number words, and "few" (about five), "couple of", "thirty"
_NUMBER_WORDS = {**NUMBER_WORDS, "few": 5, "couple of": 2, "thirty": 30}
_YEARS_BACK = re.compile(
    r"\b(?:last|past|previous)\s+(?:(?P<n>\d{1,2}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    + r")\s+(?P<units>years|decades)|(?P<unit>year|decade))\b"
)
# "none from the 90s", "no 80s movies", "anything but the seventies": years ruled out, not asked for
_REFUSED = re.compile(
    r"\b(?:not|no|nothing|none|never|anything but|skip|avoid|except|no more)\s+"
    r"(?:(?:movies?|films?|stuff|ones?)\s+)?(?:(?:from|in|of|made in|released in)\s+)?" + _P
)
_IN_MONO = re.compile(rf"(?:\b(?:in|shot in|filmed in)\s+)?\b{_MONO}")
# a hedge, not a critique of the list: "not too old", "nothing too recent" rule out the far end only
_NOT_TOO_NEW = re.compile(r"\b(?:not (?:so |that |too |very )?(?:new|recent|modern)|nothing (?:too |so |that )?(?:new|recent|modern)|"
                          r"no (?:new|recent|modern) (?:movies|films|ones|stuff)|no new releases)\b")
_NOT_TOO_OLD = re.compile(r"\b(?:not (?:so |that |too |very )?old|nothing (?:too |so |that )?old|"
                          r"no (?:old|ancient) (?:movies|films|ones|stuff)|no oldies|"  # "no old movies" asked for old ones
                          r"not (?:too |so |that |very )?(?:long|far) (?:ago|back))\b")


def _window(match: re.Match[str], group: str) -> tuple[int, int]:
    window = _point(match.group(group))
    assert window is not None  # the group matched _POINT
    return window


def find_eras(text: str) -> list[EraPhrase]:
    """Every era phrase in lower-cased `text`, left to right, without overlaps."""
    found: list[EraPhrase] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(phrase: EraPhrase) -> None:
        found.append(phrase)
        taken.append((phrase.start, phrase.end))

    for m in _BETWEEN.finditer(text):
        if free(m.start(), m.end()):
            (a, _), (_, b) = _window(m, "a"), _window(m, "b")
            if b - a > 200 or b < a - 200:
                continue
            add(EraPhrase(m.start(), m.end(), min(a, b), max(a, b)))
    for m in _SHORT_RANGE.finditer(text):  # "from '85 to '95", "between 85 and 95"
        if free(m.start(), m.end()):
            a, b = (int(m.group("a") or m.group("c")), int(m.group("b") or m.group("d")))
            a, b = (1900 + a if a >= 20 else 2000 + a), (1900 + b if b >= 20 else 2000 + b)
            if a <= b:
                add(EraPhrase(m.start(), m.end(), a, b))
    for m in _YEARS_BACK.finditer(text):  # "from the last 10 years", "in the past decade"
        if free(m.start(), m.end()):
            n, unit = m.group("n"), m.group("units") or m.group("unit")
            count = (int(n) if n.isdigit() else _NUMBER_WORDS[n]) if n else 1
            add(EraPhrase(m.start(), m.end(), years_back=count * (10 if unit.startswith("decade") else 1)))
    for m in _REFUSED.finditer(text):
        if free(m.start(), m.end()):
            a, b = _window(m, "a")
            add(EraPhrase(m.start(), m.end(), a, b, replace=False, refused=True))
    for m in _BEFORE.finditer(text):
        if free(m.start(), m.end()):
            a, b = _window(m, "a")
            inclusive = m.group("cue") in ("until", "till", "up to", "up until", "no later than", "not after",
                                           "not later than", "not newer than", "no newer than", "by", "nothing after",
                                           "nothing newer than", "nothing later than", "none after") or (
                m.group("cue").startswith(("nothing ", "no ", "none ")))  # "nothing from after 1990" keeps 1990
            add(EraPhrase(m.start(), m.end(), None, b if inclusive else a - 1, replace=False))
    for m in _AFTER.finditer(text):
        if free(m.start(), m.end()):
            a, b = _window(m, "a")
            cue = m.group("cue").rstrip("-")
            exclusive = cue in ("after", "post", "later than", "newer than", "more recent than")
            add(EraPhrase(m.start(), m.end(), b + 1 if exclusive else a, None, replace=False))
    for m in _ONWARDS.finditer(text):
        if free(m.start(), m.end()):
            add(EraPhrase(m.start(), m.end(), _window(m, "a")[0], None, replace=False))
    for m in _OR_EARLIER.finditer(text):
        if free(m.start(), m.end()):
            add(EraPhrase(m.start(), m.end(), None, _window(m, "a")[1], replace=False))
    for pattern in (_AROUND, _ISH):
        for m in pattern.finditer(text):
            if free(m.start(), m.end()):
                a, b = _window(m, "a")
                add(EraPhrase(m.start(), m.end(), a - 2, b + 2) if a == b else EraPhrase(m.start(), m.end(), a, b))
    for m in _POINT_ALONE.finditer(text):
        if free(m.start(), m.end()):
            a, b = _window(m, "a")
            add(EraPhrase(m.start(), m.end(), a, b))
    for m in _TURN_OF_CENTURY.finditer(text):
        if free(m.start(), m.end()):
            add(EraPhrase(m.start(), m.end(), 1995, 2004))
    for m in _CENTURY.finditer(text):
        if free(m.start(), m.end()):
            twentieth = "20th" in m.group(0) or "twentieth" in m.group(0)
            add(EraPhrase(m.start(), m.end(), 1900 if twentieth else 2000, 1999 if twentieth else None))
    for m in _CLEAR.finditer(text):
        if free(m.start(), m.end()):
            add(EraPhrase(m.start(), m.end(), clear=True))
    for m in _NOT_MONO.finditer(text):
        if free(m.start(), m.end()):
            add(EraPhrase(m.start(), m.end(), COLOUR_FROM, None, replace=False))
    for m in _IN_MONO.finditer(text):
        if free(m.start(), m.end()) and not re.match(_FINE, text[m.end() :]):  # "black and white is fine": allowed
            add(EraPhrase(m.start(), m.end(), None, COLOUR_FROM - 1, replace=False))
    if not any(p.year_from is not None or p.year_to is not None or p.years_back for p in found):
        for pattern, widen in ((_OLDER_OK, -1), (_NEWER_OK, 1)):
            for m in pattern.finditer(text):
                if free(m.start(), m.end()):
                    add(EraPhrase(m.start(), m.end(), widen=widen))
        for pattern, shift in ((_NOT_TOO_NEW, -1), (_NOT_TOO_OLD, 1)):
            for m in pattern.finditer(text):
                if free(m.start(), m.end()):
                    add(EraPhrase(m.start(), m.end(), shift=shift, hedged=True))
        for pattern, shift in ((_OLDER, -1), (_NEWER, 1)):
            for m in pattern.finditer(text):
                if free(m.start(), m.end()):
                    add(EraPhrase(m.start(), m.end(), shift=shift))
    return sorted(found, key=lambda p: p.start)
