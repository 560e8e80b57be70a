"""CatalogIndex.find_title: what a typed title may match, and what it must not; genre_share."""

from __future__ import annotations

import pytest

from recommender.retrieval.index import CatalogIndex
from recommender.types import Item

TITLES = ["Ed (1996)", "Raiders of the Lost Ark (1981)", "Shawshank Redemption, The (1994)", "Heat (1995)",
          "Godfather, The (1972)", "Love! Valour! Compassion! (1997)", "When Harry Met Sally... (1989)"]
INDEX = CatalogIndex([Item(item_id=str(i), title=t, year=None, genres=()) for i, t in enumerate(TITLES)])


@pytest.mark.parametrize(("typed", "expected"), [
    ("raiders", "Raiders of the Lost Ark (1981)"),       # whole words of a longer title
    ("shawshank", "Shawshank Redemption, The (1994)"),  # inside a longer title
    ("the godfathr", "Godfather, The (1972)"),           # misspelt
    ("heat with al pacino", "Heat (1995)"),             # a title inside longer words
    ("ed", "Ed (1996)"),
])
def test_a_typed_title_finds_its_item(typed: str, expected: str) -> None:
    row = INDEX.find_title(typed)
    assert row is not None and INDEX.items[row].title == expected


@pytest.mark.parametrize("typed", ["edge-of-my-seat", "edge of my seat", "heated debate about nothing", "the", "of the",
                                   "when", "when i was"])
def test_a_fragment_of_a_word_is_no_title(typed: str) -> None:
    """WRatio's partial match scores "ed" inside "edge of my seat" 90: seen in the simulator, where
    "looking for an edge-of-my-seat film" liked Ed (1996). And "something like The Matrix" (not in
    the catalog) tried "the" last and liked 2 Days in the Valley; the NLU's title "when" of "when i
    was a kid" liked When Harry Met Sally."""
    assert INDEX.find_title(typed) is None


def test_genre_share_is_the_part_of_each_items_genres_inside_a_set() -> None:
    index = CatalogIndex([
        Item(item_id="1", title="Toy Story (1995)", year=1995, genres=("Animation", "Children's", "Comedy")),
        Item(item_id="2", title="Star Wars (1977)", year=1977, genres=("Action", "Adventure", "Romance", "Sci-Fi")),
        Item(item_id="3", title="Untagged (2000)", year=2000, genres=()),
    ])
    share = index.genre_share(["Comedy", "Children's", "Romance", "Musical"])  # Musical: not in this catalog
    assert share.tolist() == pytest.approx([2 / 3, 1 / 4, 0.0])
    assert index.genre_share([]).tolist() == [0.0, 0.0, 0.0]
