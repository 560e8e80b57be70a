"""find_count: a number counts items to show only where it counts things to watch."""

from __future__ import annotations

import pytest

from recommender.dialogue.count import find_count

GENRE_WORDS = frozenset({"comedy", "comedies", "thriller", "thrillers", "horror", "sci-fi", "drama", "dramas"})


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("give me three comedies", 3),
        ("top 5 please", 5),
        ("what are your top three?", 3),
        ("top 3 thrillers from the 80s", 3),
        ("just one", 1),
        ("ok two more", 2),
        ("a couple of thrillers", 2),
        ("show me 4", 4),
        ("just two please", 2),
        ("5 more sci-fi films", 5),
        ("three funny old movies", 3),
        ("i'd like 5 horror films", 5),
        ("give me 10 things to watch", 10),
        ("just one comedy please", 1),
        ("a single film please", 1),
        ("give me 3.", 3),
        ("show me 20 movies", 20),
        ("two comedies, no wait, make it four comedies", 4),  # the last one said wins
        ("ok, 2 of those from the 60s", 2),
        ("another couple", 2),
        ("show me three like that", 3),
        # "the top twelve dramas" was no count: "top" after "the" was read as a reference
        ("and the top twelve dramas", 12),
        ("the top 5 comedies please", 5),
    ],
)
def test_counts(text: str, count: int) -> None:
    found = find_count(text, GENRE_WORDS)
    assert found is not None and found.count == count
    assert text[found.start : found.end].strip() in {str(count), "three", "one", "two", "four", "a couple of",
                                                     "a single", "five", "couple", "twelve"}


@pytest.mark.parametrize(
    "text",
    [
        "the first two",  # a reference into the list
        "the top two",
        "more from the 90s", "movies from 1994", "5 stars", "rated 3.5",
        "one of the best films", "twelve monkeys", "2 days in the valley", "i loved ten things i hate about you",
        "one more time", "that one movie with tom hanks", "a comedy for 2 people", "in 2 hours", "three",
        "top two of those", "one of those scary ones",
        # "one" before a noun is mostly an article (from the simulator's phrasings)
        "can you find me one comedy?", "recommend one movie", "is there one that's also comedy?",
        "what about one that's comedy as well?", "two that are also dramas", "single dad comedies",
        "i've seen 2 of those", "another 10 years",
    ],
)
def test_not_counts(text: str) -> None:
    assert find_count(text, GENRE_WORDS) is None
