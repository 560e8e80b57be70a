"""Genre and mood words of a message -> genre acts: find them (`find_mentions`, longest phrase
first, "noirish" and "non-violent" included), then, once `negation.polarised` has given each
its polarity, decide exclude / drop / add / replace / mood (`genre_acts`).

Whether a second genre narrows or replaces ("also", "instead") is decided here too.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from functools import lru_cache

from rapidfuzz.distance import OSA

from recommender.dialogue.acts import (
    Act,
    AddGenres,
    AddMood,
    AllowGenres,
    Avoid,
    DropGenres,
    ExcludeGenres,
    ReplaceGenres,
)
from recommender.dialogue.count import NUMBER_WORDS
from recommender.dialogue.lexicon import Term, catalog_genres, genre_name_forms, plurals, squash, terms_for
from recommender.dialogue.negation import Mention
from recommender.dialogue.state import DialogueState
from recommender.dialogue.tokens import Tok, token_phrase
from recommender.dialogue.turn import CatalogView

_MAX_PHRASE_TOKENS = 4
_REPLACE_CUES = [token_phrase(p) for p in (
    "instead", "on second thought", "change to", "change it to", "switch to", "switch it to",
    "scratch that", "never mind", "nevermind", "rather have", "i'd rather", "id rather", "rather see",
    "swap to", "change that to", "make that", "i meant", "meant to say",
)]
_ADD_CUES = {"also", "too", "plus", "additionally", "both", "add", "adding", "include", "including", "throw",
             "mix", "combine", "combined", "together", "along"}


# "what about dramas?", "and the top 5 dramas", "just the comedy" after a list of comedy horror: a
# genre offered as the next thing to see, not as one more thing the list must be ("and it should
# be a drama")
_OFFER_LEADS = (("what", "about"), ("how", "about"), ("what", "of"), ("and",), ("just",), ("only",))
_OFFER_FILLERS = {"ok", "okay", "so", "well", "hmm", "alright", "right", "now", "then", "oh", "cool", "nice", "great",
                  "thanks", "fine", "sure", ",", "."}
_OFFER_COUNTS = {"top"} | {w for w in NUMBER_WORDS if " " not in w}
_OFFER_DETERMINERS = {"a", "an", "the", "some", "any", "best", "good", "great", "few", "couple", "of"} | _OFFER_COUNTS


def _offered_instead(before: list[str]) -> bool:
    """Whether the words before the first wanted genre only offer it: "what about", "how about",
    "just" or "only", then nothing but a determiner or a count; or "and" before a count of them
    ("and the top 5")."""
    words = list(itertools.dropwhile(lambda w: w in _OFFER_FILLERS, before))
    for lead in _OFFER_LEADS:
        if tuple(words[: len(lead)]) == lead:
            rest = words[len(lead):]
            if lead == ("and",) and not any(w in _OFFER_COUNTS or w.isdigit() for w in rest):
                return False  # a bare "and westerns" may as well mean comedy westerns: it narrows, as before
            return all(w in _OFFER_DETERMINERS or w.isdigit() for w in rest)
    return False


def find_mentions(tokens: list[Tok], consumed: set[int], catalog: CatalogView) -> list[Mention]:
    """Genre and mood words, longest phrase first, skipping tokens already explained."""
    terms = terms_for(catalog.genre_names)
    found: list[Mention] = []
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
            term = terms.get(phrase) or terms.get(phrase.rstrip("'")) or _clitic(phrase, terms, catalog.genre_names)
            if term is not None:
                found.append(Mention(term, i, i + n - 1))
                i += n
                break
            if (term := _ruled_out_by(phrase, terms)) is not None:
                found.append(Mention(term, i, i + n - 1, "-"))  # "something for grown-ups": no children's film
                i += n
                break
            if n == 1 and (term := _without(phrase, terms)) is not None:
                found.append(Mention(term, i, i, "-"))  # "non-violent", "romance-free", "unromantic"
                i += 1
                break
            if n == 1 and (term := _derived(phrase, terms)) is not None:
                found.append(Mention(term, i, i))  # "noirish", "western-y", "sci-fi-esque"
                i += 1
                break
            if n == 1 and (term := _misspelt(phrase, catalog.genre_names, terms)) is not None:
                found.append(Mention(term, i, i))  # "documentery", "westren"
                i += 1
                break
        else:
            i += 1
    # "for adults and kids" names both audiences: neither rules the other out
    named = {m.term.keys for m in found if m.polarity == "+"}
    return [m for m in found if not (m.polarity == "-" and m.term.keys in named and _is_opposite(tokens, m))]


def _clitic(word: str, terms: dict[str, Term], vocabulary: tuple[str, ...]) -> Term | None:
    """A genre's name with "'s" ("horror's fine", "action's my thing"); not another word of it: in
    "kid's asleep" the kid is a person."""
    term = terms.get(word.removesuffix("'s")) if word.endswith("'s") else None
    if term is None or term.is_mood:
        return None
    return term if any(_names(term, g) for g in catalog_genres(term.keys, vocabulary)) else None


# words that rule a genre out by naming its opposite audience
_OPPOSITE_FORMS = {"children's": ("grown-ups", "grown ups", "grownups", "for adults", "adults only", "grown-up",
                                  "for an adult", "adult audience", "adults would", "adults who", "adults that", "adult viewers", "for adult viewers")}


def _without(word: str, terms: dict[str, Term]) -> Term | None:
    """The term a word rules out by its form: "non-violent", "romance-free", "unromantic"."""
    if word.startswith("non-") and (term := terms.get(word[4:])) is not None:
        return term
    if word.endswith("-free") and (term := terms.get(word[:-5])) is not None:
        return term
    if word.startswith("un") and len(word) > 5 and (term := terms.get(word[2:])) is not None:
        return term
    return None


def _is_opposite(tokens: list[Tok], mention: Mention) -> bool:
    """Whether the mention is one of the `_OPPOSITE_FORMS` ("grown-ups"), not the genre's own word."""
    phrase = " ".join(t.text for t in tokens[mention.first : mention.last + 1]).replace(" - ", "-")
    return any(phrase in forms for forms in _OPPOSITE_FORMS.values())


