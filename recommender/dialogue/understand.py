"""Words of one turn -> typed acts: genres with the scope of their negation, eras, moods,
people, references to shown or named items, "already seen", "start over", "surprise me".

The Rasa NLU routes the turn (its intent) and its entities are hints; the sentence itself is
read here, against one vocabulary (`lexicon`), because what a person wants over several turns
depends on words DIET labels inconsistently: the scope of "not", "anything but", "X is fine
but not Y", and whether a second genre narrows or replaces. Everything is resolved against the
catalog (`CatalogView`) so the reducer stays pure.

This module is only the order of reading (reset, references, eras, a count, genres, people,
control phrases, the wish) and how the parts combine; each part has its own module (`turn`, `tokens`,
`negation`, `genres`, `references`, `cues`, `wish`: see the package docstring).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from recommender.dialogue.acts import (
    Act,
    AddGenres,
    AddMood,
    AddPerson,
    Avoid,
    ClearEra,
    DropGenres,
    ExcludeGenres,
    ExcludePerson,
    LikeItems,
    OtherOptions,
    RejectItems,
    ReplaceGenres,
    Reset,
    SeenItems,
    SetCount,
    SetEra,
    ShiftEra,
    Surprise,
    Undo,
    Unknown,
    WidenEra,
    Wish,
    is_search,
)
from recommender.dialogue.chinese import has_chinese, to_english
from recommender.dialogue.count import find_count
from recommender.dialogue.cues import (
    FEWER,
    NOT_SEEN,
    OTHER,
    OWN_CHILDHOOD,
    OWN_DAY,
    OWN_FEELING,
    PERSON,
    REFUSED_NAME,
    REFUSED_PERSON,
    RESET,
    RESET_WORDS,
    SEEN,
    SURPRISE,
    UNDO,
    unnegated,
)
from recommender.dialogue.eras import EraPhrase, find_eras
from recommender.dialogue.genres import find_mentions, genre_acts
from recommender.dialogue.lexicon import catalog_genres, genre_for_word, terms_for
from recommender.dialogue.negation import polarised
from recommender.dialogue.reducer import reduce
from recommender.dialogue.references import (
    DISLIKED_AFTER,
    LESS_LIKE,
    LIKED_AFTER,
    MORE_LIKE,
    REFUSED_REF,
    ordinal_refs,
    title_refs,
    titles_continuing,
)
from recommender.dialogue.state import DialogueState
from recommender.dialogue.tokens import tokenize
from recommender.dialogue.turn import CatalogView, EntityHint, Turn
from recommender.dialogue.wish import STOPWORDS, avoided, complaint_tokens, wish

__all__ = ["MAX_TEXT_CHARS", "CatalogView", "EntityHint", "Turn", "understand"]

MAX_TEXT_CHARS = 2000


FEWER_DEFAULT = 3  # "fewer" with no list shown yet
# chat spellings read as the words they stand for ("nuthin b4 1980", "aliens n stuff", "w/ some action")
_SLANG = {"b4": "before", "nuthin": "nothing", "nothin": "nothing", "nuffin": "nothing", "w/o": "without",
          "w/": "with", "n": "and", "luv": "love", "somethin": "something", "sumthin": "something", "sum": "some",
          "wit": "with", "tho": "though", "rly": "really", "abt": "about", "ppl": "people", "b/c": "because"}
_SLANG_WORD = re.compile(r"(?<![\w/])(?:" + "|".join(re.escape(w) for w in sorted(_SLANG, key=len, reverse=True)) + r")(?![\w/])")


def respell(text: str) -> str:
    """Chat spellings as words; a lone "n" only between two words ("aliens n stuff")."""
    def word(m: re.Match[str]) -> str:
        if (m.group(0) == "n" and not re.search(r"\w $", text[: m.start()])) or (m.group(0) == "n" and not re.match(r" \w", text[m.end():])):
            return m.group(0)
        return _SLANG[m.group(0)]
    return _SLANG_WORD.sub(word, text)


@dataclass
class _Reading:
    consumed: set[int] = field(default_factory=set)  # token indices already explained


def understand(turn: Turn, state: DialogueState, catalog: CatalogView) -> tuple[Act, ...]:
    """The acts of one turn, in the order they apply."""
    raw = turn.text[:MAX_TEXT_CHARS]
    if raw.startswith("/"):
        raw = ""  # a button payload ("/inform_preference{...}"): its entities carry the meaning
    chinese = has_chinese(raw)
    if chinese or any(has_chinese(h.value) for h in turn.entities):  # one reader for both languages
        raw = to_english(raw)
        turn = replace(turn, entities=tuple(
            replace(h, value=to_english(h.value)) if has_chinese(h.value) else h for h in turn.entities
        ))
    text = respell(re.sub(r"\s+", " ", raw.lower().replace("’", "'")).strip())
    tokens = tokenize(text)
    reading = _Reading()
    acts: list[Act] = []

    def consume(start: int, end: int) -> None:
        reading.consumed.update(i for i, t in enumerate(tokens) if t.start < end and t.end > start)

    # a button ("/start_over") has no words: its intent is the press itself; a Chinese reset
    # ("一切归零") keeps no English reset word in translation: its intent is trusted too
    # "don't start over" keeps the search (the NLU's start_over for it too); "undo that" goes one step back
    reset = unnegated(RESET, text)
    refused_reset = reset is None and RESET.search(text) is not None
    if (undo := unnegated(UNDO, text)) is not None:
        acts.append(Undo())
        consume(undo.start(), undo.end())
        state = state.undone()
    elif reset or (turn.intent == "start_over" and not refused_reset and (not text or chinese or RESET_WORDS.search(text))):
        acts.append(Reset())
        if reset is not None:
            consume(reset.start(), reset.end())
        state = DialogueState(last_items=state.last_items)
    elif refused_reset and (m := RESET.search(text)) is not None:
        consume(m.start(), m.end())

    # item references: "already seen the first two", "more like the second one", "like Heat"
    seen = turn.intent == "already_seen" or (bool(SEEN.search(text)) and not NOT_SEEN.search(text))
    refs = ordinal_refs(text, state.last_items)
    for _ids, span in refs:
        consume(*span)
    title_ids, title_spans, unknown_titles, refused_titles = title_refs(text, turn, catalog)
    if not title_ids and state.liked_items:  # "i liked fargo", then "and the big lebowski"
        more_ids, more_spans = titles_continuing(text, catalog)
        title_ids, title_spans = more_ids, title_spans + more_spans
    acts += [Unknown(title, "title") for title in unknown_titles]
    for span in title_spans:
        consume(*span)
    if seen:
        # "i have seen the matrix" names a film the catalog lacks, not everything just shown
        chosen = [i for ids, _span in refs for i in ids] + title_ids or ([] if unknown_titles else list(state.last_items))
        if chosen:
            acts.append(SeenItems(tuple(dict.fromkeys(chosen))))
        if m := SEEN.search(text):
            consume(m.start(), m.end())
    else:
        for item_ids, (start, end) in refs:
            if not item_ids:
                continue
            before = text[:start]
            disliked, liked_after = DISLIKED_AFTER.match(text[end:]), LIKED_AFTER.match(text[end:])
            if LESS_LIKE.search(before) or disliked or REFUSED_REF.search(before):
                acts.append(RejectItems(item_ids))
            elif MORE_LIKE.search(before) or liked_after or turn.intent == "refine":
                acts.append(LikeItems(item_ids))
            if praise := disliked or liked_after:  # "the second one looks good": its words are explained
                consume(end, end + praise.end())
        if liked := [i for i in title_ids if i not in refused_titles]:
            acts.append(LikeItems(tuple(liked)))
        if refused := [i for i in title_ids if i in refused_titles]:
            acts.append(RejectItems(tuple(refused)))

    # eras
    terms = terms_for(catalog.genre_names)
    for phrase in _either_era(find_eras(text), text):
        if phrase.shift and text[phrase.start : phrase.end] in terms:
            continue  # "classics" is a genre of this catalog, not "older"
        if undo is not None and undo.start() < phrase.end and undo.end() > phrase.start:
            continue  # "go back one step" undoes, it asks for no older films
        consume(phrase.start, phrase.end)
        if phrase.clear:
            acts.append(ClearEra())
        elif phrase.widen:
            acts.append(WidenEra(phrase.widen))
        elif phrase.years_back:
            if catalog.newest_year is not None:
                acts.append(SetEra(catalog.newest_year - phrase.years_back + 1, None, replace=False))
        elif phrase.refused and phrase.year_from is not None and phrase.year_to is not None:
            said = reduce(state, [a for a in acts if isinstance(a, SetEra)])  # "the 90s, not the early 90s"
            acts.append(_without_years(said, catalog, phrase.year_from, phrase.year_to))
        elif phrase.shift and phrase.hedged and (bound := _hedge_bound(state, catalog, phrase.shift)) is not None:
            acts.append(SetEra(bound, None, replace=False) if phrase.shift > 0 else SetEra(None, bound, replace=False))
        elif phrase.shift:
            acts.append(ShiftEra(phrase.shift, _pivot(state, catalog, phrase.shift)))
        elif (phrase.replace and phrase.year_from is not None and phrase.year_to is not None
              and state.year_from is not None and state.year_to is not None and re.match(r"\W*or\b", text)):
            # "romance from the 50s", then "or the 60s": either window, so both
            acts.append(SetEra(min(state.year_from, phrase.year_from), max(state.year_to, phrase.year_to)))
        else:
            acts.append(SetEra(phrase.year_from, phrase.year_to, replace=phrase.replace))

    # how many to show ("give me three comedies", "just one"): a number inside a title or a
    # reference ("the first two") is neither
    count = find_count(text, frozenset(terms))
    fewer = FEWER.search(text)  # "fewer please": about half the last list; "fewer results, just 3": three
    if count is not None and not any(tokens[i].start < count.end and tokens[i].end > count.start for i in reading.consumed):
        acts.append(SetCount(count.count))
        consume(count.start, count.end)
    elif fewer is not None:
        acts.append(SetCount(max(1, (len(state.last_items) + 1) // 2) if state.last_items else FEWER_DEFAULT))
    if fewer is not None:
        consume(fewer.start(), fewer.end())

    if not any(isinstance(a, (SetEra, ShiftEra, WidenEra, ClearEra)) for a in acts):
        for hint in turn.entities:  # an era the NLU found where the text did not say it (button payloads)
            if hint.entity in ("decade", "year"):
                acts += [SetEra(p.year_from, p.year_to, p.replace) for p in find_eras(hint.value.lower())
                         if p.year_from is not None or p.year_to is not None]

    # genres and moods, with the scope of negation ("when i was a kid" names no audience)
    for pattern in (OWN_CHILDHOOD, OWN_FEELING, OWN_DAY):
        for m in pattern.finditer(text):
            consume(m.start(), m.end())
    mentions = polarised(find_mentions(tokens, reading.consumed, catalog), tokens, reading.consumed)
    missing = [m for m in mentions if not catalog_genres(m.term.keys, catalog.genre_names)]
    mentions = [m for m in mentions if m not in missing]
    acts += genre_acts(mentions, tokens, state, catalog)
    for lacking in missing:  # a genre this catalog does not have ("a western" among books): said once
        if not lacking.term.is_mood and lacking.polarity == "+":
            acts.append(Unknown(lacking.term.form))
    mentions += missing  # their words are explained: no free-text wish from them
    explained_words = {tokens[i].text for i in reading.consumed}
    # a word the lexicon read has its scope of negation already: "horror", then "not too scary" is
    # less scary horror, not the NLU's "scary" (role exclude) ruling horror out
    explained_words |= {tokens[k].text for m in mentions for k in range(m.first, m.last + 1)}
    for hint in turn.entities:  # a genre the NLU labelled that the lexicon did not see in the text
        if hint.entity not in ("genre", "mood") or not hint.value.strip():
            continue
        if set(hint.value.lower().split()) <= explained_words:
            continue  # part of an era or a title the words already say ("circa 1995")
        genres = genre_for_word(hint.value, catalog.genre_names)
        if not genres:
            if hint.entity == "genre" and not seen and hint.value.lower().strip() not in STOPWORDS and not any(
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
    people = [h.value.strip() for h in turn.entities if h.entity == "person" and _names_a_person(h.value.strip(), raw)]
    people += [m.group("name") for m in PERSON.finditer(raw)]
    titled = {h.value.strip().lower() for h in turn.entities if h.entity == "title"}
    people += [m.group("name") for m in REFUSED_NAME.finditer(raw) if m.group("name").lower() not in titled]
    for name in dict.fromkeys(p for p in people if not genre_for_word(p, catalog.genre_names)):
        idx = text.find(name.lower())
        if idx >= 0 and any(t.start < idx + len(name) and t.end > idx and i in reading.consumed
                            for i, t in enumerate(tokens)):
            continue  # a title already read ("not Pulp Fiction")
        refusing = idx >= 0 and REFUSED_PERSON.search(text[:idx]) is not None
        acts.append((ExcludePerson if refusing else AddPerson)(name[:60]))
        if idx >= 0:
            consume(idx, idx + len(name))

    structured = [a for a in acts if not isinstance(a, Reset)]
    if ((m := SURPRISE.search(text)) and not is_search(tuple(structured))) or (turn.intent == "affirm" and not structured):
        acts.append(Surprise())
        if m is not None:
            consume(m.start(), m.end())
    elif (m := unnegated(OTHER, text)) or (turn.intent == "refine" and not structured and not OTHER.search(text)):
        acts.append(OtherOptions())
        if m is not None:
            consume(m.start(), m.end())
    # a complaint's words are no description to look for ("nothing too long, about friendship"); what
    # it names that nothing else explained is what to have less of
    complaining = complaint_tokens(text, tokens)
    wished = wish(raw, tokens, reading.consumed | complaining, mentions, understood=is_search(acts))
    if wished and not seen:
        acts.append(Wish(wished))
    if not seen and (avoid := avoided(tokens, complaining, reading.consumed, mentions)):
        acts.append(Avoid(avoid))
        # the NLU's genre "cheesy" of "nothing too cheesy" is understood now: no "not a genre" notice
        named = set(avoid.split())
        acts = [a for a in acts if not (isinstance(a, Unknown) and a.attribute == "word" and a.word.lower() in named)]
    return tuple(acts)


_PERSON_CUE = re.compile(r"\b(?:by|with|starring|featuring|stars|directed by|director|actor|actress|author|written by)\s+$")


def _names_a_person(value: str, raw: str) -> bool:
    """Whether the NLU's person is a name: two words or more, written with a capital, or after "by",
    "starring"...; "journeys" of "grand journeys, treasure hunting" and "hollywood" of "classic
    hollywood" were reported as people the catalog has no data on."""
    if not value:
        return False
    if " " in value or re.search(rf"\b{re.escape(value[:1].upper() + value[1:])}\b", raw):
        return True
    idx = raw.lower().find(value.lower())
    return idx >= 0 and _PERSON_CUE.search(raw.lower()[:idx]) is not None


