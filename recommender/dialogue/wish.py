"""The free-text wish: what the structured acts leave unexplained ("about friendship",
"set in space") becomes a description query, and conversational filler never does.

`STOPWORDS` are the words that never count as content (also used to ignore NLU genre
entities that are just filler).
"""

from __future__ import annotations

import re

from recommender.dialogue.negation import BOUNDARIES, CONNECTORS, NEGATIONS, Mention, cancelled_at
from recommender.dialogue.tokens import Tok

STOPWORDS = {"a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "anything", "are", "around", "as", "at", "be", "been", "being", "but", "by", "can", "could", "did", "do", "does", "doing", "don't", "for", "from", "get", "give", "go", "going", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "it", "it's", "its", "just", "kind", "let", "let's", "like", "maybe", "me", "might", "more", "most", "much", "my", "myself", "need", "no", "nor", "not", "now", "of", "off", "on", "one", "only", "or", "other", "our", "out", "over", "please", "pretty", "quite", "rather", "really", "recommend", "recommendation", "recommendations", "right", "see", "seen", "she", "should", "show", "so", "some", "something", "somewhat", "sort", "such", "suggest", "suggestion", "suggestions", "than", "that", "that's", "the", "their", "them", "then", "there", "these", "they", "thing", "things", "think", "this", "those", "through", "to", "tonight", "today", "too", "try", "up", "us", "very", "want", "wanna", "watch", "watching", "was", "way", "we", "we'd", "well", "were", "what", "whatever", "when", "where", "which", "while", "who", "why", "will", "with", "would", "yeah", "yes", "you", "your", "movie", "movies", "film", "films", "flick", "flicks", "pick", "picks", "option", "options", "cool", "nice", "good", "great", "best", "fun", "okay", "ok", "sure", "thanks", "thank", "hey", "hi", "hello", "lol", "bit", "little", "lot", "lots", "kinda", "sorta", "stuff", "prefer", "preferably", "perhaps", "feel", "feeling", "mood", "night", "evening", "weekend", "time", "tell", "find", "look", "looking", "search", "searching", "able", "make", "made", "ones", "one's", "list", "new", "next", "another", "else", "id", "im", "ive", "dont", "cant", "wont", "isnt", "arent", "thats", "whats", "lets", "u", "ur", "pls", "plz", "thx", "yea", "yep", "nope", "either", "something's", "anybody", "somebody", "anyone", "someone", "everyone", "nothing", "everything", "instead", "actually", "both", "same", "type", "genre", "genres", "era", "decade", "year", "years", "gets", "getting", "must", "needs", "needed", "set", "saw", "watched", "enjoy", "enjoyed", "love", "loved", "liked", "likes", "vibe", "vibes", "come", "came", "released", "release", "mean", "means", "meant", "guess", "suppose", "wondering", "wonder", "ideas", "idea", "can't", "cannot", "gonna", "gotta", "hmm", "umm", "uh", "alright", "onto", "there's", "here's", "it'd", "it'll", "you'd", "you're", "we're", "they're", "that'd", "whose"}
STOPWORDS |= {"haven't", "hasn't", "wasn't", "weren't", "couldn't", "wouldn't", "shouldn't", "didn't", "doesn't", "isn't", "aren't", "won't", "havent", "hasnt", "wasnt", "didnt", "doesnt", "couldnt", "wouldnt", "second", "thought", "thoughts", "scratch", "mind", "switch", "change", "swap", "additionally", "plus", "book", "books", "novel", "novels", "read", "reads", "series", "shows", "item", "items", "product", "products", "title", "titles", "already"}
STOPWORDS |= {
    "ideally", "story", "stories", "tale", "tales", "plot", "thinking", "whole", "older", "newer", "old", "recent",
    "earlier", "later", "old-fashioned", "classic", "classics", "modern", "kinda", "sounds", "sound", "would",
    # taste told about a title, and "different" alone: no description of a film to look for
    "hated", "hate", "disliked", "loathed", "stand", "fan", "enjoy", "adored", "different", "differently",
    # "something similar" asks for more of the same; it describes no film
    "similar", "alike",
}

# Chat filler: greetings, hedges, company and occasion ("heyy, help me pick a film", "me and my mates
# want...", "idk, whatever works tbh"). Unmarked, they describe no film; after a marker they may
# ("a film about friends", "about coming home"), so they only count as filler without one.
CHAT_FILLER = {
    "help", "helping", "idk", "dunno", "tbh", "ngl", "imo", "honestly", "literally", "basically", "bored", "hiya",
    "howdy", "sup", "yo", "cheers", "haha", "hehe", "omg", "ugh", "mmm", "whatcha", "gimme", "lemme", "y'know",
    "mates", "mate", "friends", "friend", "buddy", "buddies", "girlfriend", "boyfriend", "wife", "husband",
    "partner", "couch", "sofa", "popcorn", "wants", "wanting", "needing", "fancy", "fancying", "choose", "choosing",
    "decide", "deciding", "hoping", "hope", "perfect", "ideal", "awesome", "amazing", "lovely", "works", "work",
    "fine", "whichever", "anyway", "anyways", "though", "tho", "tho'", "okay", "alrighty", "yeah", "yup", "ya",
    "coming", "staying", "home", "later", "soon", "asap", "quick", "quickly", "random", "currently", "lately",
    "wondered", "reckon", "happy", "glad", "definitely", "totally", "absolutely", "probably", "possible",
    "possibly", "preference", "preferences", "particular", "specific", "got", "gotten", "offer", "offering",
}
_GREETING = re.compile(r"(?:h+e+y+|h+i+y*a*|h+e+l+o+|y+o+|s+u+p+|m+o+r+n+i+n+g*)")

# one-word negation cues: content after one of them in the same clause is refused, not wished for
_NEGATING = {cue[0] for cue in NEGATIONS if len(cue) == 1}
# every word of any negation cue ("steer", "clear", "of"): never content
_NEGATION_WORDS = {w for cue in NEGATIONS for w in cue}

_WISH_MARKERS = {"about", "where", "involving", "featuring", "based", "whose", "which", "set", "starring",
                 "plot", "story", "theme", "themes", "with", "like"}


# "ok, what about" / "how about" before what is proposed: not part of the wish ("ok what about music
# documentaries" was quoted whole in the reply's summary for the rest of the conversation)
_PROPOSAL = re.compile(
    r"^\W*(?:[\w']+\W+){0,3}?(?:what|how|wbu)\s+about\s+"
    # the request around a description: "I'd like a film where the bad guy wins" quotes "a film where ..."
    r"|^\W*(?:(?:hi|hey|hello|so|ok|okay|well)\W+)?(?:i'?d (?:like|love)|i (?:want|need)|i'?m (?:looking for|after)|"
    r"looking for|(?:can|could) you (?:suggest|recommend|find)(?: me)?|(?:please )?(?:recommend|suggest|find)(?: me)?|"
    r"give me|show me)\s+",
    re.IGNORECASE,
)


def wish(raw: str, tokens: list[Tok], consumed: set[int], mentions: list[Mention], *, understood: bool) -> str:
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
        if i not in covered and t.text not in STOPWORDS and re.fullmatch(r"[a-z][a-z'-]+", t.text)
        and t.text not in CONNECTORS and t.text not in BOUNDARIES and len(t.text) > 2
        and t.text not in _NEGATION_WORDS
    ]
    if not content or (len(content) < 2 and len(content[0].text) < 5):
        return ""
    first_content = tokens.index(content[0])
    clause = list(range(first_content))
    for k in range(len(clause) - 1, -1, -1):
        if tokens[clause[k]].text in BOUNDARIES:
            clause = clause[k + 1 :]
            break
    if any(tokens[i].text in _NEGATING for i in clause if i not in covered):
        return ""  # "nothing with subtitles": a refusal, never a description to look for
    last_content = tokens.index(content[-1])
    marked = _has_marker([t.text if i not in covered else "" for i, t in enumerate(tokens[:last_content])])
    if understood and not marked:
        return ""
    if not marked:
        content = [t for t in content if t.text not in CHAT_FILLER and not _GREETING.fullmatch(t.text)]
        if len(content) < 2:
            return ""
    text = re.sub(r"\s+", " ", raw.strip())
    return _wished_clauses(_PROPOSAL.sub("", text) or text)[:160]


