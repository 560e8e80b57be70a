"""A HELD-OUT wording set for the simulated user: the same acts, worded differently.

`phrasings.py` has been read by the bot's developers (its failures guided improvements), so the
bot's score on it is optimistic. This set was written without looking at the bot's vocabulary or
training data, and must not be read by the bot's developers either: `simulate --phrasings heldout`
measures how the bot's understanding generalises to wording it was never tuned on.

Same structure as `phrasings.py` (templates per act, words per genre, a time window per era form)
and the same rules: every statement is true of the hidden target, and no utterance contains the
target's normalised title (`leaks`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from recommender.eval.simulator.acts import Act, Era
from recommender.eval.simulator.render import part_name, render_from


@dataclass(frozen=True)
class HeldoutGenreWords:
    """`nouns` follow "give me" (a noun phrase), `adjs` follow "it must be" / "it shouldn't be",
    `masses` follow "please no" / "without any" (plural or uncountable)."""

    nouns: tuple[str, ...]
    adjs: tuple[str, ...]
    masses: tuple[str, ...]


GENRE_WORDS: dict[str, HeldoutGenreWords] = {
    "Action": HeldoutGenreWords(
        ("an actioner", "a movie with lots of explosions and fistfights", "an action blockbuster",
         "something high-octane", "a big action picture"),
        ("high-octane", "packed with fights and explosions", "an actioner", "action heavy"),
        ("explosions and car chases", "fight scenes", "action sequences", "actioners"),
    ),
    "Adventure": HeldoutGenreWords(
        ("an adventure yarn", "a story about a big journey or expedition", "an adventure pic",
         "something with a daring expedition", "a swashbuckling adventure"),
        ("an adventure yarn", "adventure-y", "a globe-trotting adventure", "about a daring journey"),
        ("adventure yarns", "quests and expeditions", "treasure hunts", "adventure pics"),
    ),
    "Animation": HeldoutGenreWords(
        ("an animated feature", "a cartoon feature", "a toon", "something drawn or computer-animated",
         "an animated picture"),
        ("animated, not live action", "a cartoon feature", "a toon", "drawn or computer-animated"),
        ("cartoon stuff", "animated features", "toons", "anything animated"),
    ),
    "Children's": HeldoutGenreWords(
        ("something I can watch with my 8 year old", "a movie for little ones", "a kids flick",
         "something made for children", "a film for the young ones"),
        ("ok for young kids", "aimed at children", "kid-friendly", "a kids flick"),
        ("kiddie movies", "stuff made for kids", "kids flicks", "movies aimed at children"),
    ),
    "Comedy": HeldoutGenreWords(
        ("something that'll make me laugh", "a comedy flick", "something hilarious", "a good laugh-out-loud film",
         "a light funny one"),
        ("hilarious", "a laugh riot", "a comedy flick", "lighthearted and funny"),
        ("comedy flicks", "goofy humor", "laugh-out-loud stuff", "jokey stuff"),
    ),
    "Crime": HeldoutGenreWords(
        ("a cop story", "a mafia film", "something about criminals", "a crime flick", "a robbery movie"),
        ("about cops and robbers", "a crime flick", "about the criminal underworld", "about criminals"),
        ("cops and robbers", "mobsters", "crime flicks", "criminal underworld stuff"),
    ),
    "Documentary": HeldoutGenreWords(
        ("a docu", "a documentary film", "a non-fiction doc", "something factual, a real documentary",
         "a documentary picture"),
        ("a docu", "a documentary film", "factual, a documentary", "non fiction"),
        ("docus", "documentary films", "factual films", "non fiction films"),
    ),
    "Drama": HeldoutGenreWords(
        ("something heavy and emotional", "a serious drama", "a tearjerker", "a dramatic film",
         "a character-driven drama"),
        ("emotional and dramatic", "a heavy drama", "drama-heavy", "a serious drama"),
        ("heavy dramas", "tearjerkers", "melodrama", "serious dramatic stuff"),
    ),
    "Fantasy": HeldoutGenreWords(
        ("something with wizards and magic", "a sword and sorcery movie", "a fantasy flick",
         "something with mythical creatures", "a fantastical tale"),
        ("full of magic", "a fantasy flick", "fantastical", "sword and sorcery"),
        ("magic and wizards", "sword and sorcery", "fantasy flicks", "mythical creatures"),
    ),
    "Film-Noir": HeldoutGenreWords(
        ("a noir flick", "something film-noir", "a hard-boiled noir picture", "a shadowy noir",
         "a film in the noir style"),
        ("noir-style", "in the film noir tradition", "a noir flick", "hard-boiled noir"),
        ("noir flicks", "film-noir stuff", "hard-boiled noir", "noir pictures"),
    ),
    "Horror": HeldoutGenreWords(
        ("something that'll give me nightmares", "a horror flick", "something terrifying", "a spooky movie",
         "a scary flick"),
        ("terrifying", "spooky", "a horror flick", "frightening"),
        ("horror flicks", "spooky stuff", "scares", "frights"),
    ),
    "Musical": HeldoutGenreWords(
        ("a movie where people break into song", "a song and dance picture", "a musical film",
         "one with big musical numbers", "a singalong movie"),
        ("full of musical numbers", "a musical film", "song-filled", "a song and dance picture"),
        ("musical numbers", "people bursting into song", "song and dance numbers", "singalongs"),
    ),
    "Mystery": HeldoutGenreWords(
        ("a mystery flick", "a who-done-it", "something with a puzzle to solve", "a sleuth story",
         "a mystery to figure out"),
        ("a mystery flick", "full of clues to piece together", "a who-done-it", "a sleuth story"),
        ("mysteries and puzzles", "whodunnits", "mystery flicks", "sleuthing"),
    ),
    "Romance": HeldoutGenreWords(
        ("a romantic flick", "something lovey-dovey", "something about falling in love", "a romance film",
         "a love-story kind of movie"),
        ("lovey-dovey", "about falling in love", "a romantic flick", "romance-heavy"),
        ("lovey-dovey stuff", "romantic subplots", "mushy romance", "romantic flicks"),
    ),
    "Sci-Fi": HeldoutGenreWords(
        ("a sci fi flick", "a scifi", "something science-fictiony", "a science-fiction picture",
         "a sci fi story"),
        ("sci fi", "scifi", "science-fictiony", "a sci fi flick"),
        ("scifi", "science-fiction stuff", "sci fi flicks", "spaceships and aliens"),
    ),
    "Thriller": HeldoutGenreWords(
        ("something that keeps me on the edge of my seat", "a nail-biter", "a thriller flick", "a suspense film",
         "something gripping and tense"),
        ("nail-biting", "gripping and tense", "a suspense thriller", "heart-pounding"),
        ("nail-biters", "suspense thrillers", "tense thrillers", "thriller flicks"),
    ),
    "War": HeldoutGenreWords(
        ("a war flick", "a military movie", "a combat film", "something set on a battlefield",
         "a film about soldiers at war"),
        ("set in wartime", "a war flick", "a combat movie", "about soldiers at war"),
        ("war flicks", "combat", "battlefield stuff", "military stuff"),
    ),
    "Western": HeldoutGenreWords(
        ("a film with gunfights in the desert", "a cowboy flick", "an oater", "a western flick",
         "something set in the old west"),
        ("set in the old west", "a cowboy flick", "a western flick", "western-themed"),
        ("cowboy flicks", "old west stuff", "gunslingers", "oaters"),
    ),
}

# Placeholders: {noun} {adj} {mass} (a genre), {bare} {from} (a time window).
TEMPLATES: dict[str, tuple[str, ...]] = {
    "opener": (
        "hey, can u recommend a film?", "i want to watch a movie but don't know what",
        "give me a movie recommendation please",
        "got any film recs?", "need a movie for tonight", "What would you suggest I watch?",
        "hi! looking for a film to watch this evening", "pick a movie for me", "reccomend somthing to watch pls",
        "I'd love a good film suggestion", "what movie should i put on?", "Could you help me find a movie?",
    ),
    "genre": (
        "i wanna watch {noun}", "can you find me {noun} please", "Could you recommend {noun}?", "hey, im after {noun}",
        "{noun} pls", "give me {noun}", "what about {noun}", "I'd really enjoy {noun} right now",
        "tonight I'm craving {noun}", "reccomend {noun}", "do you have {noun}?", "we're thinking {noun} tonight",
        "Hi there, I would love to see {noun} this evening if you have one.",
    ),
    "add_genre": (
        "oh and {adj} too", "It needs to be {adj} as well", "plus it should be {adj}", "also make sure its {adj}",
        "{adj} too please", "and {adj}, if possible", "wait, I also want it {adj}", "one more thing: {adj}",
        "it should have {mass} in it too", "let's add some {mass}", "some {mass} would be good too",
        "and i'd like it to also be {adj}",
    ),
    "era": (
        "only films {from}", "i want one {from}", "preferably {from}", "year range: {bare}", "{bare} please",
        "it's gotta be {from}", "make sure it's {from}", "the era I want is {bare}", "something {from}, if you can",
        "movies {from} only", "i'm thinking {bare}", "Could it be a film {from}?",
    ),
    "exclude": (
        "please no {mass}", "i can't stand {mass}", "it must not be {adj}", "I don't want it to be {adj}",
        "keep {mass} out of it", "without any {mass} please", "zero {mass} thanks", "cut out the {mass}",
        "no {mass} at all", "make sure it isn't {adj}", "ugh, i'm so done with {mass}, none of that",
        "could you filter out {mass}?",
    ),
    "older": (
        "way too new, go back", "older than these please", "go back in time a bit", "these are all too modern for me",
        "i want something from earlier", "got anything older than these?", "something from before these ones",
        "these feel too new, earlier please", "show me earlier films", "hmm, i'd like movies older than these",
        "less recent ones please",
    ),
    "newer": (
        "these are way too old", "something more modern", "more modern please", "got anything newer than these?",
        "these feel dated, newer pls", "show me more recent films", "can we move forward in time a bit",
        "i want something from later", "got anything more up to date?", "later films than these please",
        "hmm, i'd like movies newer than these",
    ),
    "other": (
        "nah, something else", "not these, others please", "show me different films", "next batch please",
        "give me more options", "none of those appeal, try again", "try some others", "more suggestions?",
        "what other movies are there?", "can I see other ones", "keep going", "those don't work for me",
    ),
    "no_preference": (
        "no strong feelings", "i really don't care", "any is fine by me", "up to you", "doesn't matter to me",
        "you pick", "makes no difference", "all good either way", "whatever you think", "dunno, you decide",
        "im easy",
    ),
    "answer_genre": (
        "{noun} please", "uh {noun}", "definitely {noun}", "i think {noun}", "{noun} for sure", "mmm {noun} maybe",
        "I'm leaning towards {noun}", "{noun}, thanks", "id go for {noun}", "{adj}, ideally",
        "oh, {noun} definitely",
    ),
    "answer_era": (
        "{bare} please", "um, {bare}", "I'm thinking {bare}", "{bare} works for me", "let's say {bare}",
        "definitely {bare}", "{bare} is my preference", "anything {from}", "Year-wise, {bare}", "go with {bare}",
        "{from}, if possible",
    ),
}

_DECADE_WORDS = {1920: "twenties", 1930: "thirties", 1940: "forties", 1950: "fifties", 1960: "sixties",
                 1970: "seventies", 1980: "eighties", 1990: "nineties"}


def decade_forms(decade: int) -> tuple[str, ...]:
    """Ways to name a decade without "the" ('1980s', "80's", 'eighties'); 1920-1990 only in words."""
    forms = [f"{decade}s"]
    if decade in _DECADE_WORDS:
        short = f"{decade % 100:02d}"
        forms += [f"{short}s", f"{short}'s", f"'{short}s", _DECADE_WORDS[decade]]
    return tuple(forms)


def era_phrases(era: Era, rng: random.Random) -> dict[str, str]:
    """The window as {bare} (stands alone after "I'm thinking") and {from} (after "a film")."""
    a, b = era.a, era.b
    if era.form == "decade":
        name = rng.choice(decade_forms(a))
        bare = rng.choice((f"the {name}", name))
        pairs = [(bare, f"from the {name}"), (bare, f"made in the {name}"), (bare, f"out of the {name}")]
    elif era.form == "part":
        name = rng.choice(decade_forms(a))
        part = part_name(era)
        if part == "early":
            bare = rng.choice((f"the early {name}", f"early {name}", f"the start of the {name}"))
        elif part == "late":
            bare = rng.choice((f"the late {name}", f"late {name}", f"the tail end of the {name}"))
        else:
            bare = rng.choice((f"the mid {name}", f"mid-{name}", f"the middle of the {name}"))
        pairs = [(bare, f"from {bare}"), (bare, f"made in {bare}")]
    elif era.form == "before":
        pairs = [(f"before {a}", f"from before {a}"), (f"prior to {a}", f"made prior to {a}"),
                 (f"{a} or earlier", f"from {a} or earlier"), (f"no later than {a}", f"released no later than {a}"),
                 (f"older than {a}", f"older than {a}")]
    elif era.form == "after":
        pairs = [(f"after the year {a}", f"from after {a}"), (f"{a} onwards", f"from {a} onwards"),
                 (f"{a} or later", f"from {a} or later"), (f"newer than {a}", f"newer than {a}"),
                 (f"no earlier than {a}", f"released no earlier than {a}")]
    elif era.form == "between":
        pairs = [(f"{a} through {b}", f"from {a} through {b}"),
                 (f"somewhere between {a} and {b}", f"made somewhere between {a} and {b}"),
                 (f"the {a}-{b} period", f"from the {a}-{b} period"), (f"{a} thru {b}", f"from {a} thru {b}"),
                 (f"the years {a} to {b}", f"released in the years {a} to {b}")]
    else:
        pairs = [(f"about {a}", f"from about {a}"), (f"{a} or so", f"from {a} or so"), (f"{a}-ish", f"from {a}-ish"),
                 (f"approximately {a}", f"from approximately {a}"), (f"close to {a}", f"made close to {a}"),
                 (f"{a}, give or take a few years", f"from {a}, give or take a few years")]
    bare, from_ = rng.choice(pairs)
    return {"bare": bare, "from": from_}


def _genre_values(genre: str, rng: random.Random) -> dict[str, str]:
    words = GENRE_WORDS[genre]
    return {"noun": rng.choice(words.nouns), "adj": rng.choice(words.adjs), "mass": rng.choice(words.masses)}


def render(act: Act, rng: random.Random, title: str = "", attempts: int = 50) -> str:
    """One held-out wording of `act`, chosen at random, that does not leak `title`."""
    return render_from(act, rng, TEMPLATES, _genre_values, era_phrases, title=title, attempts=attempts,
                       wording="held-out wording")
