"""The scope of negation: which genre and mood words a "not", "anything but", "drop the" or
"X is out" reaches, and so whether each is wanted, excluded, taken back or merely un-wanted.

The cue tables live here next to the one function that reads them (`polarised`), so a missed
phrasing ("not big on westerns") is fixed by a row here and checked in test_understand.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from recommender.dialogue.lexicon import Term
from recommender.dialogue.tokens import Tok, match_at, token_phrase

# Negation cues (token sequences); the longest one at a position wins.
NEGATIONS = {
    token_phrase(p) for p in (
        "no", "not", "nothing", "without", "except", "excluding", "exclude", "minus", "skip", "avoid", "less",
        "scared of", "afraid of", "frightened of", "terrified of",
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
        "not big into", "pass on", "had enough of", "had enough", "not any more", "no more of", "free of", "free from", "hold off on",
        "steer away from", "stay clear of", "nix", "nix the", "keep away from", "keep it away from",
        "keep clear of", "had it with", "had my fill of", "stop with", "stop showing me", "stop showing",
        "quit it with", "quit with", "anything besides", "everything besides", "nothing more of", "enough",
        "the last thing i want is", "last thing i want is", "the last thing i need is", "last thing i need is",
        "rather die than", "rather die than watch", "rather die than sit through", "rather be dead than",
        "rather watch paint dry than", "rather watch paint dry than watch", "rather eat glass than",
        "wouldn't be caught dead watching", "wouldnt be caught dead watching",
    )
}
# "enough romance" refuses where a clause starts; "with enough action" asks for it
_OPENS_A_CLAUSE = {",", ".", "!", "?", ";", ":", "ugh", "ok", "okay", "alright", "seriously", "honestly", "please",
                   "and", "but", "oh", "so", "now", "that's", "thats"}
# Un-wanting without excluding: "doesn't have to be a drama", "a comedy instead of a drama".
_SOFT_DROPS = {
    token_phrase(p) for p in (
        "doesn't have to be", "does not have to be", "doesnt have to be", "don't have to be", "needn't be",
        "not necessarily", "doesn't need to be", "does not need to be", "no need for", "instead of",
        "rather than", "not required",
    )
}
# Taking back: un-wants a wanted genre, excludes one that was not wanted ("drop the horror").
_DROPS = {
    token_phrase(p) for p in (
        "forget about", "forget the", "forget", "drop the", "drop", "remove the", "remove", "remove any", "lose the",
        "never mind the", "get rid of", "get rid of the", "filter out", "filter out the", "filter out any",
        "take out", "take out the", "take away", "cut", "cut the", "strip out", "eliminate", "ditch", "ditch the",
        "scrap", "scrap the", "omit", "axe", "axe the", "weed out", "rule out", "cross off", "cross out",
        "leave off", "hold the", "ban", "block", "hide", "kill the", "exclude the", "excluding the", "bin the",
        "lose", "purge", "toss", "toss the", "remove all", "strike", "knock out", "minus the",
    )
}
# Taking back one genre for another: "swap the horror for a thriller", "replace horror with a western"
# (not a bare "swap" or "switch": "switch to comedy" wants comedy). What follows "for"/"with" is wanted.
_SWAPS = {
    token_phrase(p) for p in (
        "swap the", "swap out", "swap out the", "replace", "replace the", "trade the", "trade in the", "trade out",
        "switch out", "switch out the", "switch the", "exchange the",
    )
}
_DROPS |= _SWAPS
# A complaint about the list grades what follows as "not too X": "these are too scary", "nah too
# violent" (both were read as wanting more of it).
_COMPLAINTS = {
    token_phrase(p) for p in (
        "too", "too much", "way too", "far too", "much too", "a bit too", "a little too", "a tad too", "just too",
        "overly", "excessively", "too damn", "kinda too", "bit too", "too many",
        # less of a thing, not none: "tone down the violence"
        "tone down", "tone down the", "dial down", "dial down the", "dial back", "dial back the", "cut back on",
        "cut back on the", "go easy on", "go easy on the", "ease up on", "ease up on the", "ease off",
        "ease off the", "lighter on", "lighter on the", "less of the",
    )
}
# Negation words that do not negate what follows.
_CANCELS = {
    token_phrase(p) for p in (
        "don't mind", "dont mind", "do not mind", "wouldn't mind", "not only", "nothing but", "not sure",
        "no idea", "no preference", "not bad", "no problem", "doesn't matter", "does not matter", "no matter",
        "not picky", "don't care", "dont care", "can't wait", "not fussy", "no clue", "no strong",
        "none in particular", "nothing in particular", "nothing specific", "not a problem", "never seen",
        "haven't seen", "not seen", "over the top", "not too bad", "why not",
        # a refusal refused is a yes: "not opposed to romance", "i don't dislike westerns"
        "not opposed to", "not against", "not averse to", "not adverse to", "don't dislike", "dont dislike",
        "do not dislike", "didn't dislike", "don't hate", "dont hate", "do not hate", "didn't hate", "didnt hate",
        "wouldn't say no to", "wouldnt say no to", "would not say no to", "never say no to", "can't say no to",
        "not saying no to", "not say no to", "i'm not saying no to", "not ruling out",
        "nothing wrong with", "nothing against", "no objection to", "no objections to", "no problem with",
        "no issue with", "no issues with", "not complaining about", "wouldn't complain about", "no harm in",
        "can't get enough of", "cant get enough of", "cannot get enough of", "can never get enough of",
        "never get tired of", "never tire of", "never get sick of", "not tired of", "not sick of",
        "can't resist", "cant resist", "cannot resist", "never turn down", "wouldn't turn down",
        # idioms of certainty, no refusal: "without question my favourite genre", "no doubt a comedy"
        "no doubt", "without a doubt", "without question", "no question", "without fail", "no wonder",
    )
}
# After a genre: "horror is out", "westerns? no thanks", "musicals are not for me".
_POST_NEGATIONS = {
    token_phrase(p) for p in (
        "out", "a no", "a no-go", "no-go", "not for me", "not my thing", "not my cup of tea", "off the table",
        "no thanks", "no thank you", "no way", "nope", "not", "no", "excluded", "banned", "off", "not welcome",
        "not ok", "not okay", "not allowed", "boring", "bore me", "suck", "sucks", "are the worst", "is the worst",
        "out of the question", "please no", "need not apply", "not so much", "nah", "naw", "nope", "hard pass",
        "pass", "i'll pass", "ill pass", "not really", "meh", "no ty", "not feeling it", "not my vibe", "not my jam",
        "hell no", "no chance", "not today", "not tonight", "not for us", "not for tonight", "no no",
        "bores me", "bore me to tears", "isn't for me", "isnt for me", "aren't for me", "arent for me",
        "does nothing for me", "do nothing for me", "leaves me cold", "leave me cold", "puts me off", "put me off",
        "annoys me", "annoy me", "overrated", "gets old", "get old", "a dealbreaker", "dealbreaker", "a deal breaker",
        "not my scene", "isn't my scene", "isnt my scene", "turns me off", "turn me off", "not what i want",
        "not what i'm after", "not what im after", "not what i'm looking for",
        "a hard no", "hard no", "isn't my thing", "isnt my thing", "aren't my thing", "arent my thing", "not really my thing", "isn't really my thing",
        "not my style", "isn't my style", "not my genre", "isn't my genre", "not my kind of thing",
        "isn't my kind of thing", "not a fan", "not my favorite", "not my favourite", "a no from me", "no from me",
        "a turn-off", "a turnoff", "gives me the ick", "give me the ick", "makes me cringe", "make me cringe",
        "cringey", "cringy", "cringeworthy", "cringe-worthy", "gets on my nerves", "get on my nerves",
        "drives me crazy", "drive me crazy", "lame", "dull", "tedious", "tiresome", "annoying", "overdone", "yuck",
        "can go", "has to go", "have to go", "must go", "needs to go", "need to go", "ugh", "eh no", "i'm over it",
        "im over it", "doesn't do it for me", "does not do it for me", "don't do it for me", "dont do it for me",
        "free", "do not want", "don't want", "dont want", "do not like", "don't like", "dont like", "don't need",
        "do not need", "am not into", "i'm not into", "im not into", "can do without", "could do without",
        "bored me", "bores me to death", "the last thing i want", "the last thing i need", "is the last thing i want",
        "is the last thing i need", "the last thing i want to see", "the last thing i want to watch",
    )
}
# a vague tail between a genre word and its refusal: "zombies or something, no thanks"
_VAGUE_TAILS = {token_phrase(p) for p in ("or something", "and stuff", "and such", "and whatnot", "or whatever",
                                          "and so on", "or anything", "or the like")}
# "out of" that refuses nothing after a genre word
_OUT_OF_IDIOMS = {token_phrase(p) for p in (
    "out of my mind", "out of my wits", "out of my skin", "out of my seat", "out of this world", "out of your mind",
    "out of your seat", "out of the park",
)}
# Words that may close a post-placed "no"/"not" ("horror? not really", "musicals, no thanks").
_POST_FINISHERS = {"really", "please", "thanks", "thank", "at", "all", "ever", "anymore", "today", "tonight", "now",
                   "for", "way", "more", "again", "pls", "plz", "thx", "sorry", "though", "lol"}
_POST_SKIP = {"?", "-", ",", ":", "is", "are", "'s", "please", "definitely", "totally", "really", "just", "also", "all", "so",
              "movies", "movie", "films", "film", "flicks", "stuff", "ones",
              # a part of the film, or a word of talk, between the genre and its refusal: "romance
              # subplots are out", "romance honestly isn't my thing"
              "subplot", "subplots", "plot", "plots", "storyline", "storylines", "scene", "scenes", "element",
              "elements", "angle", "angles", "bits", "parts", "story", "stories", "theme", "themes", "aspect",
              "aspects", "content", "genre", "genres", "kind", "type", "things", "thing", "vibes", "tbh",
              "honestly", "personally", "frankly", "though", "tho", "actually", "generally", "usually", "always",
              "seriously", "truly", "mostly", "basically", "kinda", "i", "think", "guess", "to", "me", "for",
              "something", "whatnot", "etc"}  # "aliens something no thanks" (外星人啥的就算了)
# A negation followed by one of these limits how much, not what: "funny but not too silly",
# "nothing overly violent". The mention is "hedge": it steers away from the genre only when the
# person does not want that genre anyway (recommender/dialogue/genres.py).
DEGREE_HEDGES = {"too", "overly", "very", "so", "that", "super", "excessively", "particularly", "terribly",
                 "extremely", "exceedingly", "insanely", "crazy", "hugely"}
# Degree words that hedge from anywhere between the cue and the word it reaches: "nothing with
# too much gore", "not a lot of violence", "no heavy romance". ("so" and "that" only count right
# after the cue: in "nothing that is horror" "that" is a pronoun.)
GAP_HEDGES = (DEGREE_HEDGES - {"so", "that", "very"}) | {"much", "lot", "lots", "heavy", "excessive", "over-the-top"}
# Words that may sit between two genres of one negated list: "no horror, thriller or crime".
CONNECTORS = {
    "or", "and", "nor", ",", "/", "&", "either", "neither", "any", "anything", "also", "the", "a", "an",
    "those", "these", "of", "too", "very", "so", "really", "overly", "particularly", "that's", "that", "is",
    "are", "kind", "type", "sort", "movies", "movie", "films", "film", "flicks", "flick", "stuff", "things",
    "ones", "genre", "genres", "even", "at", "all", "kinds", "types", "with", "anymore",
}
# Words that end the reach of a negation cue.
BOUNDARIES = {
    ".", "!", "?", ";", ":", "but", "though", "although", "however", "yet", "instead", "rather", "just", "only",
    "so", "because", "i", "i'd", "id", "i'm", "im", "we", "we'd", "let's", "lets", "give", "show", "make",
    "maybe", "perhaps", "how", "what", "fine", "ok", "okay", "good", "great", "please",
    "more",  # "less romance, more comedy": what follows "more" is wanted
}
# read after the post-skip has passed over "is"/"are" ("romance is fine", "westerns are ok")
_POSITIVE_AFTER = [token_phrase(p) for p in ("would be good", "would be nice", "works", "fine", "ok", "okay", "alright",
                                             "all right", "allowed", "welcome", "acceptable", "back on the table", "cool")]


# What may sit between a degree word and the word it grades: "not too much gore", "nothing too heavy on the romance".
_GRADED_SKIP = CONNECTORS | DEGREE_HEDGES | GAP_HEDGES | {"on", "in"}


def _governs_other_word(gap: list[Tok], *, hedged: bool) -> bool:
    """Whether a cue's reach ends at a word before the next genre or mood: the degree word of a
    hedge grades the first word after it ("nothing too long, a romance": the length, not the
    romance), and a comma after a word the cue took ("nothing long, a comedy") closes the phrase."""
    if hedged:
        graded = next((k for k, t in enumerate(gap) if t.text not in _GRADED_SKIP), None)
        if graded is not None:  # unless the grading goes on to a list: "nothing too long or scary"
            return not {"or", "and", "nor"} & {t.text for t in gap[graded + 1 :]}
    for k, t in enumerate(gap):
        if t.text == "," and k > 0 and gap[k - 1].text not in CONNECTORS:
            # unless a list of refused things goes on: "no long, boring or scary movies"
            return not {"or", "and", "nor", ","} & {u.text for u in gap[k + 1 :]}
    return False


@dataclass(frozen=True)
class Mention:
    """A genre or mood word found in the text, with where it sits among the tokens."""

    term: Term
    first: int  # token index
    last: int
    polarity: str = "+"  # "+", "-" (exclude), "soft" (un-want), "drop", "hedge" ("not too X") or "allow" ("X is fine")


def polarised(mentions: list[Mention], tokens: list[Tok], consumed: set[int]) -> list[Mention]:
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
        n_cancel = match_at(tokens, i, _CANCELS)
        if n_cancel and n_cancel >= match_at(tokens, i, NEGATIONS):
            i += n_cancel
            continue
        n_soft = match_at(tokens, i, _SOFT_DROPS)
        n_drop = match_at(tokens, i, _DROPS)
        n_neg = match_at(tokens, i, NEGATIONS)
        if n_neg == 1 and tokens[i].text == "enough" and i > 0 and tokens[i - 1].text not in _OPENS_A_CLAUSE:
            n_neg = 0
        if n_neg == 1 and tokens[i].text == "not" and i + 1 < len(tokens) and tokens[i + 1].text == "enough":
            i += 2  # "not enough action" asks for more of it
            continue
        n_complaint = match_at(tokens, i, _COMPLAINTS)
        n = max(n_soft, n_drop, n_neg, n_complaint)
        if n == 0:
            i += 1
            continue
        sign = "soft" if n_soft == n else "drop" if n_drop == n else "-" if n_neg == n else "hedge"
        end = i + n
        if sign == "-" and end < len(tokens) and tokens[end].text in DEGREE_HEDGES:
            sign = "hedge"
            end += 1  # "not so dark": the degree word grades, it is no boundary ("no horror, so ...")
        if end < len(tokens) and tokens[end].text in (",", ".", "!") and n == 1:
            i = end  # "no, a comedy": an interjection, not a cue
            continue
        first = next((k for k, m in enumerate(mentions) if m.first >= end), None)
        if first is None:
            break
        gap = tokens[end : mentions[first].first]
        if len(gap) > 7 or any(t.text in BOUNDARIES for t in gap) or _governs_other_word(gap, hedged=sign == "hedge"):
            i = end
            continue
        if sign == "-" and any(t.text in GAP_HEDGES for t in gap):
            sign = "hedge"
        swap = sign == "drop" and tuple(t.text for t in tokens[i:end]) in _SWAPS
        chain = [first]
        for k in range(first + 1, len(mentions)):
            between = [t.text for t in tokens[mentions[k - 1].last + 1 : mentions[k].first]]
            if not all(w in CONNECTORS for w in between) or (sign == "hedge" and not between):
                break  # "not too gory horror": the horror is what is graded, and wanted
            if swap and {"with", "for"} & set(between):
                break  # "replace horror with a western": the western is wanted
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
        while j < len(tokens) and (tokens[j].text in _POST_SKIP or match_at(tokens, j, _VAGUE_TAILS)):
            j += max(1, match_at(tokens, j, _VAGUE_TAILS))
        if j >= len(tokens) or (k + 1 < len(mentions) and mentions[k + 1].first <= j):
            continue
        if match_at(tokens, j, _POSITIVE_AFTER) or match_at(tokens, j, _CANCELS):
            polarity[k] = "allow"  # "romance is fine (after all)": wanted, or only no longer excluded
            continue
        n = match_at(tokens, j, _POST_NEGATIONS)
        if not n or (n == 1 and tokens[j].text == "out" and match_at(tokens, j, _OUT_OF_IDIOMS)):
            continue  # "scared out of my mind", "sci-fi out of this world": no refusal ("out of it" is one)
        reach = match_at(tokens, j, NEGATIONS)
        if tokens[j].text not in ("no", "not") and reach and any(
            m.first <= j + 6 and not any(t.text in BOUNDARIES for t in tokens[j + reach : m.first])
            for m in mentions[k + 1 :]
        ):
            continue  # "comedy, don't like horror": a refusal that also goes before a word refuses what follows
        if tokens[j].text in ("no", "not"):
            ahead = [m for m in mentions[k + 1 :] if m.first <= j + 6]
            if ahead and n == 1:
                continue  # "comedy, no horror": the "no" belongs to what follows
            nxt = j + n
            while nxt < len(tokens) and tokens[nxt].text in _POST_FINISHERS - DEGREE_HEDGES:
                nxt += 1
            after = tokens[nxt].text if nxt < len(tokens) else "."
            if after in DEGREE_HEDGES or (after[0].isalnum() and after not in _POST_FINISHERS):
                # "a romance, not too long", "a thriller, not really long", "westerns? not really
                # sure": the "not" belongs to another word
                continue
        polarity[k] = "-"
        back = k
        while back > 0 and all(
            t.text in CONNECTORS for t in tokens[mentions[back - 1].last + 1 : mentions[back].first]
        ) and polarity[back - 1] == "+":
            polarity[back - 1] = "-"
            back -= 1
    return [Mention(m.term, m.first, m.last, p) for m, p in zip(mentions, polarity, strict=True)]


def cancelled_at(tokens: list[Tok], i: int) -> bool:
    """Whether the negation word at token i belongs to a phrase that refuses nothing ("not opposed
    to", "no doubt", "don't mind")."""
    return match_at(tokens, i, _CANCELS) >= max(1, match_at(tokens, i, NEGATIONS))


def cue_spans(tokens: list[Tok]) -> list[tuple[int, int]]:
    """Where the text says no, drops or complains, as character spans ("a hard no", "not my cup of
    tea", "hold the"): words a refusal is made of are no title to look up."""
    spans = []
    for i in range(len(tokens)):
        n = max(match_at(tokens, i, table) for table in (NEGATIONS, _POST_NEGATIONS, _DROPS, _SOFT_DROPS, _COMPLAINTS))
        if n > 1:  # one-word cues ("no", "out") are parts of real titles too ("No Way Out")
            spans.append((tokens[i].start, tokens[i + n - 1].end))
    return spans
