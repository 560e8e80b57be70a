"""What both simulator wording sets share: the render loop (`render_from`: template key,
leak-free retries), the leakage check (`leaks`: the target's title never said) and the name of
a part of a decade (`part_name`).

Each wording set (`phrasings.py`, `phrasings_heldout.py`) gives only its tables and imports
this module, so neither set imports the other and both render by the same rules.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence

from recommender.eval.simulator.acts import Act, Era
from recommender.eval.simulator.catalog import SimulatorError


def part_name(era: Era) -> str:
    """'early', 'mid' or 'late' for a part-of-decade window."""
    offset = (era.year_from or era.a) - era.a
    return "early" if offset == 0 else ("late" if offset >= 6 else "mid")


# -- leakage ------------------------------------------------------------------------------------
_TRAILING_PARENS = re.compile(r"\s*\([^()]*\)\s*$")
_MOVED_ARTICLE = re.compile(r"^(?P<rest>.+), (?P<article>the|a|an|les|la|le|il|el|das|der|die)$")


def normalise(text: str) -> str:
    """Lower case, accents and apostrophes dropped, other punctuation to spaces, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def normalised_titles(title: str) -> tuple[str, ...]:
    """The title without its "(1995)" / "(a.k.a. ...)" parts, with its article moved back to the
    front ("Godfather, The" -> "the godfather") and without it ("godfather")."""
    bare = title.strip()
    while _TRAILING_PARENS.search(bare) and _TRAILING_PARENS.sub("", bare):
        bare = _TRAILING_PARENS.sub("", bare)
    lowered = bare.lower()
    match = _MOVED_ARTICLE.match(lowered)
    forms = {normalise(bare)}
    if match:
        forms = {normalise(f"{match['article']} {match['rest']}"), normalise(match["rest"])}
    return tuple(sorted(f for f in forms if f))


def leaks(utterance: str, title: str) -> bool:
    """Whether the utterance contains the target's normalised title as whole words."""
    said = f" {normalise(utterance)} "
    return any(f" {form} " in said for form in normalised_titles(title))


class LeakageError(SimulatorError):
    """Every wording of an act would name the target; the simulation refuses to send any."""


def render_from(
    act: Act,
    rng: random.Random,
    templates: Mapping[str, Sequence[str]],
    genre_values: Callable[[str, random.Random], dict[str, str]],
    era_values: Callable[[Era, random.Random], dict[str, str]],
    *,
    title: str = "",
    attempts: int = 50,
    wording: str = "wording",
) -> str:
    """One wording of `act` from a phrasing set (its templates, genre words and era phrases),
    chosen at random, that does not leak `title`."""
    key: str = act.kind
    if act.answer and act.kind in ("genre", "add_genre"):
        key = "answer_genre"
    elif act.answer and act.kind == "era":
        key = "answer_era"
    choices = templates[key]
    for _ in range(attempts):
        template = rng.choice(choices)
        values: dict[str, str] = {}
        if act.genre:
            values = genre_values(act.genre, rng)
        if act.era:
            values.update(era_values(act.era, rng))
        text = template.format(**values) if values else template
        if not title or not leaks(text, title):
            return text
    raise LeakageError(f"every {wording} of {act.kind} tried would name the target {title!r}")
