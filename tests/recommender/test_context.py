"""Context extraction: raw words -> structured preferences."""

import pytest

from recommender.context import (
    display_title,
    guess_feedback_kind,
    normalise_feedback_kind,
    normalise_title,
    parse_ordinal,
    parse_rating,
    parse_year,
)

GENRES = ["Action", "Children's", "Comedy", "Film-Noir", "Horror", "Romance", "Sci-Fi"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("first", 1), ("2nd", 2), ("#3", 3), ("number two", 2), ("the second one", 2), ("last", -1), ("fifth", 5),
     ("banana", None), ("", None)],
)
def test_parse_ordinal(text: str, expected: int | None) -> None:
    assert parse_ordinal(text) == expected


def test_parse_year_and_rating() -> None:
    assert parse_year("from 1995 please") == 1995
    assert parse_year("1700") is None
    assert parse_rating("4 stars") == 4.0
    assert parse_rating("a five") == 5.0
    assert parse_rating("great") is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [("loved", "like"), ("not a fan", "dislike"), ("hated it", "dislike"), ("save", "bookmark"),
     ("5 stars", "rating"), ("like", "like"), ("qwerty", None)],
)
def test_feedback_words(text: str, kind: str | None) -> None:
    assert normalise_feedback_kind(text) == kind


def test_titles_are_normalised_for_matching_and_display() -> None:
    assert normalise_title("Godfather, The (1972)") == "the godfather"
    assert display_title("Godfather, The (1972)") == "The Godfather (1972)"
    assert display_title("Toy Story (1995)") == "Toy Story (1995)"


def test_parse_rating_reads_digits_words_and_decimal_commas() -> None:
    assert parse_rating("4 stars") == 4.0
    assert parse_rating("a 5") == 5.0
    assert parse_rating("four") == 4.0
    assert parse_rating("3.5") == 3.5
    assert parse_rating("3,5") == 3.5
    assert parse_rating(None) is None
    assert parse_rating("") is None


def test_guess_feedback_kind() -> None:
    assert guess_feedback_kind("the second one, 4 stars", 4.0) == "rating"
    assert guess_feedback_kind("not the last one", None) == "dislike"
    assert guess_feedback_kind("save the first one", None) == "bookmark"
    assert guess_feedback_kind("remove it from my saved list", None) == "unbookmark"
    assert guess_feedback_kind("the third one!", None) == "like"