# "to watch with my girlfriend": company, not a film with a girlfriend in it
_COMPANY_AFTER_WITH = {"my", "our", "his", "her", "their", "me", "us", "friends", "family", "someone", "somebody"}


def _has_marker(words: list[str]) -> bool:
    """Whether the words hold a marker of content ("about", "set in", "with a twist")."""
    return any(
        w in _WISH_MARKERS and not (w == "with" and k + 1 < len(words) and words[k + 1] in _COMPANY_AFTER_WITH)
        for k, w in enumerate(words)
    )


# a clause that complains or refuses ("too gory", "less blood", "nah, not so slow") names what to
# stay away from: looked for, its words would find just that
_COMPLAINT_WORDS = _NEGATING | {"too", "overly", "less", "fewer", "without"}
_CLAUSES = re.compile(r"\s*(?:[,;.!?]+|\b(?:but|though|although|however)\b)\s*", re.IGNORECASE)


def _complains(words: list[str]) -> bool:
    """Whether a clause's words complain or refuse: a cue among its first three ("nah, too gory")."""
    return any(w in _COMPLAINT_WORDS for w in words[:3])


def _wished_clauses(text: str) -> str:
    """The clauses of `text` that say what to look for: "too gory, something creepier but less
    blood" -> "something creepier"; '' when every clause complains or refuses."""
    kept = []
    for clause in _CLAUSES.split(text):
        words = re.findall(r"[\w'-]+", clause.lower())
        if _complains(words):
            continue
        marked = _has_marker(words)
        if any(w not in STOPWORDS and (marked or w not in CHAT_FILLER) for w in words):
            kept.append(clause)
    return ", ".join(kept)


