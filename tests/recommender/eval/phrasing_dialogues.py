"""One simulated user talking in two wording sets, for the tests of each set (zh, heldout, casual)."""

from __future__ import annotations

from recommender.catalog.movielens import GENRES
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
