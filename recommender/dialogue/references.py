"""References to items: "the second one", "the first two", "all of them" in the list just
shown (`ordinal_refs`), titles named as a reference ("like Heat", "in the vein of Fargo")
looked up in the catalog (`title_refs`), and the words around them that say "more like"
or "less like" ("like X but Y" keeps X as a reference and reads Y as a genre).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from recommender.dialogue.lexicon import terms_for
from recommender.dialogue.title_guesses import names_no_film, one_word_of_a_longer_title
from recommender.dialogue.turn import CatalogView, Turn
from recommender.dialogue.wish import STOPWORDS

MAX_TITLE_LOOKUPS = 3  # "like X" phrases looked up per message: each is a fuzzy search of the catalog

_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8,
    "9th": 9, "10th": 10, "last": -1, "final": -1, "top": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "penultimate": -2, "second to last": -2, "second-to-last": -2, "second last": -2, "next to last": -2,
    "next-to-last": -2, "one before the last": -2, "middle": 0,
}
_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5}
_ORDINAL = re.compile(
    r"\b(?:the\s+)?(?P<word>penultimate|second[- ]to[- ]last|second last|next[- ]to[- ]last|middle|"
    r"one before the last|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|final|"
    r"1st|2nd|3rd|4th|5th|6th|7th|8th|9th|10th)(?:\s+(?:one|movie|film|pick|option|title|item|suggestion))?\b"
    # "the last thing i want", "the first time", "the first half of the 80s": no item
    r"(?!\s+(?:thing|things|time|times|night|week|weekend|month|year|years|decade|decades|half|part|bit|few|"
    r"couple|day|days|minute|minutes|hour|hours|season|word|place|resort|step|scene|act|chance|idea|"
    r"of (?:the )?(?:night|day|week|nowhere|road))\b)"
    r"|\b(?:number\s+|no\.\s*)(?P<num>\d{1,2}|one|two|three|four|five)\b"
    r"|#(?P<hash>\d{1,2})\b"  # "more like #2": no word boundary before "#"
)
# several numbers of the list at once: "number 3 and 5", "#1 and #4", "1 and 4 are my kind of movie"
_NUMBER_LIST = re.compile(
    r"(?:\b(?:numbers?|nos?\.)\s*|#|^\W*|\b(?:seen|watched|saw|liked|loved|hated|disliked)\s+)(?P<list>\d(?:\s*(?:,|and|&|\+|or)\s*(?:#|number\s+)?\d)+)\b"
    r"(?=\s*(?:$|[.,!?]|(?:are|were|look|looks|sound|sounds|seem|seems|both|too|i|please|pls|already|before|twice)\b))"
)
_PLURAL_REF = re.compile(
    r"\b(?:the\s+)?(?P<edge>first|last|top)\s+(?P<count>two|three|four|five|[2-5])\b"
    r"|\b(?P<all>all\s+(?:of\s+)?(?:them|those|these|the above|five|three|four|of it)|every\s+(?:one|single one)|"
    r"both(?:\s+of\s+them)?|the whole (?:list|lot)|all)\b"
)
MORE_LIKE = re.compile(
    r"\b(?:more|something|anything|stuff|ones?|films?|movies?|similar)\s+(?:like|similar to|along the lines of)\s*$"
    r"|\b(?:similar to|in the vein of|along the lines of|in the style of|the same as|same vibe as|like)\s*$"
)
# praise right after a reference: "the second one looks good", "number 3 sounds great, more like that"
LIKED_AFTER = re.compile(
    r"\s*(?:one\s+|ones\s+)?(?:looks?|sounds?|seems?|is|was|are|were)\s+(?:really\s+|very\s+|pretty\s+|so\s+)?"
    r"(?:good|great|interesting|fun|nice|cool|perfect|promising|awesome|amazing|right up my alley)\b"
    r"|\s*[,.!]?\s*(?:i (?:like|love)|love|nice|perfect|yes)\b.*?\bmore like (?:that|it|this)\b"
    r"|\s*(?:please|pls)?\s*[,.!]?\s*more like (?:that|it|this)\b"
)
DISLIKED_AFTER = re.compile(
    r"\s*(?:one\s+|ones\s+)?(?:looks?|sounds?|seems?|is|was|are|were)\s+(?:really\s+|very\s+|pretty\s+|so\s+|kinda\s+)?"
    r"(?:bad|boring|terrible|awful|dull|meh|lame|not (?:for me|good|great|my thing))\b"
)
LESS_LIKE = re.compile(r"\b(?:not|nothing|less|no more|fewer)\s+(?:like|similar to)\s*$")
# a reference refused by the words right before it: "i didn't like the last one", "not the second
# one", "anything but the third" (MORE_LIKE's "like" alone liked it)
# words right before a title that refuse it: "space movies but not Star Wars", "anything but Titanic"
_DISLIKED = (r"hated|hate|disliked|dislike|didn'?t like|did not like|don'?t like|do not like|didn'?t enjoy|"
             r"can'?t stand|cannot stand|couldn'?t stand|not a fan of|wasn'?t a fan of|sick of|tired of|fed up with|"
             r"bored by|was bored by|regret watching|walked out of|gave up on")
REFUSED_TITLE = re.compile(
    r"\b(?:not|no|no more|nothing like|anything but|everything but|except(?: for)?|other than|besides|"
    r"apart from|without|excluding|minus|skip|anything except|rather than|instead of|"
    # "i didn't hate titanic" refuses nothing
    rf"(?<!didn't )(?<!didnt )(?<!don't )(?<!dont )(?<!never )(?<!not )(?:{_DISLIKED}))\s+(?:the\s+|any\s+)?$"
)
REFUSED_REF = re.compile(
    rf"\b(?:{_DISLIKED}|not|no|anything but|everything but|except(?: for)?|other than|skip|drop|lose|remove)\s*$"
)
_TITLE_TRIGGER = re.compile(
    r"(?:^|\b(?:something|anything|stuff|movies?|films?|ones?|more|similar|kinda|kind of|sort of|a bit|just|"
    r"maybe|preferably|perhaps|or|and)\s+)(?:like|similar to)\s+(?P<rest>.+)"
    r"|\b(?:similar to|in the vein of|along the lines of|in the style of|reminds me of|same vibe as|a la|à la|"
    r"the likes of|inspired by|comparable to|if i liked|since i liked|"
    r"(?:already\s+)?(?:seen|watched|saw))\s+(?P<rest2>.+)"
    # a verb of taste where a clause starts: "i loved heat", "loved heat but couldn't stand fargo"
    r"|(?:^|\b(?:i|we|but|and|though|also)\s+|[,;.!]\s*)(?:really\s+|totally\s+|absolutely\s+|just\s+|also\s+)?"
    rf"(?:loved|liked|enjoyed|adored|(?:i'?m |am )?(?:a )?(?:huge |big |massive |great )?fan of|{_DISLIKED})\s+(?P<rest3>.+)"
    # a title refused where a clause starts: "sci-fi but not star wars" (not the war films of "wars")
    r"|(?:^|\bbut\s+|[,;]\s*)(?:not|except(?: for)?|other than|anything but|apart from|besides)\s+(?:the\s+)?(?P<rest4>.+)"
)
_TITLE_STOP = re.compile(
    r"\s*(?:[.,;!?]|\bbut\b|\bplease\b|\bthough\b|\bexcept\b|\bonly\b|\bmade\b|\bfrom the\b|\bwithout\b|\bwith\b|"
    r"\bthat (?:is|was|are)\b|\bfor\b|\bor something\b|\bmaybe\b)"
)
# words after "not" that begin no title ("not bad" is no refusal of Bad Boys)
_NOT_A_REFUSED_TITLE = re.compile(
    r"^(?:bad|sure|really|now|yet|today|tonight|again|quite|exactly|great|good|much|many|so|too|very|in|from|"
    r"before|after|since|during|a|an|any|one|ones|interested|into|keen|feeling|fussed|bothered|picky|fan|big|"
    r"necessarily|only|just|even|more|less|as|like|at|all|my|our|for|with|about|over|under|older|newer|old|new|"
    r"recent|long|short|scary|sad|funny|dark|violent|gory|sappy|cheesy|animated|black|colou?r)\b"
)
_NOT_TITLE_START = re.compile(
    r"^(?:that|this|it|them|those|these|the (?:first|second|third|fourth|fifth|last|final|\d+(?:st|nd|rd|th)?)|the one|one of|"
    # "the thriller i saw last night": when, not what
    r"last (?:night|week|weekend|month|year|time)|yesterday|recently|earlier|the other day|a while ago|once|twice|"
    r"before|already|years ago|as a kid|in the cinema|in theaters|on tv|"
    r"number \w+|#\d|no\. ?\d|"
    r"a (?:bit|little)|something|anything|what|you|me|us|him|her)\b"
)


def ordinal_refs(text: str, last_items: Sequence[str]) -> list[tuple[tuple[str, ...], tuple[int, int]]]:
    """The item ids each of "the second one", "the first two", "all of them" points at in the last
    list, with where it was said."""
    refs: list[tuple[tuple[str, ...], tuple[int, int]]] = []
    spans: list[tuple[int, int]] = []
    for m in _PLURAL_REF.finditer(text):
        if m.group("all"):
            if m.group("all") == "all" and not re.search(r"\b(?:seen|watched|saw)\s+(?:them\s+)?all\b", text):
                continue
            chosen = list(last_items)
        elif m.group("edge") == "top" and not m.group(0).startswith("the"):
            continue  # "top 3 thrillers" asks for three, it points at none
        else:
            count = _COUNT_WORDS[m.group("count")]
            chosen = list(last_items[-count:] if m.group("edge") == "last" else last_items[:count])
        refs.append((tuple(chosen), (m.start(), m.end())))  # no list yet: no ids, but the words are explained
        spans.append((m.start(), m.end()))
    for m in _NUMBER_LIST.finditer(text):
        positions = [int(d) for d in re.findall(r"\d", m.group("list"))]
        if last_items and all(1 <= n <= len(last_items) for n in positions):
            refs.append((tuple(dict.fromkeys(last_items[n - 1] for n in positions)), (m.start("list"), m.end())))
            spans.append((m.start(), m.end()))
    for m in _ORDINAL.finditer(text):
        if any(s <= m.start() < e for s, e in spans):
            continue
        word = m.group("word") or m.group("num") or m.group("hash")
        word = re.sub(r"[\s-]+", " ", word) if word else word
        if m.group("word") and not (m.group(0).startswith("the") or re.search(r"\s(?:one|movie|film|pick|option|title|item|suggestion)$", m.group(0))):
            continue  # "last night", "at first": not a reference
        position = _ORDINAL_WORDS.get(word) if not word.isdigit() else int(word)
        if position is None or not last_items:
            continue
        index = len(last_items) + position if position < 0 else (len(last_items) - 1) // 2 if position == 0 else position - 1
        if 0 <= index < len(last_items):
            refs.append(((last_items[index],), (m.start(), m.end())))
            spans.append((m.start(), m.end()))
    return refs


def title_refs(
    text: str, turn: Turn, catalog: CatalogView
) -> tuple[list[str], list[tuple[int, int]], list[str], set[str]]:
    """Catalog ids of titles named as references ("like Heat", "in the vein of Fargo"), their spans,
    the titles the NLU found that the catalog does not have (to say so once), and the ids of the
    titles the words refuse ("but not Star Wars")."""
    ids: list[str] = []
    spans: list[tuple[int, int]] = []
    unknown: list[str] = []
    refused: set[str] = set()
    terms = terms_for(catalog.genre_names)
    said_ids, said_spans, not_found = _titles_after_a_cue(text, catalog)
    unknown += [text[start:end][:80] for start, end in not_found]
    previous: tuple[int, bool] | None = None  # the end of the last title said, and whether it was refused
    for said_id, (start, end) in zip(said_ids, said_spans, strict=True):
        # "not fargo or heat": a title joined to a refused one is refused too
        joined = previous is not None and previous[1] and _JOINED.fullmatch(text[previous[0] : start]) is not None
        if joined or REFUSED_TITLE.search(text[:start]):
            refused.add(said_id)
        previous = (end, said_id in refused)
    for hint in turn.entities:
        if hint.entity == "title" and hint.value.strip() and hint.value.lower().strip() not in terms:
            if names_no_film(hint.value.lower().strip(), text, terms, said_spans):
                continue  # "story" of "a love story", "star" of "a five star movie" (title_guesses.py)
            item_id = catalog.find_title(hint.value)
            if item_id is not None and one_word_of_a_longer_title(hint.value, catalog.title_of(item_id)):
                continue  # "hard" of "titanic made me cry so hard" matched Die Hard
            if item_id is None:
                if hint.value.lower().strip() not in STOPWORDS:  # "doesn't matter when" names no film "When"
                    unknown.append(hint.value.strip()[:80])
            else:
                ids.append(item_id)
                if (idx := text.find(hint.value.lower())) >= 0:
                    spans.append((idx, idx + len(hint.value)))
                    if REFUSED_TITLE.search(text[:idx]):
                        refused.add(item_id)
    return list(dict.fromkeys(ids + said_ids)), spans + said_spans + not_found, list(dict.fromkeys(unknown)), refused


def _titles_after_a_cue(
    text: str, catalog: CatalogView
) -> tuple[list[str], list[tuple[int, int]], list[tuple[int, int]]]:
    """Titles named after "like", "similar to", "I loved" ...: the longest phrase there the catalog
    has, and its span; and the spans of what a comparison ("a movie like the matrix") names that
    the catalog does not have, to say so rather than search for the words."""
    ids: list[str] = []
    spans: list[tuple[int, int]] = []
    not_found: list[tuple[int, int]] = []
    position = 0
    for _ in range(MAX_TITLE_LOOKUPS):
        # each search starts where the last cue's title did: the rest of a cue runs to the end of
        # the message, and "loved heat but couldn't stand fargo" has a second cue inside it
        m = _TITLE_TRIGGER.search(text, position)
        if m is None:
            break
        group = next(g for g in ("rest", "rest2", "rest3", "rest4") if m.group(g) is not None)
        rest, offset = m.group(group), m.start(group)
        position = offset
        if _NOT_TITLE_START.match(rest) or _starts_with_genre(rest, catalog):
            continue
        if group == "rest4" and _NOT_A_REFUSED_TITLE.match(rest):
            continue  # "not bad", "not in black and white", "not too long"
        stop = _TITLE_STOP.search(rest)
        candidate = rest[: stop.start()] if stop else rest
        found = _titles_in(candidate, catalog, ids)
        for start, end in found:
            spans.append((offset + start, offset + end))
        comparing = group in ("rest", "rest2") and _COMPARING.search(text[m.start() : offset])  # not "i don't like bruce willis"
        if not found and comparing and (named := _named_title(candidate)):
            not_found.append((offset, offset + len(named)))
    return ids, spans, not_found


# cues that compare with a film ("a movie like the matrix") or say it was seen, unlike taste ("i
# loved the ending")
_COMPARING = re.compile(
    r"\b(?:like|similar|vein|lines|style|reminds|vibe|la|likes|inspired|comparable|seen|watched|saw)\b")
# what follows "like" without naming a film: "something like a road trip", "like the ones before"
_DESCRIBES_NO_FILM = re.compile(r"^(?:a|an|some|more|less|lots|the (?:ones?|others?|previous|rest|same|above|list|other|kind|type|sort))\b")


def _named_title(candidate: str) -> str:
    """The words after a comparison when they read as a title ("the matrix" of "seen the matrix
    already"): one to five words, not "a road trip" or "the ones before", at least one of them not
    filler; else ''."""
    words = candidate.split()
    while words and words[-1] in STOPWORDS:
        words.pop()
    named = " ".join(words)
    if 1 <= len(words) <= 5 and not _DESCRIBES_NO_FILM.match(named) and any(w not in STOPWORDS and not w.isdigit() for w in words):
        return named
    return ""


_JOINERS = ("and", "or", "&", "plus")
_JOINED = re.compile(r"\s*(?:,\s*)?(?:and|or|nor|&|plus)?\s*(?:the\s+)?")
_CONTINUING = re.compile(r"^\W*(?:oh\s+)?(?:and|also|plus)\s+(?:also\s+)?(?P<rest>.+?)(?:\s+(?:too|as well|also))?\W*$")


def titles_continuing(text: str, catalog: CatalogView) -> tuple[list[str], list[tuple[int, int]]]:
    """"And the big lebowski" right after a title was liked: the titles it adds, and their spans
    (the caller asks only when the conversation has liked titles)."""
    m = _CONTINUING.match(text)
    if m is None or _NOT_TITLE_START.match(m.group("rest")) or _starts_with_genre(m.group("rest"), catalog):
        return [], []
    ids: list[str] = []
    spans = _titles_in(m.group("rest"), catalog, ids)
    return ids, [(m.start("rest") + start, m.start("rest") + end) for start, end in spans]


def _titles_in(candidate: str, catalog: CatalogView, ids: list[str]) -> list[tuple[int, int]]:
    """The longest catalog title at the start of `candidate`, then after each "and" / "or" / "&"
    that follows one ("fargo and pulp fiction"); appends the ids, returns the spans."""
    spans: list[tuple[int, int]] = []
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", candidate)][:12]
    i = 0
    while i < len(words):
        for n in range(min(len(words) - i, 8), 0, -1):
            start, end = words[i][0], words[i + n - 1][1]
            if end - start < 3:
                return spans
            if n == 1 and i + 1 < len(words) and candidate[words[i + 1][0] : words[i + 1][1]] not in _JOINERS:
                return spans  # "tom" of "a fan of tom hanks" is no Tom and Huck: one word of several names no title
            item_id = catalog.find_title(candidate[start:end])
            if item_id is not None:
                if (split := _before_a_joiner(words[i : i + n], candidate, catalog, item_id)) is not None:
                    n, item_id = split  # "fargo and pulp fiction" found Fargo: the words after "and" were not read
                    end = words[i + n - 1][1]
                ids.append(item_id)
                spans.append((start, end))
                i += n
                break
        else:
            return spans
        if i < len(words) and candidate[words[i][0] : words[i][1]] in _JOINERS:
            i += 1
        else:
            return spans
    return spans


def _before_a_joiner(
    words: list[tuple[int, int]], candidate: str, catalog: CatalogView, item_id: str
) -> tuple[int, str] | None:
    """(how many of `words` name a title, its id) when the fuzzy lookup found `item_id` for a phrase
    across an inner "and" / "or" by reading only one side of it: the words before the joiner find
    `item_id` too ("fargo and pulp fiction"), or they find a title of their own and the words after
    it find `item_id` ("titanic and the godfather"). Else None: "sense and sensibility" is one title."""
    for k in range(1, len(words) - 1):
        if candidate[words[k][0] : words[k][1]] in _JOINERS:
            left = candidate[words[0][0] : words[k - 1][1]]
            left_id = catalog.find_title(left) if len(left) >= 3 else None
            if left_id is None:
                return None
            if left_id == item_id:
                return k, item_id
            right = candidate[words[k + 1][0] : words[-1][1]]
            whole = (catalog.title_of(item_id) or "").lower()
            if re.search(rf"\b{re.escape(left.lower())}\b", whole):
                return None  # "bill and ted's bogus journey": the first words are the found title's own
            return (k, left_id) if catalog.find_title(right) == item_id else None
    return None


def _starts_with_genre(rest: str, catalog: CatalogView) -> bool:
    words = re.sub(r"^(?:a|an|the|some|more|good|great|really|proper|classic)\s+", "", rest).split()
    terms = terms_for(catalog.genre_names)
    return any(" ".join(words[:n]) in terms for n in (1, 2, 3))
