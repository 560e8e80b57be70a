"""How a casual chat user words each act: English typed on a phone, mostly lower case, sometimes a
long rambling sentence with a reason ("my girlfriend is coming over so ..."), sometimes two lazy
words; hedges ("i guess", "idk", "maybe"), "tbh", "pls", british and american spelling (favourite,
mates, mum / mom), a few common typos ("comdey", "thriler", "documentery", "mistery", "horor"),
genre words as nouns, adjectives and slang, questions ("do you have any ...?") and, rarely, an emoji.

Written by someone who never read the bot's vocabulary, its training data or the other English
sets (`phrasings.py` past its header, `phrasings_heldout.py`), so `simulate --phrasings casual`
shows the bot's developers where it misreads ordinary chat. Same acts and same rules as the other
sets: every statement is true of the hidden target, and no utterance names the target's title.

Truth rules this set keeps: a genre act names exactly that genre (no sub-genre that the target may
lack, no "romcom" that would add a second genre); an exclude act only refuses; an add_genre act
adds on top of what was said ("... too", "... as well", "also ..."); an era act states a concrete
window in numbers or decade names. Era bounds are inclusive and the user only says a bound the
target is strictly inside (`acts.Era`), so "before 1990" and "1990 or earlier" are both true.
Words that would suggest a genre or an era (funny, scary, kids, family, love, old, new, classic)
stay out of every template that is not about that genre or era.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from recommender.eval.simulator.acts import Act, Era
from recommender.eval.simulator.phrasings_casual_templates import TEMPLATES
from recommender.eval.simulator.render import part_name, render_from

__all__ = ["GENRE_WORDS", "TEMPLATES", "GenreWords", "decade_names", "era_phrases", "render"]


@dataclass(frozen=True)
class GenreWords:
    """`nouns` are whole noun phrases, article included ("i'm in the mood for {noun}": a comedy /
    something funny / some sci-fi); `predicates` follow "it's" / "make it" ("make it {pred} too":
    funny / a comedy / comedic); `masses` are plural or uncountable and what one turns down
    ("pass on {mass}", "{mass}? nah": comedies / funny stuff)."""

    nouns: tuple[str, ...]
    predicates: tuple[str, ...]
    masses: tuple[str, ...]


GENRE_WORDS: dict[str, GenreWords] = {
    "Action": GenreWords(
        ("an action movie", "an action flick", "something action packed", "an action film", "some action",
         "something with lots of fights and explosions"),
        ("an action movie", "action-packed", "full of action", "an action one", "action-y",
         "full of fights and explosions"),
        ("action movies", "action", "action flicks", "action stuff", "shootouts and explosions"),
    ),
    "Adventure": GenreWords(
        ("an adventure movie", "an adventure", "something adventurous", "an adventure flick", "a big adventure",
         "an adventure film"),
        ("an adventure", "adventurous", "an adventure movie", "a proper adventure", "adventure-y"),
        ("adventure movies", "adventure", "adventure films", "adventure stuff", "adventurous stuff"),
    ),
    "Animation": GenreWords(
        ("an animated movie", "a cartoon", "an animated film", "something animated", "some animation",
         "an animated one"),
        ("animated", "a cartoon", "an animated one", "an animated film", "animated, like a cartoon"),
        ("cartoons", "animated movies", "animation", "animated stuff", "animated films"),
    ),
    "Children's": GenreWords(
        ("a kids movie", "a family film", "something for the kids", "a children's film", "something kid-friendly",
         "a childrens movie"),
        ("kid-friendly", "a kids movie", "suitable for children", "a family film", "ok for the kids",
         "a childrens movie"),
        ("kids movies", "children's films", "kiddie stuff", "family films", "kids stuff"),
    ),
    "Comedy": GenreWords(
        ("a comedy", "a comdey", "something funny", "a funny movie", "a comedy flick", "a good laugh"),
        ("funny", "a comedy", "humorous", "comedic", "a comdey"),
        ("comedies", "comedy", "funny stuff", "comdeys", "comedy stuff"),
    ),
    "Crime": GenreWords(
        ("a crime movie", "a crime flick", "something about criminals", "a crime film", "a crime story",
         "a cops and robbers movie"),
        ("a crime movie", "about crime", "crime-y", "a crime film", "about criminals"),
        ("crime movies", "crime", "crime stuff", "crime flicks", "crime films", "cops and robbers stuff"),
    ),
    "Documentary": GenreWords(
        ("a documentary", "a doc", "a documentery", "something non-fiction", "a documentary film", "a docu"),
        ("a documentary", "a doc", "non-fiction", "a documentery", "a real documentary"),
        ("documentaries", "docs", "docus", "documentary stuff", "non-fiction films"),
    ),
    "Drama": GenreWords(
        ("a drama", "something dramatic", "a serious drama", "a drama film", "a proper drama", "a drama flick"),
        ("a drama", "dramatic", "a proper drama", "serious and dramatic", "drama-heavy"),
        ("dramas", "drama", "drama stuff", "dramatic stuff", "drama films"),
    ),
    "Fantasy": GenreWords(
        ("a fantasy", "a fantasy movie", "something with magic", "a fantasy film", "something magical",
         "a fantasy flick"),
        ("a fantasy", "magical", "fantastical", "a fantasy film", "fantasy-ish"),
        ("fantasy", "fantasy movies", "fantasy stuff", "fantasy films", "magical stuff"),
    ),
    "Film-Noir": GenreWords(
        ("a film noir", "a noir", "something noir", "a noir flick", "a noir film", "a film-noir",
         "something hardboiled and moody"),
        ("noir", "a film noir", "a noir", "proper noir", "film-noir", "hardboiled"),
        ("noir", "film noir", "noirs", "noir films", "noir stuff", "hardboiled stuff"),
    ),
    "Horror": GenreWords(
        ("a horror movie", "a horror flick", "something scary", "a scary movie", "some horror", "a horor film"),
        ("scary", "a horror movie", "a horror", "horror", "properly scary"),
        ("horror", "horror movies", "scary stuff", "horror flicks", "scary movies"),
    ),
    "Musical": GenreWords(
        ("a musical", "a musical film", "something with singing and dancing", "a song and dance movie",
         "a movie musical", "a singalong movie"),
        ("a musical", "full of songs", "a song and dance one", "a proper musical", "a movie musical"),
        ("musicals", "singing and dancing", "song and dance stuff", "musical films", "singalong stuff"),
    ),
    "Mystery": GenreWords(
        ("a mystery", "a whodunnit", "a mystery movie", "a mystery flick", "a mistery film", "something mysterious"),
        ("a mystery", "a whodunnit", "mysterious", "a bit of a mystery", "a proper mystery"),
        ("mysteries", "whodunnits", "mystery", "mystery stuff", "mystery films"),
    ),
    "Romance": GenreWords(
        ("a romance", "a romantic movie", "a love story", "something romantic", "a romance film",
         "a romantic flick"),
        ("romantic", "a romance", "a love story", "lovey-dovey", "a bit romantic"),
        ("romance", "romantic stuff", "love stories", "romances", "lovey-dovey stuff"),
    ),
    "Sci-Fi": GenreWords(
        ("a sci-fi movie", "some sci-fi", "a science fiction film", "a scifi flick", "something sci fi", "a sci-fi"),
        ("sci-fi", "science fiction", "a sci-fi movie", "scifi", "sci-fi-ish"),
        ("sci-fi", "science fiction", "scifi", "sci-fi stuff", "sci fi movies"),
    ),
    "Thriller": GenreWords(
        ("a thriller", "a thriler", "something suspenseful", "a tense thriller", "a nail-biter",
         "a thriller movie"),
        ("a thriller", "suspenseful", "thrilling", "edge-of-your-seat", "a thriler"),
        ("thrillers", "thriller", "suspense stuff", "thrilers", "thriller stuff"),
    ),
    "War": GenreWords(
        ("a war movie", "a war film", "a war flick", "something about a war", "a war story", "a battle movie"),
        ("a war movie", "about war", "set during a war", "a war film", "war-themed", "about soldiers in battle"),
        ("war movies", "war", "war films", "war stuff", "war flicks", "battle movies"),
    ),
    "Western": GenreWords(
        ("a western", "a cowboy movie", "a western film", "a wild west movie", "a cowboy flick", "a western movie"),
        ("a western", "set in the wild west", "a cowboy movie", "full of cowboys", "a proper western"),
        ("westerns", "cowboy movies", "cowboy stuff", "wild west stuff", "western movies"),
    ),
}


_DECADE_WORDS = {1920: "twenties", 1930: "thirties", 1940: "forties", 1950: "fifties", 1960: "sixties",
                 1970: "seventies", 1980: "eighties", 1990: "nineties"}


def decade_names(decade: int) -> tuple[str, ...]:
    """'the 80s', 'the 80's', "the '80s", 'the eighties', 'the 1980s', '80s', 'eighties' for 1980;
    only 'the 1980s' and '1980s' outside 1920-1990 (and 'the noughties' for 2000)."""
    names = [f"the {decade}s", f"{decade}s"]
    if decade in _DECADE_WORDS:
        short, word = f"{decade % 100:02d}", _DECADE_WORDS[decade]
        names += [f"the {short}s", f"the {short}'s", f"the '{short}s", f"the {word}", f"{short}s", word]
    if decade == 2000:
        names.append("the noughties")
    return tuple(names)


def _part_names(era: Era) -> tuple[str, ...]:
    """'the late 80s', 'late eighties', 'the end of the 80s' ... for a part-of-decade window."""
    part = part_name(era)
    short = list(dict.fromkeys(n.removeprefix("the ") for n in decade_names(era.a)))
    if part == "early":
        forms = [f"the early {n}" for n in short] + [f"early {n}" for n in short]
        forms += [f"the start of the {n}" for n in short[:1]] + [f"the first half of the {n}" for n in short[-1:]]
    elif part == "mid":
        forms = [f"the mid {n}" for n in short] + [f"mid-{n}" for n in short]
        forms += [f"the middle of the {n}" for n in short[:1]]
    else:
        forms = [f"the late {n}" for n in short] + [f"late {n}" for n in short]
        forms += [f"the end of the {n}" for n in short[:1]] + [f"the tail end of the {n}" for n in short[-1:]]
    return tuple(forms)


def _two_digits(year: int) -> str:
    return f"{year % 100:02d}"


def era_phrases(era: Era, rng: random.Random) -> dict[str, str]:
    """The window twice: {when} after a noun or "be" ("from the 80s", "made no later than 1990",
    "released between 1985 and 1995", "from around 1990") and {bare} on its own ("the late
    eighties", "pre-1990", "1985 or later", "between 85 and 95", "1990ish")."""
    a, b = era.a, era.b
    if era.form == "decade":
        bare = rng.choice(decade_names(a))
        decade = bare if bare.startswith("the ") else f"the {bare}"
        when = rng.choice((f"from {decade}", f"made in {decade}", f"released in {decade}", f"made during {decade}"))
    elif era.form == "part":
        bare = rng.choice(_part_names(era))
        part = bare if bare.startswith("the ") else f"the {bare}"
        when = rng.choice((f"from {part}", f"made in {part}", f"released in {part}"))
    elif era.form == "before":
        bare = rng.choice((f"before {a}", f"pre-{a}", f"{a} or earlier", f"no later than {a}", f"up to {a}",
                           f"{a} at the latest"))
        when = rng.choice((f"from before {a}", f"made before {a}", f"released {a} or earlier",
                           f"made no later than {a}", f"from {a} or earlier", f"made pre-{a}"))
    elif era.form == "after":
        bare = rng.choice((f"after {a}", f"post-{a}", f"{a} or later", f"{a} onwards", f"no earlier than {a}",
                           f"since {a}"))
        when = rng.choice((f"from after {a}", f"made after {a}", f"released {a} or later", f"from {a} onwards",
                           f"made no earlier than {a}", f"made post-{a}"))
    elif era.form == "between":
        assert b is not None
        bares = [f"between {a} and {b}", f"{a} to {b}", f"{a}-{b}", f"anywhere from {a} to {b}"]
        whens = [f"made between {a} and {b}", f"from between {a} and {b}", f"released somewhere between {a} and {b}",
                 f"from {a} to {b}"]
        if a >= 1950 and b <= 1999:  # "'65 to '75": the apostrophe says they are years
            bares.append(f"'{_two_digits(a)} to '{_two_digits(b)}")
        if a >= 1970 and b <= 1999:  # "85-95" reads as years only late in the century
            bares += [f"between {_two_digits(a)} and {_two_digits(b)}", f"{_two_digits(a)}-{_two_digits(b)}"]
            whens.append(f"made between {_two_digits(a)} and {_two_digits(b)}")
        bare, when = rng.choice(bares), rng.choice(whens)
    else:
        bare = rng.choice((f"around {a}", f"{a}ish", f"circa {a}", f"roughly {a}", f"{a} or so",
                           f"{a} give or take", f"give or take {a}", f"somewhere around {a}"))
        when = rng.choice((f"from around {a}", f"made around {a}", f"from {a} or thereabouts", f"from about {a}",
                           f"from {a}-ish", f"made circa {a}", f"from {a}, give or take a few years"))
    return {"when": when, "bare": bare}


def _genre_values(genre: str, rng: random.Random) -> dict[str, str]:
    words = GENRE_WORDS[genre]
    return {"noun": rng.choice(words.nouns), "pred": rng.choice(words.predicates), "mass": rng.choice(words.masses)}


def render(act: Act, rng: random.Random, title: str = "", attempts: int = 50) -> str:
    """One casual English wording of `act`, chosen at random, that does not leak `title`."""
    return render_from(act, rng, TEMPLATES, _genre_values, era_phrases, title=title, attempts=attempts,
                       wording="casual wording")