def _either_era(phrases: list[EraPhrase], text: str) -> list[EraPhrase]:
    """Two windows joined by "or" are one that spans both: "the late sixties or early seventies"."""
    out: list[EraPhrase] = []
    for phrase in phrases:
        last = out[-1] if out else None
        if (last is not None and _closed(last) and _closed(phrase)
                and re.fullmatch(r"\s*,?\s*(?:or|or maybe|or even|maybe)\s*", text[last.end : phrase.start])):
            out[-1] = replace(last, end=phrase.end, year_from=min(last.year_from, phrase.year_from),  # type: ignore[type-var]
                              year_to=max(last.year_to, phrase.year_to))  # type: ignore[type-var]
        else:
            out.append(phrase)
    return out


def _closed(phrase: EraPhrase) -> bool:
    return phrase.year_from is not None and phrase.year_to is not None and not phrase.shift and not phrase.clear


def _hedge_bound(state: DialogueState, catalog: CatalogView, direction: int) -> int | None:
    """"Not too old" (+1): from the catalog's oldest tenth on, or from the middle of the last list
    when that is older (after classic noir it stays with noir); the window only narrows. "Not too
    recent" (-1) mirrors it. None when the catalog has no years to say what old is."""
    if catalog.era_edges is None:
        return None
    old_until, recent_from = catalog.era_edges
    years = sorted(_list_years(state, catalog))
    middle = years[len(years) // 2] if years else None
    if direction > 0:
        bound = old_until + 1 if middle is None else min(old_until + 1, middle + 1)
        return max(bound, state.year_from) if state.year_from is not None else bound
    bound = recent_from - 1 if middle is None else max(recent_from - 1, middle - 1)
    return min(bound, state.year_to) if state.year_to is not None else bound


def _without_years(state: DialogueState, catalog: CatalogView, year_from: int, year_to: int) -> SetEra:
    """"None from the 90s": a window has one range, so it keeps one side of the refused years: the
    side the window already lies on, else the newer side when the refused years are older than most
    of the last list (or, with no list, than the catalog's newest tenth, where most of it is), else
    the older side."""
    if state.year_to is not None and state.year_to <= year_to:
        return SetEra(None, year_from - 1, replace=False)  # a window inside the refused years gives way to the years before
    if state.year_from is not None and state.year_from >= year_from:
        return SetEra(year_to + 1, None, replace=False)
    years = sorted(_list_years(state, catalog))
    reference = years[len(years) // 2] if years else (catalog.era_edges[1] if catalog.era_edges else None)
    if reference is not None and year_to < reference:
        return SetEra(year_to + 1, None, replace=False)
    return SetEra(None, year_from - 1, replace=False)


def _list_years(state: DialogueState, catalog: CatalogView) -> list[int]:
    """The known years of the list just shown."""
    return [y for i in state.last_items if (y := catalog.year_of(i)) is not None]


def _pivot(state: DialogueState, catalog: CatalogView, direction: int) -> int | None:
    """"Older" is older than everything in the last list, "newer" newer than all of it, unless the
    list reaches into the catalog's oldest (newest) tenth while most of it does not: after a list
    of 1954-1997, "newer" is newer than most of it, not the catalog's last year alone. With no list
    and no era yet, "an old movie" is from the catalog's oldest tenth and "something recent" from
    its newest."""
    years = sorted(_list_years(state, catalog))
    if not years:
        if catalog.era_edges is None or state.year_from is not None or state.year_to is not None:
            return None
        old_until, recent_from = catalog.era_edges
        return old_until + 1 if direction < 0 else recent_from - 1
    edge, middle = (years[0] if direction < 0 else years[-1]), years[len(years) // 2]
    if catalog.era_edges is not None:
        old_until, recent_from = catalog.era_edges
        if (direction > 0 and edge >= recent_from > middle) or (direction < 0 and edge <= old_until < middle):
            return middle
    return edge
