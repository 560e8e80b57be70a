"""The words people use for genres and moods, mapped onto a catalog's own genre names.

One table for the whole package: a surface form ("gangster", "tearjerker", "sci fi", "spooky")
-> generic genre keys. A form with one key *is* that genre ("something funny" asks for Comedy);
a form with several is a soft mood ("feel-good": any of Comedy, Children's, Musical). The
catalog's own genre names (and their plurals) are always understood too, so a book or product
catalog works without touching this file; keys a catalog lacks simply match nothing there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

# key -> surface forms (lowercase; plurals of one-word forms are added automatically)
_GENRE_FORMS: dict[str, tuple[str, ...]] = {
    "action": (
        "action", "action-packed", "action packed", "actioner", "shoot-em-up", "shoot em up", "shootout",
        "explosions", "explosive", "martial arts", "kung fu", "car chase", "car chases", "fight scenes", "blockbuster",
        "adrenaline", "stunts", "fight scenes", "fistfights", "gunfights", "gunfight", "high-octane", "chases",
        "punch-up", "brawls", "hard-hitting",
    ),
    "adventure": (
        "adventure", "adventurous", "quest", "treasure hunt", "swashbuckler", "swashbuckling", "expedition",
        "jungle", "pirate", "pirates", "treasure", "explorers", "exploration", "voyage", "odyssey",
        "globe-trotting", "escapade", "escapades",
    ),
    "animation": (
        "animation", "animated", "cartoon", "anime", "pixar", "stop-motion", "stop motion", "claymation",
        "computer-animated", "hand-drawn", "toon", "toons", "cgi", "animated feature",
    ),
    "children's": (
        "children's", "childrens", "children", "childrens'", "kids", "kid", "kids'", "kiddie", "kiddy",
        "family", "family-friendly", "family friendly", "kid-friendly", "kid friendly", "for the whole family",
        "little ones", "toddlers", "my kids", "the kids", "the children", "kiddos", "youngsters",
        "all ages", "g-rated", "family-oriented", "year old", "year-old", "years old", "year olds", "year-olds",
        "my son", "my daughter", "my little one", "a child", "young children", "grandkids", "nephew", "niece",
        "disney", "disney movie", "disney movies", "dreamworks", "toddler", "little kids", "little one", "young ones",
        "grandchildren", "grandson", "granddaughter", "our son", "our daughter", "our kids", "nephews", "nieces",
        "preschool", "preschooler", "preschoolers", "tween", "tweens", "child-friendly", "children-friendly",
        "young viewers", "young audience", "pg-rated", "rated g",
    ),
    "comedy": (
        "comedy", "comedic", "jokes", "joke", "jokey", "gags", "funny", "funnier", "funniest", "hilarious", "humor", "humour", "humorous", "laugh",
        "laughs", "laughing", "make me laugh", "silly", "goofy", "spoof", "parody", "slapstick", "satire",
        "satirical", "witty", "amusing", "comical", "comic", "laugh-out-loud", "giggles", "screwball",
        "hilarity", "humourous", "rib-tickling", "farce", "madcap", "wacky", "zany", "crack me up", "comedie", "comdey", "commedy", "funy", "fuuny", "funnny", "funnie",
    ),
    "crime": (
        "crime", "criminal", "criminals", "gangster", "gangsters", "mob", "mobster", "mafia", "heist", "heists",
        "cop", "cops", "police", "organized crime", "organised crime", "drug lord", "hitman", "robbery",
        "bank robbery", "con artist", "crooks", "gangland", "underworld", "thieves", "thief", "robbers",
        "caper", "capers", "cops and robbers", "mobsters", "the mob", "hitmen", "cartel", "drug dealers",
    ),
    "documentary": (
        "documentary", "documentaries", "doc", "docs", "docu", "docuseries", "non-fiction", "nonfiction",
        "real events", "true-life", "factual", "nature film",
    ),
    "drama": (
        "drama", "dramatic", "dramas", "tearjerker", "tear-jerker", "tear jerker", "weepie", "weepy",
        "melodrama", "melodramatic", "character study", "serious", "draama", "biopic", "biopics",
        "biographical", "coming-of-age", "coming of age", "slice of life", "character-driven", "period piece",
    ),
    "fantasy": (
        "fantasy", "fantastical", "magic", "magical", "wizard", "wizards", "dragon", "dragons", "fairy tale",
        "fairytale", "fairy-tale", "sword and sorcery", "mythical", "elves", "sorcery", "sorcerers", "witches",
        "witch", "fairies", "mythology", "myths", "enchanted", "knights", "otherworldly",
    ),
    "film-noir": ("film-noir", "film noir", "noir", "noirs", "neo-noir", "neo noir", "hardboiled", "hard-boiled",
                  "femme fatale", "private eye", "gumshoe"),
    "horror": (
        "horror", "horrors", "scary", "scarier", "scariest", "spooky", "creepy", "frightening", "terrifying",
        "slasher", "zombie", "zombies", "vampire", "vampires", "haunted", "ghost story", "gory", "gore",
        "scare", "scares", "chilling", "horrer", "horor", "spine-chilling", "blood-curdling", "nightmare",
        "fright", "frights", "frightful", "shocker", "creature feature", "monster movie", "monsters", "haunting",
        "haunted house", "ghosts", "demons", "demonic", "possession", "exorcism", "gruesome", "terror",
        "nightmares", "spine-tingling", "chiller", "chillers", "jump scares", "jump scare", "bloody",
        # wanting the fear, not feeling it ("i'm scared" is a feeling: cues.OWN_FEELING)
        "be scared", "get scared", "scared out of my mind", "scared out of my wits", "scared witless",
        "scared silly", "scared stiff", "scare the pants off", "scare the hell out of",
        # the occasion names the genre (the film "Halloween" is found as a title first)
        "halloween movie", "halloween movies", "halloween night", "for halloween", "halloween party",
        "halloween vibes", "spooky season",
    ),
    "musical": (
        "musical", "singing", "songs", "song and dance", "sing-along", "singalong", "broadway", "show tunes",
        "dancing", "sing-alongs", "dance numbers", "show tune", "sing",
    ),
    "mystery": (
        "mystery", "mysteries", "mysterious", "whodunit", "whodunnit", "who-done-it", "detective", "detectives",
        "sleuth", "sleuths", "puzzle", "puzzling", "murder mystery", "mistery", "detective story",
        "private investigator", "crime-solving", "enigma", "clues", "investigation",
    ),
    "romance": (
        "romance", "romantic", "romances", "love story", "love stories", "falling in love", "chick flick", "chick flicks", "chick-flick", "chick-flicks",
        "lovey-dovey", "love affair", "romace", "romanse", "rom", "rom stuff", "sappy", "soppy", "mushy", "love stuff", "love interest", "love interests", "kissing", "kisses", "smooching", "lovers",
        "love triangle", "courtship", "wedding", "weddings", "love stories",
    ),
    "sci-fi": (
        "sci-fi", "scifi", "sci fi", "science fiction", "science-fiction", "space", "outer space", "aliens",
        "robots", "robot", "futuristic", "time travel", "time-travel", "dystopian", "dystopia",
        "cyberpunk", "spaceship", "spaceships", "space opera", "extraterrestrial", "syfy", "sifi", "scyfy",
        "space travel", "intergalactic", "galactic", "alien invasion", "androids", "cyborgs", "post-apocalyptic",
        "apocalypse", "time machine", "interstellar",
    ),
    "thriller": (
        "thriller", "thrillers", "suspense", "suspenseful", "tense", "gripping", "nail-biter", "nail biter",
        "edge of my seat", "edge of your seat", "edge-of-your-seat", "psychological", "thrilling", "triller",
        "thriler", "cat and mouse", "nail-biting", "nailbiter", "tension", "heart-pounding", "spy", "spies",
        "espionage", "conspiracy", "serial killer", "heart pounding", "on the edge",
    ),
    "war": (
        "war", "wartime", "war-time", "world war", "ww2", "wwii", "ww1", "wwi", "vietnam", "military", "soldiers",
        "soldier", "battlefield", "battle", "battles", "combat", "army", "trenches", "troops", "navy",
        "air force", "submarine", "d-day", "world war ii", "world war two", "second world war", "first world war",
        "great war", "civil war",
    ),
    "western": (
        "western", "westerns", "cowboy", "cowboys", "wild west", "gunslinger", "gunslingers", "outlaw", "outlaws",
        "frontier", "spaghetti western", "old west", "the old west", "ranch", "sheriff", "sheriffs", "saloon",
        "horseback",
    ),
}

# Soft wishes: any of these genre keys (the first is the one ruled out by "not too <mood>").
_MOOD_FORMS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("comedy", "children's", "musical", "romance"): (
        "feel-good", "feel good", "feelgood", "uplifting", "heartwarming", "heart-warming", "wholesome",
        "cheerful", "cheery", "upbeat", "cozy", "cosy", "cheer me up", "cheers me up", "pick-me-up", "pick me up",
    ),
    ("comedy", "animation", "children's"): ("light", "lighter", "lighthearted", "light-hearted", "easy-going", "fun",
                                            "cute", "breezy", "easy watching", "easy to watch"),
    ("action", "adventure", "thriller"): ("exciting", "excitement", "thrill", "thrills", "fast-paced", "fast paced"),
    ("crime", "film-noir", "thriller", "horror"): ("dark", "darker", "grim", "bleak", "disturbing", "sinister"),
    ("crime", "war", "drama"): ("gritty", "brutal", "violent", "violence"),
    ("adventure", "war", "fantasy"): ("epic", "sweeping"),
    ("romance", "comedy"): ("date night", "date-night", "date movie", "valentine's", "valentines", "valentine",
                            "valentine's day", "valentines day", "anniversary"),
    ("mystery", "thriller"): ("keeps me guessing", "keep me guessing", "keeps you guessing", "guessing till the end",
                              "twisty", "twist", "twists", "plot twist", "plot twists"),
    ("thriller", "action"): ("heart racing", "heart-racing"),
    # a film that makes you cry is a drama (one genre: read as the genre itself); a romance that does
    # is mostly tagged drama too, and as a mood of either this showed pure romances for a drama
    ("drama",): ("makes me cry", "make me cry", "cry", "crying", "a good cry", "sob", "tissues", "sad", "emotional", "moving",
                 "touching", "heartbreaking", "bittersweet", "tragic"),
    ("thriller", "action", "war"): ("intense", "nerve-wracking", "high-stakes"),
    ("sci-fi", "mystery", "thriller"): ("mind-bending", "mind bending", "trippy", "cerebral"),
    ("drama", "documentary", "war"): ("thought-provoking", "makes me think", "make me think", "thoughtful", "deep", "profound", "meaningful"),
}


# One word for several genres that must all hold ("romcom" is a romance and a comedy).
_COMPOUND_FORMS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("romance", "comedy"): ("romcom", "rom-com", "romcoms", "rom-coms", "rom com"),
    ("comedy", "drama"): ("dramedy", "dramedies"),
    ("action", "comedy"): ("action comedy", "action-comedy"),
    ("comedy", "horror"): ("horror comedy", "horror-comedy"),
    ("animation", "children's"): ("kids cartoon", "kids' cartoon", "children's cartoon"),
}


@dataclass(frozen=True)
class Term:
    """What a surface form means: one genre key (a hard wish), several that must all hold (a
    compound such as "romcom"), or several of which any will do (a soft mood)."""

    form: str
    keys: tuple[str, ...]
    compound: bool = False

    @property
    def is_mood(self) -> bool:
        """Whether this word stands for a mood (several genres at once), not one genre."""
        return len(self.keys) > 1 and not self.compound


def squash(text: str) -> str:
    """'Sci-Fi' -> 'scifi', "Children's" -> 'childrens': the form genre names are compared in."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def plurals(form: str) -> tuple[str, ...]:
    """'comedy' -> ('comedy', 'comedies'); multi-word and already-plural forms stay as they are."""
    if " " in form or form.endswith("s") or not form[-1:].isalpha():
        return (form,)
    if form.endswith("y") and form[-2:-1] not in "aeiou":
        return (form, form[:-1] + "ies")
    if form.endswith(("ch", "sh", "x")):
        return (form, form + "es")
    return (form, form + "s")