# words a complaint uses that no item description answers: length, age, pace, how much, and
# words for parts of a film ("too long", "sad endings", "less heavy")
_NOT_DESCRIPTIVE = {
    "long", "longer", "short", "slow", "fast", "old", "new", "recent", "dated", "boring", "bad", "much", "many",
    "results", "options", "picks", "suggestions", "choices", "recommendations", "titles", "items", "saying",
    "heavy", "light", "serious", "ending", "endings", "scene", "scenes", "character", "characters", "parts",
    "bits", "moments", "plots", "acting", "runtime", "length", "hours", "minutes", "ones", "kind", "sort",
    "nah", "naw", "nope", "meh", "eh", "yikes", "way", "wait", "thanks", "problem", "worries", "idea", "clue",
    "famous", "popular", "known", "mainstream", "obvious", "common", "predictable", "cliche", "cliched",
    # what follows "not" about the person, not the film ("not interested in", "not bothered about")
    "interested", "bothered", "fussed", "keen", "yet", "rush", "spoiler", "spoilers", "english", "subtitled",
}


def complaint_tokens(text: str, tokens: list[Tok]) -> set[int]:
    """The tokens of the clauses of lower-cased `text` that complain or refuse ("too gory", "less
    blood", "nothing too long")."""
    out: set[int] = set()
    start = 0
    for end in [m.start() for m in _CLAUSES.finditer(text)] + [len(text)]:
        clause = [i for i, t in enumerate(tokens) if start <= t.start < end]
        start = end
        if _complains([tokens[i].text for i in clause]):
            out.update(clause)
    return out


def avoided(tokens: list[Tok], complaining: set[int], consumed: set[int], mentions: list[Mention]) -> str:
    """What the complaints and refusals (`complaining`: `complaint_tokens`) name that nothing else
    explained: "too gory, something creepier but less blood" -> "blood" (gory is a horror word), "no
    subtitles" -> "subtitles"; '' for "not too long" or "no horror" (a length, a genre)."""
    covered = set(consumed)
    for m in mentions:
        covered.update(range(m.first, m.last + 1))
    words: list[str] = []
    for i, t in enumerate(tokens):
        if t.text not in _AVOID_CUES or i not in complaining or cancelled_at(tokens, i):
            continue
        j = i + 1  # "too gory", "less blood", "no subtitles", "nothing with zombies", "without much talking"
        while j < len(tokens) and tokens[j].text in _AVOID_GAP:
            j += 1
        if tokens[j - 1].text == "heavy" and j > i + 1 and (
            j == len(tokens) or not tokens[j].text[0].isalpha() or tokens[j].text in _CLOSERS
        ):
            words.append("heavy")  # "anything less heavy?": the tone itself, not "heavy on the romance"
        while j < len(tokens) and _describes(tokens[j].text) and j not in covered:
            words.append(tokens[j].text)
            j += 1
    return " ".join(dict.fromkeys(words))[:80]


# the cues after which a word names what to have less of, and what may sit between ("no more ...")
_AVOID_CUES = {"too", "overly", "less", "fewer", "no", "nothing", "without", "not", "none"}
_CLOSERS = STOPWORDS - {"on", "with", "of", "in", "for", "at", "about", "into", "over"}  # "heavy please", not "heavy on"
_AVOID_GAP = {"too", "so", "very", "that", "much", "many", "more", "with", "any", "the", "a", "an", "of", "in", "lot",
              "lots", "overly", "all", "real", "actual", "kind", "type", "sort", "really", "excessive", "heavy"}


def _describes(word: str) -> bool:
    """Whether a word may describe what is in a film (not a filler, a cue, a length or an interjection)."""
    return (re.fullmatch(r"[a-z][a-z'-]+", word) is not None and len(word) > 2 and word not in STOPWORDS
            and word not in CHAT_FILLER and word not in _COMPLAINT_WORDS and word not in _NOT_DESCRIPTIVE
            and word not in _NEGATION_WORDS)

