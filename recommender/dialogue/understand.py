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
    names_a_person,
    unnegated,
)
from recommender.dialogue.era_moves import either_era, hedge_bound, pivot, without_years
from recommender.dialogue.eras import find_eras
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
from recommender.dialogue.tokens import respell, tokenize
from recommender.dialogue.turn import CatalogView, EntityHint, Turn
from recommender.dialogue.wish import STOPWORDS, avoided, complaint_tokens, wish

__all__ = ["MAX_TEXT_CHARS", "CatalogView", "EntityHint", "Turn", "understand"]

MAX_TEXT_CHARS = 2000
FEWER_DEFAULT = 3  # "fewer" with no list shown yet


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
    for phrase in either_era(find_eras(text), text):
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
            acts.append(without_years(said, catalog, phrase.year_from, phrase.year_to))
        elif phrase.shift and phrase.hedged and (bound := hedge_bound(state, catalog, phrase.shift)) is not None:
            acts.append(SetEra(bound, None, replace=False) if phrase.shift > 0 else SetEra(None, bound, replace=False))
        elif phrase.shift:
            acts.append(ShiftEra(phrase.shift, pivot(state, catalog, phrase.shift)))
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
    people = [h.value.strip() for h in turn.entities if h.entity == "person" and names_a_person(h.value.strip(), raw)]
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