@lru_cache(maxsize=16)
def terms_for(vocabulary: tuple[str, ...]) -> dict[str, Term]:
    """Every surface form this catalog understands -> its term (generic forms + the catalog's own names)."""
    table: dict[str, Term] = {}
    for key, forms in _GENRE_FORMS.items():
        for form in forms:
            for variant in plurals(form):
                table.setdefault(variant, Term(variant, (key,)))
    for keys, forms in _COMPOUND_FORMS.items():
        for form in forms:
            table.setdefault(form, Term(form, keys, compound=True))
    for keys, forms in _MOOD_FORMS.items():
        for form in forms:
            table.setdefault(form, Term(form, keys))
    for name in vocabulary:
        lowered = name.lower()
        for variant in {*plurals(lowered), lowered.replace("-", " "), lowered.replace("-", "")}:
            table[variant] = Term(variant, (lowered,))
    # "edge-of-my-seat" and "edge of my seat", "song-and-dance" and "song and dance" are one form
    for form, term in list(table.items()):
        for variant in (form.replace(" ", "-"), form.replace("-", " ")):
            table.setdefault(variant, Term(variant, term.keys, term.compound))
    return table


@lru_cache(maxsize=16)
def genre_name_forms(vocabulary: tuple[str, ...]) -> tuple[str, ...]:
    """A catalog's own genre names as people type them ("sci-fi", "sci fi"), without "unknown"."""
    forms = {n.lower() for n in vocabulary} | {n.lower().replace("-", " ") for n in vocabulary}
    return tuple(sorted(f for f in forms if f and f != "unknown"))


def catalog_genres(keys: Iterable[str], vocabulary: Sequence[str]) -> tuple[str, ...]:
    """Generic keys -> the catalog's genre names, in order; keys the catalog lacks are dropped."""
    by_squash = {squash(name): name for name in vocabulary}
    out: list[str] = []
    for key in keys:
        name = by_squash.get(squash(key))
        if name is not None and name not in out:
            out.append(name)
    return tuple(out)


def genre_for_word(word: str, vocabulary: Sequence[str]) -> tuple[str, ...]:
    """One word or phrase the NLU labelled a genre or mood -> catalog genres (empty if unknown)."""
    cleaned = re.sub(r"\s+", " ", word.lower().strip(" .,!?\"'"))
    term = terms_for(tuple(vocabulary)).get(cleaned)
    if term is None and cleaned.endswith("s"):
        term = terms_for(tuple(vocabulary)).get(cleaned[:-1])
    return catalog_genres(term.keys, vocabulary) if term is not None else ()
