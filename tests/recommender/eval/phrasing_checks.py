"""What the tests of each simulator wording set (zh, heldout, casual) share: one simulated user
talking in two sets, and every genre act rendered many times."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from recommender.catalog.movielens import GENRES
from recommender.eval.simulator.acts import Act
from recommender.eval.simulator.catalog import SimCatalog, Target
from recommender.eval.simulator.dialogue import Dialogue, run_dialogue
from recommender.eval.simulator.yardstick import YardstickBot
from recommender.types import Item


def default_and(name: str) -> tuple[Dialogue, Dialogue]:
    """The same user (seed 11, one target of a small catalog) talking to the yardstick bot in the
    default wording and in the set `name`: the acts must match, the words must not."""
    items = [Item(str(n), f"T{n} ({1960 + n})", 1960 + n, (GENRES[n % len(GENRES)], "Comedy")) for n in range(1, 30)]
    cat = SimCatalog.build(items, {str(n): 100 - n for n in range(1, 30)})
    target = Target.of(cat.items["25"])
    default, other = (run_dialogue(YardstickBot(cat, k=2).conversation(), target, cat, seed=11, max_turns=8,
                                   phrasings=wording) for wording in ("default", name))
    return default, other


def genre_renderings(render: Callable[..., str], genre: str) -> Iterator[tuple[str, set[str]]]:
    """(template key, every distinct text of 400 draws) for each genre act and answer of `genre`,
    each text checked for leftover placeholders."""
    rng = random.Random(3)
    for kind in ("genre", "add_genre", "exclude"):
        for answer in (False, True):
            key = "answer_genre" if answer and kind != "exclude" else kind
            texts = {render(Act(kind, genre=genre, answer=answer), rng) for _ in range(400)}  # type: ignore[arg-type]
            assert all(t and "{" not in t and "}" not in t for t in texts), texts
            yield key, texts
