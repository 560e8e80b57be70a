"""How the simulated user words each act: many templates per act, many words per genre.

Written independently of the bot's training data (never copied from data/nlu or tests/stories),
so the simulator measures whether the bot generalises rather than whether it remembers. Every
utterance passes the leakage check (`render.py`): the target's normalised title never appears in it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from recommender.eval.simulator import phrasings_casual, phrasings_heldout, phrasings_zh
from recommender.eval.simulator.acts import Act, Era
from recommender.eval.simulator.catalog import SimulatorError
from recommender.eval.simulator.render import LeakageError, leaks, part_name, render_from

# LeakageError and leaks are re-exported: `render` raises the one, simulator/dialogue.py imports the other here
__all__ = ["GENRE_WORDS", "PHRASING_SETS", "TEMPLATES", "GenreWords", "LeakageError", "decade_names", "era_phrases",
           "leaks", "render", "renderer"]


@dataclass(frozen=True)
class GenreWords:
    """`nouns` follow "I'm in the mood for", `predicates` follow "it should be", `masses` follow
    "no ... please" / "nothing with"."""

    nouns: tuple[str, ...]
    predicates: tuple[str, ...]
    masses: tuple[str, ...]


GENRE_WORDS: dict[str, GenreWords] = {
    "Action": GenreWords(
        ("an action movie", "action", "something action-packed", "an action flick", "some action"),
        ("an action movie", "action-packed", "full of action", "an action film"),
        ("action", "action movies", "action flicks", "shoot-em-ups"),
    ),
    "Adventure": GenreWords(
        ("an adventure", "an adventure movie", "something adventurous", "an adventure film", "a quest movie"),
        ("an adventure", "adventurous", "an adventure film", "an adventure story"),
        ("adventure", "adventure films", "adventures"),
    ),
    "Animation": GenreWords(
        ("an animated movie", "a cartoon", "something animated", "animation", "an animated film"),
        ("animated", "a cartoon", "an animation", "an animated film"),
        ("animation", "cartoons", "animated movies"),
    ),
    "Children's": GenreWords(
        ("a kids' movie", "a family film", "something for the kids", "a children's film", "something family-friendly"),
        ("a kids' movie", "family-friendly", "for children", "a family film", "suitable for kids"),
        ("kids' stuff", "children's movies", "family films", "kids' movies"),
    ),
    "Comedy": GenreWords(
        ("a comedy", "comedies", "something funny", "a laugh", "a funny movie", "something that makes me laugh"),
        ("a comedy", "funny", "comedic", "a bit funny"),
        ("comedy", "comedies", "funny stuff", "jokes"),
    ),
    "Crime": GenreWords(
        ("a crime movie", "crime", "a gangster film", "a heist", "a mob movie", "a crime story"),
        ("a crime movie", "about crime", "a gangster film", "a heist movie"),
        ("crime", "gangsters", "heists", "crime stories"),
    ),
    "Documentary": GenreWords(
        ("a documentary", "a doc", "documentaries", "a nonfiction film", "a real-life documentary"),
        ("a documentary", "a doc", "non-fiction", "a true documentary"),
        ("documentaries", "docs", "nonfiction"),
    ),
    "Drama": GenreWords(
        ("a drama", "dramas", "something dramatic", "a serious film", "a good drama"),
        ("a drama", "dramatic", "serious", "a drama film"),
        ("drama", "dramas", "serious stuff"),
    ),
    "Fantasy": GenreWords(
        ("fantasy", "a fantasy movie", "something magical", "a fairy tale", "a fantasy film"),
        ("fantasy", "magical", "a fantasy film", "a fairy tale"),
        ("fantasy", "magic", "wizards and dragons", "fairy tales"),
    ),
    "Film-Noir": GenreWords(
        ("noir", "a film noir", "a noir", "something noirish", "a classic noir"),
        ("noir", "a film noir", "noirish", "a noir"),
        ("noir", "film noir", "noirs"),
    ),
    "Horror": GenreWords(
        ("a horror movie", "horror", "something scary", "a scary movie", "a fright flick"),
        ("horror", "scary", "a horror film", "creepy"),
        ("horror", "scary stuff", "horror movies", "gore"),
    ),
    "Musical": GenreWords(
        ("a musical", "something with singing", "a song-and-dance movie", "musicals", "a movie musical"),
        ("a musical", "musical", "full of songs", "something with singing"),
        ("musicals", "singing", "song and dance"),
    ),
    "Mystery": GenreWords(
        ("a mystery", "a whodunit", "something mysterious", "a detective story", "a mystery movie"),
        ("a mystery", "mysterious", "a whodunit", "a detective story"),
        ("mystery", "mysteries", "whodunits", "detective stories"),
    ),
    "Romance": GenreWords(
        ("a romance", "something romantic", "a love story", "romantic movies", "a romantic film"),
        ("romantic", "a romance", "a love story", "a romantic film"),
        ("romance", "romantic stuff", "love stories", "kissing"),
    ),
    "Sci-Fi": GenreWords(
        ("sci-fi", "science fiction", "something set in space", "a sci-fi movie", "a science-fiction film",
         "something futuristic"),
        ("sci-fi", "science fiction", "set in space", "futuristic"),
        ("sci-fi", "science fiction", "space stuff", "aliens"),
    ),
    "Thriller": GenreWords(
        ("a thriller", "something suspenseful", "thrillers", "an edge-of-my-seat film", "a tense thriller"),
        ("a thriller", "suspenseful", "thrilling", "tense"),
        ("thrillers", "suspense", "thriller stuff"),
    ),
    "War": GenreWords(
        ("a war movie", "a war film", "something about war", "a war epic", "a battle movie"),
        ("a war film", "about war", "set during a war", "a war movie"),
        ("war", "war movies", "battles", "soldiers"),
    ),
    "Western": GenreWords(
        ("a western", "westerns", "a cowboy movie", "something with cowboys", "a wild west film"),
        ("a western", "set in the wild west", "a cowboy film", "a western movie"),
        ("westerns", "cowboys", "cowboy stuff"),
    ),
}

# Placeholders: {noun} {pred} {mass} (a genre), {from} {in} {bare} (a time window).
TEMPLATES: dict[str, tuple[str, ...]] = {
    "opener": (
        "what should I watch tonight?", "recommend me a movie", "any suggestions?", "I need something to watch",
        "help me pick a film", "I'm bored, what's good?", "suggest something", "what's a good movie?",
        "movie night, ideas?",
    ),
    "genre": (
        "I'm in the mood for {noun}", "recommend me {noun}", "I'd like to watch {noun}", "looking for {noun}",
        "show me {noun}", "find me {noun}", "how about {noun}?", "I feel like {noun}", "{noun} tonight, please",
        "can you suggest {noun}?", "I want {noun}",
    ),
    "add_genre": (
        "it should also be {pred}", "make it {pred} too", "it has to be {pred} as well", "also {pred}, please",
        "can it also be {pred}?", "ideally {pred} as well", "and it should be {pred}", "preferably {pred} too",
        "with some {mass} in it", "throw in some {mass}", "mix in some {mass} too", "also, some {mass} would be nice",
    ),
    "era": (
        "something {from}", "a film {from}", "it should be {from}", "ideally {from}", "made {in}",
        "released {in}", "only stuff {from}", "{bare} would be great", "how about {bare}?",
        "I'd prefer something {from}", "let's stick to {bare}",
    ),
    "exclude": (
        "no {mass} please", "nothing with {mass}", "anything but {mass}", "not {pred}", "I don't want {mass}",
        "skip the {mass}", "no more {mass}", "I'm not into {mass}", "please leave out {mass}",
        "it shouldn't be {pred}",
    ),
    "older": (
        "something older", "older ones please", "go back further in time", "older films", "a bit older",
        "earlier than these", "these are too recent", "anything from before these?", "can you go older?",
    ),
    "newer": (
        "a bit newer", "something more recent", "newer ones", "too old, something newer", "more recent please",
        "later than these", "these are too old", "something less dated", "can you go newer?",
    ),
    "other": (
        "other options", "show me something else", "anything else?", "different ones please", "more please",
        "none of these", "got any others?", "something different", "what else do you have?",
    ),
    "no_preference": (
        "I don't mind", "any time is fine", "no preference", "whatever", "doesn't matter", "surprise me",
        "anything goes", "I'm not picky",
    ),
    "answer_genre": (
        "{noun}", "{noun}, I guess", "I'd say {noun}", "probably {noun}", "hmm, {noun}", "let's go with {noun}",
        "{noun} would be nice", "maybe {noun}",
    ),
    "answer_era": (
        "{bare}", "{bare}, I think", "I'd say {bare}", "ideally {bare}", "hmm, {bare}", "something {from}",
        "{bare} would be great", "probably {bare}",
    ),
}

_NUMBER_WORDS = {1920: "twenties", 1930: "thirties", 1940: "forties", 1950: "fifties", 1960: "sixties",
                 1970: "seventies", 1980: "eighties", 1990: "nineties"}
_PARTS = {"early": "early", "mid": "mid", "late": "late"}


def decade_names(decade: int) -> tuple[str, ...]:
    """'the 80s', "the '80s", 'the eighties', 'the 1980s' for 1980; digits only outside 1920-1999."""
    short = f"{decade % 100:02d}s"
    names = [f"the {decade}s"]
    if 1920 <= decade <= 1990:
        names += [f"the {short}", f"the '{short}", f"the {_NUMBER_WORDS[decade]}"]
    return tuple(names)


def era_phrases(era: Era, rng: random.Random) -> dict[str, str]:
    """The window as {bare} ('the 80s'), {from} ('from the 80s') and {in} ('in the 80s')."""
    if era.form == "decade":
        bare = rng.choice(decade_names(era.a))
    elif era.form == "part":
        part = part_name(era)
        name = rng.choice(decade_names(era.a))
        bare = f"the {part} {name.removeprefix('the ')}" if part != "mid" else f"the mid-{name.removeprefix('the ')}"
    elif era.form == "before":
        bare = rng.choice((f"before {era.a}", f"pre-{era.a}", f"earlier than {era.a}"))
    elif era.form == "after":
        bare = rng.choice((f"after {era.a}", f"post-{era.a}", f"later than {era.a}"))
    elif era.form == "between":
        bare = rng.choice((f"between {era.a} and {era.b}", f"{era.a} to {era.b}", f"{era.a}-{era.b}"))
    else:
        bare = rng.choice((f"around {era.a}", f"circa {era.a}", f"roughly {era.a}"))
    if era.form in ("decade", "part"):
        return {"bare": bare, "from": f"from {bare}", "in": f"in {bare}"}
    if era.form == "between" and not bare.startswith("between"):
        return {"bare": bare, "from": f"from {bare}", "in": f"from {bare}"}
    return {"bare": bare, "from": f"from {bare}", "in": bare}


def _genre_values(genre: str, rng: random.Random) -> dict[str, str]:
    words = GENRE_WORDS[genre]
    return {"noun": rng.choice(words.nouns), "pred": rng.choice(words.predicates), "mass": rng.choice(words.masses)}


def render(act: Act, rng: random.Random, title: str = "", attempts: int = 50) -> str:
    """One wording of `act`, chosen at random, that does not leak `title`."""
    return render_from(act, rng, TEMPLATES, _genre_values, era_phrases, title=title, attempts=attempts)


# -- phrasing sets ------------------------------------------------------------------------------
PHRASING_SETS: tuple[str, ...] = ("default", "heldout", "zh", "casual")


def renderer(name: str = "default") -> Callable[..., str]:
    """The `render` of a phrasing set: "default" (this module), "heldout" (`phrasings_heldout.py`,
    wording the bot's developers never read, to measure how the bot generalises), "zh"
    (`phrasings_zh.py`, colloquial Chinese written without reading the bot's Chinese data) or
    "casual" (`phrasings_casual.py`, casual chat English written without reading the bot's vocabulary)."""
    if name == "default":
        return render
    if name == "heldout":
        return phrasings_heldout.render
    if name == "zh":
        return phrasings_zh.render
    if name == "casual":
        return phrasings_casual.render
    raise SimulatorError(f"unknown phrasing set {name!r}; choose one of: {', '.join(PHRASING_SETS)}")