def _ruled_out_by(phrase: str, terms: dict[str, Term]) -> Term | None:
    """"grown-ups" -> the children's genre term (to exclude), when the catalog has one."""
    for key, forms in _OPPOSITE_FORMS.items():
        if phrase in forms and (term := terms.get(key)) is not None:
            return term
    return None


_SUFFIXES = ("-esque", "esque", "-ish", "ish", "-like", "-y", "-ey", "y", "ey", "ie", "-ie")
# hyphenated words that say "of this genre" ("drama-heavy", "war-themed", "crime-based")
_HYPHEN_SUFFIXES = ("-heavy", "-themed", "-based", "-centric", "-focused", "-driven", "-oriented", "-flavoured",
                    "-flavored", "-leaning", "-inspired", "-type", "-style", "-laden", "-filled", "-packed", "-fuelled",
                    "-fueled", "-infused", "-tinged")


def _derived(word: str, terms: dict[str, Term]) -> Term | None:
    """A genre word with an informal suffix ("noirish", "western-y", "horrory", "war-themed") -> its term."""
    for suffix in _HYPHEN_SUFFIXES:
        stem = word.removesuffix(suffix)
        if stem != word and (term := terms.get(stem)) is not None:
            return term
    for suffix in _SUFFIXES:
        stem = word.removesuffix(suffix)
        if stem != word and len(stem) >= 4:
            for candidate in (stem, stem + "e", stem.rstrip("-")):
                term = terms.get(candidate)
                if term is not None:
                    return term
    return None


# English words one letter away from a genre name: never a typo of it
_REAL_WORDS = {"auction", "auctions", "faction", "factions", "thrilled", "mastery", "adventurer", "adventurers",
               "musica", "comely"}


@lru_cache(maxsize=8)
def _typo_targets(vocabulary: tuple[str, ...]) -> tuple[str, ...]:
    """The catalog's genre names (and plurals) long enough that one wrong letter is still them."""
    return tuple(f for name in genre_name_forms(vocabulary) for f in plurals(name) if len(f) >= 6 and " " not in f)


def _misspelt(word: str, vocabulary: tuple[str, ...], terms: dict[str, Term]) -> Term | None:
    """A genre name typed with one letter wrong, missing, extra or swapped ("documentery",
    "comdey", "westren"): one edit away and not a word of its own ("auction" is no action)."""
    if len(word) < 6 or word in _REAL_WORDS or not word.isalpha():
        return None
    for target in _typo_targets(vocabulary):
        if abs(len(target) - len(word)) <= 1 and OSA.distance(word, target) <= 1:
            return terms.get(target)
    return None


# the genre's name as an adjective: "skip the comedic ones" refuses comedy itself
_NAME_ADJECTIVES = {"comedy": ("comedic",), "drama": ("dramatic",), "romance": ("romantic",)}


def _names(term: Term, genre: str) -> bool:
    """Whether `term` is the genre's own name ("horror", "comedies", "comedic"), not a word that
    only implies it ("slasher", "funny"). ("comedies" was no name of comedy: "no more comedies"
    after comedies was read as less of the word "comedies".)"""
    name = genre.lower()
    forms = {squash(f) for f in (*plurals(name), *_NAME_ADJECTIVES.get(name, ()))}
    return squash(term.form) in forms or squash(term.form.rstrip("s")) == squash(genre).rstrip("s")


