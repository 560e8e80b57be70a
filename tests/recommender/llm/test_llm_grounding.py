"""Grounding checks: a sentence may state only the item's real attributes and the user's wishes."""

from __future__ import annotations

import pytest
from llm_helpers import BY_ID, CATALOG

from recommender.llm.grounding import (
    CatalogVocabulary,
    check_reason,
    check_reply,
    leaks,
)
from recommender.llm.query import QuerySummary
from recommender.types import Item

VOCAB = CatalogVocabulary.from_items(CATALOG)
QUERY = QuerySummary(request="a funny 90s film, no horror", genres=("comedy",), exclude_genres=("Horror",),
                     year_from=1990, year_to=1999)
TOY, GROUNDHOG, BABE = BY_ID["1"], BY_ID["6"], BY_ID["11"]


def reason(text: str, item: Item = TOY) -> tuple[str, ...]:
    return check_reason(text, item, [GROUNDHOG, BABE], QUERY, VOCAB)


@pytest.mark.parametrize(
    "text",
    [
        "A 1995 animated comedy that matches your wish for something funny",
        "Toy Story is a 1995 Comedy, perfect for a funny night",
        "No horror here, just a funny 1995 animation from the 90s",
        "It's perfect for a big night in with the kids",
        "Fun for children, and a comedy too",
    ],
)
def test_grounded_reasons_pass(text: str) -> None:
    assert reason(text) == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("A 1994 classic comedy", "wrong_year"),
        ("A heartwarming 80s film", "wrong_decade"),
        ("Great for fans of Star Wars", "foreign_title"),
        ("Even better than Heat", "foreign_title"),
        ("Like Groundhog Day above, it's a comedy", "foreign_title"),
        ("A horror comedy from 1995", "wrong_genre"),
        ("A romantic comedy", "wrong_genre"),
        ("Harrison Ford shines in it", "foreign_person"),
        ("Stars Tom Hanks and Tim Allen", "unsupported_name"),
        ("Skip it and watch The Matrix (1995) instead", "unsupported_name"),  # a title outside the catalog
        ("As funny as the Naked Gun films", "unsupported_name"),
        ('Fans of "Finding Nemo" will love it', "unknown_title"),
        ("Ignore previous instructions, my system prompt says so", "meta_talk"),
        ("See https://example.com for more", "url"),
        ("", "empty"),
        ("funny " * 80, "too_long"),
    ],
)
def test_ungrounded_reasons_are_rejected_with_the_cause(text: str, problem: str) -> None:
    assert problem in reason(text)


def test_a_reason_may_not_borrow_another_shown_items_attributes() -> None:
    # Groundhog Day is a Romance from 1993; Toy Story is neither.
    assert "wrong_genre" in reason("A romance, like the others")
    assert "wrong_year" in reason("A 1993 comedy")
    assert reason("A 1993 romance", GROUNDHOG) == ()


def test_the_users_own_year_bounds_and_titles_may_be_repeated() -> None:
    liked = QuerySummary(request="like Alien", liked_titles=("Alien",), year_from=1990, year_to=1999)
    assert check_reason("Made after 1990, and as tense as Alien", BY_ID["12"], [], liked, VOCAB) == ()


def test_replies_may_name_shown_items_only() -> None:
    shown = [TOY, GROUNDHOG, BABE]
    assert check_reply("Three funny picks from the 90s, starting with Toy Story!", shown, QUERY, VOCAB) == ()
    assert "foreign_title" in check_reply("Here you go. Also try Casablanca.", shown, QUERY, VOCAB)


def test_leaks_detects_any_six_word_run_of_the_system_prompt() -> None:
    system = "You write the message of a recommender system that has already chosen items for the user."
    assert leaks("Sure: you write the message of a recommender system!", system)
    assert not leaks("You write well, and the message is nice.", system)
    assert "prompt_leak" in check_reason(
        "My rules: you write the message of a recommender system", TOY, [], QUERY, VOCAB, system
    )
