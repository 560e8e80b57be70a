"""Words of one turn -> typed acts: genres with the scope of their negation, eras, moods,
people, references to shown or named items, "already seen", "start over", "surprise me".

The Rasa NLU routes the turn (its intent) and its entities are hints; the sentence itself is
read here, against one vocabulary (`lexicon`), because what a person wants over several turns
depends on words DIET labels inconsistently: the scope of "not", "anything but", "X is fine
but not Y", and whether a second genre narrows or replaces. Everything is resolved against the
catalog (`CatalogView`) so the reducer stays pure.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from recommender.dialogue.acts import (
    Act,
    AddGenres,
    AddMood,
    AddPerson,
    ClearEra,
    DropGenres,
    ExcludeGenres,
    LikeItems,
    OtherOptions,
    RejectItems,
    ReplaceGenres,
    Reset,
    SeenItems,
    SetEra,
    ShiftEra,
    Surprise,
    Unknown,
    Wish,
    is_search,
)
from recommender.dialogue.eras import find_eras
from recommender.dialogue.lexicon import Term, catalog_genres, genre_for_word, squash, terms_for
from recommender.dialogue.state import DialogueState

MAX_TEXT_CHARS = 2000
MAX_TITLE_LOOKUPS = 3  # "like X" phrases looked up per message: each is a fuzzy search of the catalog
_MAX_PHRASE_TOKENS = 4


@dataclass(frozen=True)
class EntityHint:
    """One entity the NLU found in this message (raw words; role 'exclude' for "no horror")."""

    entity: str
    value: str
    role: str | None = None


@dataclass(frozen=True)
class Turn:
    """One user message as the recommender sees it."""

    text: str
    intent: str | None = None
    entities: tuple[EntityHint, ...] = ()


@dataclass(frozen=True)
class CatalogView:
    """What understanding needs to know of the catalog."""

    genre_names: tuple[str, ...]
    find_title: Callable[[str], str | None] = lambda _text: None  # strict title -> item id
    year_of: Callable[[str], int | None] = lambda _item_id: None


# --------------------------------------------------------------------------------- tokens
_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)*(?:-[a-z0-9]+)*'?|[.,!?;:/&()+]")


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.group(0).replace("’", "'"), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _phrase(words: str) -> tuple[str, ...]:
    return tuple(t.text for t in _tokens(words))


# Negation cues (token sequences); the longest one at a position wins.
_NEGATIONS = {
    _phrase(p) for p in (
        "no", "not", "nothing", "without", "except", "excluding", "exclude", "minus", "skip", "avoid", "less",
        "fewer", "never", "nor", "neither", "hate", "hates", "dislike", "nope", "none", "isn't", "isnt",
        "aren't", "arent", "don't", "dont", "doesn't", "doesnt", "shouldn't", "won't", "wouldn't", "can't",
        "cant", "cannot", "didn't", "against", "sans", "zero", "anything but", "everything but", "other than",
        "enough of", "enough with", "tired of", "sick of", "fed up with", "done with", "stay away from",
        "steer clear of", "spare me", "leave out", "cut out", "keep out", "rather not", "no more", "not any",
        "don't want", "do not want", "dont want", "don't like", "do not like", "dont like", "not into",
        "not a fan of", "not in the mood for", "don't feel like", "not feeling", "don't show me", "don't give me",
        "not looking for", "don't recommend", "don't need", "no longer", "no longer want", "not really into",
        "i'm over", "im over", "can't stand", "cannot stand", "can't stomach", "not big on",
        "not so much", "allergic to", "don't care for", "do not care for", "dont care for", "not keen on",
        "not big into", "pass on",
    )
}
# Un-wanting without excluding: "doesn't have to be a drama", "a comedy instead of a drama".
_SOFT_DROPS = {
    _phrase(p) for p in (
        "doesn't have to be", "does not have to be", "doesnt have to be", "don't have to be", "needn't be",
        "not necessarily", "doesn't need to be", "does not need to be", "no need for", "instead of",
        "rather than", "not required",
    )
}
# Taking back: un-wants a wanted genre, excludes one that was not wanted ("drop the horror").
_DROPS = {
    _phrase(p) for p in (
        "forget about", "forget the", "drop the", "drop", "remove the", "remove", "remove any", "lose the",
        "never mind the", "get rid of", "get rid of the", "filter out", "filter out the", "filter out any",
        "take out", "take out the", "take away", "cut", "cut the", "strip out", "eliminate", "ditch", "ditch the",
        "scrap", "scrap the", "omit", "axe", "axe the", "weed out", "rule out", "cross off", "cross out",
        "leave off", "hold the", "ban", "block", "hide", "kill the", "exclude the", "excluding the", "bin the",
        "lose", "purge", "toss", "toss the", "remove all", "strike", "knock out", "minus the",
    )
}
# Negation words that do not negate what follows.
_CANCELS = {
    _phrase(p) for p in (
        "don't mind", "dont mind", "do not mind", "wouldn't mind", "not only", "nothing but", "not sure",
        "no idea", "no preference", "not bad", "no problem", "doesn't matter", "does not matter", "no matter",
        "not picky", "don't care", "dont care", "can't wait", "not fussy", "no clue", "no strong",
        "none in particular", "nothing in particular", "nothing specific", "not a problem", "never seen",
        "haven't seen", "not seen", "over the top", "not too bad", "why not",
    )
}
# After a genre: "horror is out", "westerns? no thanks", "musicals are not for me".
_POST_NEGATIONS = {
    _phrase(p) for p in (
        "out", "a no", "a no-go", "no-go", "not for me", "not my thing", "not my cup of tea", "off the table",
        "no thanks", "no thank you", "no way", "nope", "not", "no", "excluded", "banned", "off", "not welcome",
        "not ok", "not okay", "not allowed", "boring", "bore me", "suck", "sucks", "are the worst", "is the worst",
        "out of the question", "please no", "need not apply",
    )
}
_POST_SKIP = {"?", "-", ",", "is", "are", "'s", "please", "definitely", "totally", "really", "just", "also", "all", "so"}
# Words that may sit between two genres of one negated list: "no horror, thriller or crime".
_CONNECTORS = {
    "or", "and", "nor", ",", "/", "&", "either", "neither", "any", "anything", "more", "also", "the", "a", "an",
    "those", "these", "of", "too", "very", "so", "really", "overly", "particularly", "that's", "that", "is",
    "are", "kind", "type", "sort", "movies", "movie", "films", "film", "flicks", "flick", "stuff", "things",
    "ones", "genre", "genres", "even", "at", "all", "kinds", "types", "with", "anymore",
}
# Words that end the reach of a negation cue.
_BOUNDARIES = {
    ".", "!", "?", ";", ":", "but", "though", "although", "however", "yet", "instead", "rather", "just", "only",
    "so", "because", "i", "i'd", "id", "i'm", "im", "we", "we'd", "let's", "lets", "give", "show", "make",
    "maybe", "perhaps", "how", "what", "fine", "ok", "okay", "good", "great", "please",
}
_REPLACE_CUES = [_phrase(p) for p in (
    "instead", "on second thought", "change to", "change it to", "switch to", "switch it to",
    "scratch that", "never mind", "nevermind", "rather have", "i'd rather", "id rather", "rather see",
    "swap to", "change that to", "make that",
)]
_ADD_CUES = {"also", "too", "plus", "additionally", "both", "add", "adding", "include", "including", "throw",
             "mix", "combine", "combined", "together", "along"}
_POSITIVE_AFTER = [_phrase(p) for p in ("is fine", "are fine", "is ok", "are ok", "is okay", "are okay", "is good",
                                        "are good", "would be good", "would be nice", "works", "is great")]

# ----------------------------------------------------------------------------- phrases
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8,
    "9th": 9, "10th": 10, "last": -1, "final": -1, "top": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
}
_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5}
_ORDINAL = re.compile(
    r"\b(?:the\s+)?(?:(?P<word>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|final|"
    r"1st|2nd|3rd|4th|5th|6th|7th|8th|9th|10th)(?:\s+(?:one|movie|film|pick|option|title|item|suggestion))?"
    r"|(?:#|number\s+|no\.\s*)(?P<num>\d{1,2}|one|two|three|four|five))\b"
)
_PLURAL_REF = re.compile(
    r"\b(?:the\s+)?(?P<edge>first|last|top)\s+(?P<count>two|three|four|five|[2-5])\b"
    r"|\b(?P<all>all\s+(?:of\s+)?(?:them|those|these|the above|five|three|four|of it)|every\s+(?:one|single one)|"
    r"both(?:\s+of\s+them)?|the whole (?:list|lot)|all)\b"
)
_MORE_LIKE = re.compile(
    r"\b(?:more|something|anything|stuff|ones?|films?|movies?|similar)\s+(?:like|similar to|along the lines of)\s*$"
    r"|\b(?:similar to|in the vein of|along the lines of|in the style of|the same as|same vibe as|like)\s*$"
)
_LESS_LIKE = re.compile(r"\b(?:not|nothing|less|no more|fewer)\s+(?:like|similar to)\s*$")
_TITLE_TRIGGER = re.compile(
    r"(?:^|\b(?:something|anything|stuff|movies?|films?|ones?|more|similar|kinda|kind of|sort of|a bit|just|"
    r"maybe|preferably|perhaps|or|and)\s+)(?:like|similar to)\s+(?P<rest>.+)"
    r"|\b(?:similar to|in the vein of|along the lines of|in the style of|reminds me of|same vibe as|a la|à la|"
    r"the likes of|inspired by|comparable to|if i liked|since i liked|i (?:loved|liked|enjoyed|adored)|"
    r"(?:already\s+)?(?:seen|watched|saw))\s+(?P<rest2>.+)"
)
_TITLE_STOP = re.compile(
    r"\s*(?:[.,;!?]|\bbut\b|\bplease\b|\bthough\b|\bexcept\b|\bonly\b|\bmade\b|\bfrom the\b|\bwithout\b|\bwith\b|"
    r"\bthat (?:is|was|are)\b|\bfor\b|\bor something\b|\bmaybe\b)"
)
_NOT_TITLE_START = re.compile(
    r"^(?:that|this|it|them|those|these|the (?:first|second|third|fourth|fifth|last|final|\d)|the one|one of|"
    r"a (?:bit|little)|something|anything|what|you|me|us|him|her)\b"
)
_SEEN = re.compile(
    r"\b(?:already|before)\b.*\b(?:seen|watched|saw|see)\b|\b(?:seen|watched|saw)\b.*\b(?:already|before)\b"
    r"|\b(?:i've|i have|we've|we have|ive|weve|i|we)\s+(?:already\s+|both\s+|all\s+)?(?:seen|watched)\b"
    r"|\bseen\s+(?:it|that|them|those|these|this|all|both|every)\b|\b(?:old news|watched it)\b"
)
_NOT_SEEN = re.compile(r"\b(?:never|haven't|havent|have not|not|didn't|didnt|did not)\s+(?:yet\s+)?(?:seen|watched|saw|see)\b")
_RESET = re.compile(
    r"\b(?:start(?:ing)? (?:over|again|afresh|fresh|from scratch|anew)|from scratch|reset|begin again|"
    r"new search|clean slate|clear (?:all |the |my |every )*(?:filters?|search|preferences|criteria|everything|that)|"
    r"forget (?:all |everything |about )?(?:that|what i said|the filters|my filters|those filters|all that|everything i said))\b"
)
_SURPRISE = re.compile(
    r"\b(?:surprise me|anything(?: is fine| goes| works| at all)?$|whatever|(?:don'?t|do not) (?:really )?(?:mind|care)|"
    r"up to you|you (?:choose|pick|decide)|your (?:choice|call|pick)|dealer'?s choice|no preference|i'?m open|"
    r"doesn'?t matter|not picky|random|just recommend|just pick|just give me something|anything you like|"
    r"whatever you (?:like|want|think)|i'?m easy|no idea)\b"
)
_OTHER = re.compile(
    r"\b(?:other (?:options|ones|picks|suggestions|titles|movies|films)|others|something else|anything else|"
    r"different ones?|more options|more suggestions|next|another (?:set|batch|round|list|few)|show me more|more please|"
    r"new ones|not these|none of (?:these|those|them)|more of (?:these|those|that)|some more|give me more|"
    r"a few more|some others|keep (?:going|them coming)|what else|anything more|more choices|other choices|"
    r"different (?:picks|suggestions|options|titles)|try again)\b"
)
_PERSON = re.compile(
    r"\b(?:with|starring|featuring|stars|by|directed by|from director|actor|actress)\s+"
    r"(?P<name>[A-Z][a-zA-Z'.-]+(?:\s+(?:[A-Z][a-zA-Z'.-]+|de|van|von|del|da)){1,3})"
)
_STOPWORDS = {"a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "anything", "are", "around", "as", "at", "be", "been", "being", "but", "by", "can", "could", "did", "do", "does", "doing", "don't", "for", "from", "get", "give", "go", "going", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "it", "it's", "its", "just", "kind", "let", "let's", "like", "maybe", "me", "might", "more", "most", "much", "my", "myself", "need", "no", "nor", "not", "now", "of", "off", "on", "one", "only", "or", "other", "our", "out", "over", "please", "pretty", "quite", "rather", "really", "recommend", "recommendation", "recommendations", "right", "see", "seen", "she", "should", "show", "so", "some", "something", "somewhat", "sort", "such", "suggest", "suggestion", "suggestions", "than", "that", "that's", "the", "their", "them", "then", "there", "these", "they", "thing", "things", "think", "this", "those", "through", "to", "tonight", "today", "too", "try", "up", "us", "very", "want", "wanna", "watch", "watching", "was", "way", "we", "we'd", "well", "were", "what", "whatever", "when", "where", "which", "while", "who", "why", "will", "with", "would", "yeah", "yes", "you", "your", "movie", "movies", "film", "films", "flick", "flicks", "pick", "picks", "option", "options", "cool", "nice", "good", "great", "best", "fun", "okay", "ok", "sure", "thanks", "thank", "hey", "hi", "hello", "lol", "bit", "little", "lot", "lots", "kinda", "sorta", "stuff", "prefer", "preferably", "perhaps", "feel", "feeling", "mood", "night", "evening", "weekend", "time", "tell", "find", "look", "looking", "search", "searching", "able", "make", "made", "ones", "one's", "list", "new", "next", "another", "else", "id", "im", "ive", "dont", "cant", "wont", "isnt", "arent", "thats", "whats", "lets", "u", "ur", "pls", "plz", "thx", "yea", "yep", "nope", "either", "something's", "anybody", "somebody", "anyone", "someone", "everyone", "nothing", "everything", "instead", "actually", "both", "same", "type", "genre", "genres", "era", "decade", "year", "years", "gets", "getting", "must", "needs", "needed", "set", "saw", "watched", "enjoy", "enjoyed", "love", "loved", "liked", "likes", "vibe", "vibes", "come", "came", "released", "release", "mean", "means", "meant", "guess", "suppose", "wondering", "wonder", "ideas", "idea", "can't", "cannot", "gonna", "gotta", "hmm", "umm", "uh", "alright", "onto", "there's", "here's", "it'd", "it'll", "you'd", "you're", "we're", "they're", "that'd", "whose"}
_STOPWORDS |= {"haven't", "hasn't", "wasn't", "weren't", "couldn't", "wouldn't", "shouldn't", "didn't", "doesn't", "isn't", "aren't", "won't", "havent", "hasnt", "wasnt", "didnt", "doesnt", "couldnt", "wouldnt", "second", "thought", "thoughts", "scratch", "mind", "switch", "change", "swap", "additionally", "plus", "book", "books", "novel", "novels", "read", "reads", "series", "shows", "item", "items", "product", "products", "title", "titles", "already"}
_STOPWORDS |= {
    "ideally", "story", "stories", "tale", "tales", "plot", "thinking", "whole", "older", "newer", "old", "recent",
    "earlier", "later", "old-fashioned", "classic", "classics", "modern", "kinda", "sounds", "sound", "would",
}


@dataclass(frozen=True)
class _Mention:
    """A genre or mood word found in the text, with where it sits among the tokens."""

    term: Term
    first: int  # token index
    last: int
    polarity: str = "+"  # "+", "-" (exclude) or "drop"


@dataclass
class _Reading:
    consumed: set[int] = field(default_factory=set)  # token indices already explained


def understand(turn: Turn, state: DialogueState, catalog: CatalogView) -> tuple[Act, ...]:
    """The acts of one turn, in the order they apply."""
    raw = turn.text[:MAX_TEXT_CHARS]
    if raw.startswith("/"):
        raw = ""  # a button payload ("/inform_preference{...}"): its entities carry the meaning
    text = re.sub(r"\s+", " ", raw.lower().replace("’", "'")).strip()
    tokens = _tokens(text)
    reading = _Reading()
    acts: list[Act] = []

    def consume(start: int, end: int) -> None:
        reading.consumed.update(i for i, t in enumerate(tokens) if t.start < end and t.end > start)

    if turn.intent == "start_over" or _RESET.search(text):
        acts.append(Reset())
        if (m := _RESET.search(text)) is not None:
            consume(m.start(), m.end())
        state = DialogueState(last_items=state.last_items)

    # item references: "already seen the first two", "more like the second one", "like Heat"
    seen = turn.intent == "already_seen" or (bool(_SEEN.search(text)) and not _NOT_SEEN.search(text))
    refs, ref_spans = _ordinal_refs(text, state.last_items)
    for span in ref_spans:
        consume(*span)
    title_ids, title_spans, unknown_titles = _title_refs(text, turn, catalog)
    acts += [Unknown(title, "title") for title in unknown_titles]
    for span in title_spans:
        consume(*span)
    if seen:
        chosen = refs + title_ids or list(state.last_items)
        if chosen:
            acts.append(SeenItems(tuple(dict.fromkeys(chosen))))
        if m := _SEEN.search(text):
            consume(m.start(), m.end())
    else:
        for item_id, start in zip(refs, [s for s, _ in ref_spans], strict=False):
            before = text[:start]
            if _LESS_LIKE.search(before):
                acts.append(RejectItems((item_id,)))
            elif _MORE_LIKE.search(before) or turn.intent == "refine":
                acts.append(LikeItems((item_id,)))
        if title_ids:
            acts.append(LikeItems(tuple(title_ids)))

    # eras
    terms = terms_for(catalog.genre_names)
    for phrase in find_eras(text):
        if phrase.shift and text[phrase.start : phrase.end] in terms:
            continue  # "classics" is a genre of this catalog, not "older"
        consume(phrase.start, phrase.end)
        if phrase.clear:
            acts.append(ClearEra())
        elif phrase.shift:
            acts.append(ShiftEra(phrase.shift, _pivot(state, catalog, phrase.shift)))
        else:
            acts.append(SetEra(phrase.year_from, phrase.year_to, replace=phrase.replace))

    if not any(isinstance(a, (SetEra, ShiftEra, ClearEra)) for a in acts):
        for hint in turn.entities:  # an era the NLU found where the text did not say it (button payloads)
            if hint.entity in ("decade", "year"):
                acts += [SetEra(p.year_from, p.year_to, p.replace) for p in find_eras(hint.value.lower())
                         if p.year_from is not None or p.year_to is not None]

    # genres and moods, with the scope of negation
    mentions = _polarised(_mentions(tokens, reading.consumed, catalog), tokens, reading.consumed)
    missing = [m for m in mentions if not catalog_genres(m.term.keys, catalog.genre_names)]
    mentions = [m for m in mentions if m not in missing]
    acts += _genre_acts(mentions, tokens, state, catalog)
    for lacking in missing:  # a genre this catalog does not have ("a western" among books): said once
        if not lacking.term.is_mood and lacking.polarity == "+":
            acts.append(Unknown(lacking.term.form))
    mentions += missing  # their words are explained: no free-text wish from them
    for hint in turn.entities:  # a genre the NLU labelled that the lexicon did not see in the text
        if hint.entity not in ("genre", "mood") or not hint.value.strip():
            continue
        genres = genre_for_word(hint.value, catalog.genre_names)
        if not genres:
            if hint.entity == "genre" and not seen and hint.value.lower().strip() not in _STOPWORDS and not any(
                isinstance(a, (AddGenres, ExcludeGenres, AddMood, ReplaceGenres)) for a in acts
            ):
                acts.append(Unknown(hint.value.strip()[:40], "word"))
            continue
        known = {g for a in acts if isinstance(a, (AddGenres, ExcludeGenres, ReplaceGenres, DropGenres)) for g in a.genres}
        known |= {g for a in acts if isinstance(a, AddMood) for g in a.genres}
        if set(genres) & known:
            continue
        if hint.role == "exclude":
            acts.append(ExcludeGenres(genres[:1]))
        elif hint.entity == "genre" or len(genres) == 1:
            acts.append(AddGenres(genres[:1]))
        else:
            acts.append(AddMood(hint.value.strip().lower(), genres))

    # people
    people = [h.value.strip() for h in turn.entities if h.entity == "person" and h.value.strip()]
    people += [m.group("name") for m in _PERSON.finditer(raw)]
    for name in dict.fromkeys(p for p in people if not genre_for_word(p, catalog.genre_names)):
        acts.append(AddPerson(name[:60]))
        if (idx := text.find(name.lower())) >= 0:
            consume(idx, idx + len(name))

    structured = [a for a in acts if not isinstance(a, Reset)]
    if ((m := _SURPRISE.search(text)) and not is_search(tuple(structured))) or (turn.intent == "affirm" and not structured):
        acts.append(Surprise())
        if m is not None:
            consume(m.start(), m.end())
    elif (m := _OTHER.search(text)) or (turn.intent == "refine" and not structured):
        acts.append(OtherOptions())
        if m is not None:
            consume(m.start(), m.end())
    wish = _wish(raw, tokens, reading.consumed, mentions, understood=is_search(acts))
    if wish and not seen:
        acts.append(Wish(wish))
    return tuple(acts)


# ------------------------------------------------------------------------- references
def _ordinal_refs(text: str, last_items: Sequence[str]) -> tuple[list[str], list[tuple[int, int]]]:
    """Item ids of "the second one", "the first two", "all of them" in the last list."""
    ids: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _PLURAL_REF.finditer(text):
        if m.group("all"):
            if m.group("all") == "all" and not re.search(r"\b(?:seen|watched|saw)\s+(?:them\s+)?all\b", text):
                continue
            chosen = list(last_items)
        else:
            count = _COUNT_WORDS[m.group("count")]
            chosen = list(last_items[-count:] if m.group("edge") == "last" else last_items[:count])
        ids += chosen
        spans.append((m.start(), m.end()))
    for m in _ORDINAL.finditer(text):
        if any(s <= m.start() < e for s, e in spans):
            continue
        word = m.group("word") or m.group("num")
        if m.group("word") and not (m.group(0).startswith("the") or re.search(r"\s(?:one|movie|film|pick|option|title|item|suggestion)$", m.group(0))):
            continue  # "last night", "at first": not a reference
        position = _ORDINAL_WORDS.get(word) if not word.isdigit() else int(word)
        if position is None or not last_items:
            continue
        index = len(last_items) - 1 if position == -1 else position - 1
        if 0 <= index < len(last_items):
            ids.append(last_items[index])
            spans.append((m.start(), m.end()))
    return list(dict.fromkeys(ids)), spans


def _title_refs(
    text: str, turn: Turn, catalog: CatalogView
) -> tuple[list[str], list[tuple[int, int]], list[str]]:
    """Catalog ids of titles named as references ("like Heat", "in the vein of Fargo"), their spans,
    and the titles the NLU found that the catalog does not have (to say so once)."""
    ids: list[str] = []
    spans: list[tuple[int, int]] = []
    unknown: list[str] = []
    terms = terms_for(catalog.genre_names)
    for hint in turn.entities:
        if hint.entity == "title" and hint.value.strip() and hint.value.lower().strip() not in terms:
            item_id = catalog.find_title(hint.value)
            if item_id is None:
                unknown.append(hint.value.strip()[:80])
            else:
                ids.append(item_id)
                if (idx := text.find(hint.value.lower())) >= 0:
                    spans.append((idx, idx + len(hint.value)))
    for m in list(_TITLE_TRIGGER.finditer(text))[:MAX_TITLE_LOOKUPS]:
        group = "rest" if m.group("rest") is not None else "rest2"
        rest, offset = m.group(group), m.start(group)
        if _NOT_TITLE_START.match(rest) or _starts_with_genre(rest, catalog):
            continue
        stop = _TITLE_STOP.search(rest)
        candidate = rest[: stop.start()] if stop else rest
        words = candidate.split()[:8]
        for n in range(len(words), 0, -1):
            phrase = " ".join(words[:n])
            if len(phrase) < 3:
                break
            item_id = catalog.find_title(phrase)
            if item_id is not None:
                ids.append(item_id)
                spans.append((offset, offset + len(phrase)))
                break
    return list(dict.fromkeys(ids)), spans, unknown


def _starts_with_genre(rest: str, catalog: CatalogView) -> bool:
    words = re.sub(r"^(?:a|an|the|some|more|good|great|really|proper|classic)\s+", "", rest).split()
    terms = terms_for(catalog.genre_names)
    return any(" ".join(words[:n]) in terms for n in (1, 2, 3))


def _pivot(state: DialogueState, catalog: CatalogView, direction: int) -> int | None:
    """"Older" is older than everything in the last list, "newer" newer than all of it."""
    years = [y for i in state.last_items if (y := catalog.year_of(i)) is not None]
    if not years:
        return None
    return min(years) if direction < 0 else max(years)


# ---------------------------------------------------------------------------- genres
def _mentions(tokens: list[_Tok], consumed: set[int], catalog: CatalogView) -> list[_Mention]:
    """Genre and mood words, longest phrase first, skipping tokens already explained."""
    terms = terms_for(catalog.genre_names)
    found: list[_Mention] = []
    i = 0
    while i < len(tokens):
        if i in consumed:
            i += 1
            continue
        for n in range(min(_MAX_PHRASE_TOKENS, len(tokens) - i), 0, -1):
            if any(j in consumed for j in range(i, i + n)):
                continue
            words = [t.text for t in tokens[i : i + n]]
            phrase = " ".join(words).replace(" - ", "-")
            term = terms.get(phrase) or terms.get(phrase.rstrip("'"))
            if term is not None:
                found.append(_Mention(term, i, i + n - 1))
                i += n
                break
            if n == 1 and phrase.startswith("non-") and (term := terms.get(phrase[4:])) is not None:
                found.append(_Mention(term, i, i, "-"))  # "non-violent"
                i += 1
                break
            if n == 1 and (term := _derived(phrase, terms)) is not None:
                found.append(_Mention(term, i, i))  # "noirish", "western-y", "sci-fi-esque"
                i += 1
                break
        else:
            i += 1
    return found


_SUFFIXES = ("-esque", "esque", "-ish", "ish", "-like", "-y", "-ey", "y", "ey", "ie", "-ie")


def _derived(word: str, terms: dict[str, Term]) -> Term | None:
    """A genre word with an informal suffix ("noirish", "western-y", "horrory") -> its term."""
    for suffix in _SUFFIXES:
        stem = word.removesuffix(suffix)
        if stem != word and len(stem) >= 4:
            for candidate in (stem, stem + "e", stem.rstrip("-")):
                term = terms.get(candidate)
                if term is not None:
                    return term
    return None


def _match_at(tokens: list[_Tok], i: int, phrases: set[tuple[str, ...]] | list[tuple[str, ...]]) -> int:
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


def _polarised(mentions: list[_Mention], tokens: list[_Tok], consumed: set[int]) -> list[_Mention]:
    """Give each mention its polarity from the negation and drop cues around it (words already
    explained, such as a title or "haven't seen", are no cues)."""
    if not mentions:
        return []
    polarity = [m.polarity for m in mentions]
    starts = {m.first: k for k, m in enumerate(mentions)}
    # cues before mentions
    i = 0
    while i < len(tokens):
        if i in starts:
            i = mentions[starts[i]].last + 1
            continue
        if i in consumed:
            i += 1
            continue
        n_cancel = _match_at(tokens, i, _CANCELS)
        if n_cancel and n_cancel >= _match_at(tokens, i, _NEGATIONS):
            i += n_cancel
            continue
        n_soft = _match_at(tokens, i, _SOFT_DROPS)
        n_drop = _match_at(tokens, i, _DROPS)
        n_neg = _match_at(tokens, i, _NEGATIONS)
        n = max(n_soft, n_drop, n_neg)
        if n == 0:
            i += 1
            continue
        sign = "soft" if n_soft == n else "drop" if n_drop == n else "-"
        end = i + n
        if end < len(tokens) and tokens[end].text in (",", ".", "!") and n == 1:
            i = end  # "no, a comedy": an interjection, not a cue
            continue
        first = next((k for k, m in enumerate(mentions) if m.first >= end), None)
        if first is None:
            break
        gap = tokens[end : mentions[first].first]
        if len(gap) > 7 or any(t.text in _BOUNDARIES for t in gap):
            i = end
            continue
        chain = [first]
        for k in range(first + 1, len(mentions)):
            between = [t.text for t in tokens[mentions[k - 1].last + 1 : mentions[k].first]]
            if not all(w in _CONNECTORS for w in between):
                break
            chain.append(k)
        # a comma alone continues a negated list only if the list goes on with or/and/nor
        kept = [chain[0]]
        for pos in range(1, len(chain)):
            between = [t.text for t in tokens[mentions[chain[pos - 1]].last + 1 : mentions[chain[pos]].first]]
            if between and set(between) <= {",", "the", "a", "an", "any"}:
                rest = chain[pos:]
                joined = any(
                    {"or", "and", "nor", "/", "&"} & {t.text for t in tokens[mentions[rest[q - 1]].last + 1 : mentions[rest[q]].first]}
                    for q in range(1, len(rest))
                )
                if not joined:
                    break
            kept.append(chain[pos])
        for k in kept:
            polarity[k] = sign
        i = mentions[kept[-1]].last + 1
    # cues after mentions: "horror is out", "westerns? no thanks"
    for k, mention in enumerate(mentions):
        j = mention.last + 1
        while j < len(tokens) and tokens[j].text in _POST_SKIP:
            j += 1
        if j >= len(tokens) or (k + 1 < len(mentions) and mentions[k + 1].first <= j):
            continue
        if _match_at(tokens, j, _POSITIVE_AFTER) or _match_at(tokens, j, _CANCELS):
            polarity[k] = "+"
            continue
        n = _match_at(tokens, j, _POST_NEGATIONS)
        if not n:
            continue
        if tokens[j].text in ("no", "not") and n == 1:
            ahead = [m for m in mentions[k + 1 :] if m.first <= j + 6]
            if ahead:
                continue  # "comedy, no horror": the "no" belongs to what follows
        polarity[k] = "-"
        back = k
        while back > 0 and all(
            t.text in _CONNECTORS for t in tokens[mentions[back - 1].last + 1 : mentions[back].first]
        ) and polarity[back - 1] == "+":
            polarity[back - 1] = "-"
            back -= 1
    return [_Mention(m.term, m.first, m.last, p) for m, p in zip(mentions, polarity, strict=True)]


def _genre_acts(
    mentions: list[_Mention], tokens: list[_Tok], state: DialogueState, catalog: CatalogView
) -> list[Act]:
    vocabulary = catalog.genre_names
    acts: list[Act] = []
    excluded: list[str] = []
    dropped: list[str] = []
    wanted: list[str] = []
    moods: list[AddMood] = []
    for m in mentions:
        genres = catalog_genres(m.term.keys, vocabulary)
        if m.polarity == "-":
            excluded.extend(g for g in genres[:1] if g not in excluded)
        elif m.polarity == "soft":
            dropped.extend(genres if not m.term.is_mood else genres[:1])
        elif m.polarity == "drop":
            for g in genres if not m.term.is_mood else genres[:1]:
                (dropped if g in state.genres or g in state.genre_options or g in wanted else excluded).append(g)
        elif m.term.is_mood:
            moods.append(AddMood(m.term.form, genres))
        else:
            wanted.extend(g for g in genres if g not in wanted)
    # one sentence that both names and rules out a genre: the genre's own name beats a word that
    # only implies it ("sci-fi, no aliens" keeps sci-fi), and between equals the later one wins
    # ("these are all comedies, I don't want comedy")
    last_say: dict[str, tuple[bool, int, str]] = {}
    for m in mentions:
        for g in catalog_genres(m.term.keys, vocabulary)[:1 if m.term.is_mood else None]:
            say = (squash(m.term.form.rstrip("s")) == squash(g).rstrip("s"), m.first, m.polarity)
            last_say[g] = max(last_say.get(g, say), say)
    excluded = [g for g in excluded if g not in wanted or last_say.get(g, (False, 0, "-"))[2] == "-"]
    wanted = [g for g in wanted if g not in excluded]
    if dropped:
        acts.append(DropGenres(tuple(dict.fromkeys(dropped))))
    if excluded:
        acts.append(ExcludeGenres(tuple(dict.fromkeys(excluded))))
    if wanted:
        positives = [m for m in mentions if m.polarity == "+" and not m.term.is_mood]
        any_of = any(
            {"or", "either"} & {t.text for t in tokens[a.last + 1 : b.first]}
            for a, b in itertools.pairwise(positives)
        )
        words = {t.text for t in tokens}
        texts = [t.text for t in tokens]
        additive = bool(_ADD_CUES & words) or "as well" in " ".join(texts)
        replacing = not additive and any(
            tuple(texts[i : i + len(cue)]) == cue for cue in _REPLACE_CUES for i in range(len(texts))
        )
        acts.append((ReplaceGenres if replacing else AddGenres)(tuple(wanted), any_of=any_of))
    acts.extend(moods)
    return acts


_WISH_MARKERS = {"about", "where", "involving", "featuring", "based", "whose", "which", "set", "starring",
                 "plot", "story", "theme", "themes", "with", "like"}


def _wish(raw: str, tokens: list[_Tok], consumed: set[int], mentions: list[_Mention], *, understood: bool) -> str:
    """Free text the structured acts leave unexplained ("about friendship"), or ''.

    Next to understood acts only what follows a marker of content ("about", "where", "set in",
    "with a") counts, so conversational filler ("let's stick to", "throw in") never becomes a
    description query; a message with nothing else understood needs two content words.
    """
    covered = set(consumed)
    for m in mentions:
        covered.update(range(m.first, m.last + 1))
    content = [
        t for i, t in enumerate(tokens)
        if i not in covered and t.text not in _STOPWORDS and re.fullmatch(r"[a-z][a-z'-]+", t.text)
        and t.text not in _CONNECTORS and t.text not in _BOUNDARIES and len(t.text) > 2
        and not any(t.text == w for cue in _NEGATIONS for w in cue)
    ]
    if not content or (len(content) < 2 and len(content[0].text) < 5):
        return ""
    first_content = tokens.index(content[0])
    marked = any(t.text in _WISH_MARKERS for t in tokens[:first_content])
    if understood and not marked:
        return ""
    if not understood and not marked and len(content) < 2:
        return ""
    return re.sub(r"\s+", " ", raw.strip())[:160]