def genre_acts(
    mentions: list[Mention], tokens: list[Tok], state: DialogueState, catalog: CatalogView
) -> list[Act]:
    """The acts the genre and mood mentions stand for, each by the scope of its negation."""
    vocabulary = catalog.genre_names
    acts: list[Act] = []
    # "romance is fine (after all)" of an excluded genre lifts the exclusion and wants nothing; of any
    # other genre ("comedy is fine" answering the bot) it is a wish
    allowed = [g for m in mentions if m.polarity == "allow" and not m.term.is_mood
               and (genres := catalog_genres(m.term.keys, vocabulary)) and all(g in state.exclude_genres for g in genres)
               for g in genres]
    mentions = [replace(m, polarity="+") if m.polarity == "allow" else m for m in mentions
                if not (m.polarity == "allow" and set(catalog_genres(m.term.keys, vocabulary)) & set(allowed))]
    if allowed:
        acts.append(AllowGenres(tuple(dict.fromkeys(allowed))))
    excluded: list[str] = []
    dropped: list[str] = []
    wanted: list[str] = []
    moods: list[AddMood] = []
    hedged: list[str] = []
    tones: list[str] = []  # moods refused ("less dark", "nothing too grim"): a tone to have less of
    graded: list[tuple[str, str]] = []  # (genre, word) of "horror, but not too scary": less of a kind
    for m in mentions:
        genres = catalog_genres(m.term.keys, vocabulary)
        if m.term.is_mood and m.polarity in ("-", "hedge"):
            tones.append(m.term.form)
        if m.polarity == "hedge":  # "not too silly": milder, not none; see below
            hedged.extend(genres[:1])
            graded.extend((g, m.term.form) for g in genres[:1] if not _names(m.term, g))
        elif m.polarity == "-":
            for g in genres[:1]:
                if not _names(m.term, g):
                    graded.append((g, m.term.form))  # an Avoid if the genre stays wanted (below)
                if not _names(m.term, g) and (g in state.genres or g in state.genre_options):
                    hedged.append(g)  # horror wanted, "no slasher stuff": a kind of horror less, not no horror
                elif g not in excluded:
                    excluded.append(g)
        elif m.polarity == "soft":
            dropped.extend(genres if not m.term.is_mood else genres[:1])
        elif m.polarity == "drop":
            for g in genres if not m.term.is_mood else genres[:1]:
                (dropped if g in state.genres or g in state.genre_options or g in wanted else excluded).append(g)
        elif m.term.is_mood:
            moods.append(AddMood(m.term.form, genres))
        else:
            wanted.extend(g for g in genres if g not in wanted)
    # "spooky but not gory": one word wants a genre, another refuses a kind of it; a hedge, as
    # across turns (the same word both ways, or the genre refused by its name, is a change of mind)
    refusing: dict[str, set[str]] = {}
    wanting: dict[str, set[str]] = {}
    for m in mentions:
        if m.polarity in ("-", "+") and not m.term.is_mood:
            for g in catalog_genres(m.term.keys, vocabulary)[:1 if m.polarity == "-" else None]:
                forms = refusing if m.polarity == "-" else wanting
                forms.setdefault(g, set()).add("" if _names(m.term, g) else m.term.form)
    excluded = [g for g in excluded
                if not (g in wanting and g in refusing and "" not in refusing[g] and not refusing[g] & wanting[g])]
    # one sentence that both names and rules out a genre: the genre's own name beats a word that
    # only implies it ("sci-fi, no aliens" keeps sci-fi), and between equals the later one wins
    # ("these are all comedies, I don't want comedy")
    last_say: dict[str, tuple[bool, int, str]] = {}
    for m in mentions:
        if m.polarity == "hedge":
            continue
        for g in catalog_genres(m.term.keys, vocabulary)[:1 if m.term.is_mood else None]:
            say = (_names(m.term, g), m.first, m.polarity)
            last_say[g] = max(last_say.get(g, say), say)
    excluded = [g for g in excluded if g not in wanted or last_say.get(g, (False, 0, "-"))[2] == "-"]
    wanted = [g for g in wanted if g not in excluded]
    # a hedge never takes back a genre the person wants ("funny but not too silly" stays a comedy);
    # on its own it steers away from it ("a drama, nothing too scary")
    excluded += [g for g in dict.fromkeys(hedged)
                 if g not in wanted and g not in excluded and g not in state.genres and g not in state.genre_options]
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
        told_instead = any(
            tuple(texts[i : i + len(cue)]) == cue for cue in _REPLACE_CUES for i in range(len(texts))
        )
        offered = bool(state.genres or state.genre_options) and _offered_instead(
            texts[: positives[0].first] if positives else texts)
        replacing = not additive and (told_instead or offered)
        acts.append((ReplaceGenres if replacing else AddGenres)(tuple(wanted), any_of=any_of))
    acts.extend(moods)
    # a tone is no genre: besides its first genre (ruled out unless wanted, as above), the rows
    # most like the word go lower, so "a thriller ... less dark" is heard while thrillers stay;
    # so does a kind of a wanted genre ("horror, not too scary", "no slasher stuff")
    tones += [w for g, w in graded if g not in excluded]  # the genre stays: its graded word goes lower
    acts.extend(Avoid(w) for w in dict.fromkeys(tones))
    return acts
