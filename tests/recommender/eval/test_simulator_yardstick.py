"""The yardstick bot: perfect understanding on a tiny hand-made catalog."""

from __future__ import annotations

from recommender.eval.simulator.acts import Act, Era
from recommender.eval.simulator.catalog import SimCatalog, Target
from recommender.eval.simulator.dialogue import run_dialogue
from recommender.eval.simulator.yardstick import YardstickBot
from recommender.types import Item


def catalog() -> SimCatalog:
    """Ten westerns and comedies, most rated first by id; one hidden gem (id 10)."""
    items = [
        Item("1", "A (1990)", 1990, ("Comedy",)),
        Item("2", "B (1991)", 1991, ("Western",)),
        Item("3", "C (1980)", 1980, ("Comedy", "Romance")),
        Item("4", "D (1985)", 1985, ("Western", "Comedy")),
        Item("5", "E (1970)", 1970, ("Western", "Drama")),
        Item("6", "F (1975)", 1975, ("Comedy", "Horror")),
        Item("7", "G (1995)", 1995, ("Western",)),
        Item("8", "H (1960)", 1960, ("Western", "Comedy")),
        Item("9", "I (1997)", 1997, ("Comedy",)),
        Item("10", "J (1972)", 1972, ("Western", "Comedy")),
    ]
    return SimCatalog.build(items, {str(n): 100 - n for n in range(1, 11)})


def test_shows_the_most_rated_items_meeting_every_constraint_never_twice() -> None:
    chat = YardstickBot(catalog(), k=2).conversation()
    assert chat.send("what should I watch?", Act("opener")).item_ids == ("1", "2")
    assert chat.send("a western", Act("genre", genre="Western")).item_ids == ("4", "5")
    reply = chat.send("make it funny too", Act("add_genre", genre="Comedy"))
    assert reply.item_ids == ("8", "10")  # 4 was shown already
    assert chat.send("other options", Act("other")).item_ids == ()


def test_era_and_exclusions_and_older_narrow_the_list() -> None:
    chat = YardstickBot(catalog(), k=3).conversation()
    assert chat.send("a comedy", Act("genre", genre="Comedy")).item_ids == ("1", "3", "4")
    assert chat.send("no romance", Act("exclude", genre="Romance")).item_ids == ("6", "8", "9")
    seventies = Era("decade", 1970, year_from=1970, year_to=1979)
    assert chat.send("from the 70s", Act("era", era=seventies)).item_ids == ("10",)
    chat = YardstickBot(catalog(), k=3).conversation()
    chat.send("a western", Act("genre", genre="Western"))  # 2 (1991), 4 (1985), 5 (1970)
    assert chat.send("something older", Act("older", year_to=1969)).item_ids == ("8",)


def test_the_same_user_finds_the_hidden_gem_with_no_violation_or_leak() -> None:
    cat = catalog()
    target = Target.of(cat.items["10"])
    dialogue = run_dialogue(YardstickBot(cat, k=2).conversation(), target, cat, seed=5, max_turns=15)
    assert dialogue.success
    assert all(t.violations == 0 and not t.out_of_catalog and not t.leaked for t in dialogue.turns)
    assert dialogue.success_turn is not None and dialogue.success_turn <= 6
