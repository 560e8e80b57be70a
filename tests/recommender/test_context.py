"""Context extraction: raw words -> structured preferences."""

import pytest

from recommender.context import (
    critique_directions,
    display_title,
    guess_feedback_kind,
    match_genres,
    mood_genre_groups,
    negated_genres,
    normalise_feedback_kind,
    normalise_title,
    parse_decade,
    parse_ordinal,
    parse_rating,
    parse_year,
)

GENRES = ["Action", "Children's", "Comedy", "Film-Noir", "Horror", "Romance", "Sci-Fi"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", (1990, 1999)),
        ("the 90s", (1990, 1999)),
        ("'90s", (1990, 1999)),
        ("1990s", (1990, 1999)),
        ("nineties", (1990, 1999)),
        ("the eighties", (1980, 1989)),
        ("early 80s", (1980, 1983)),
        ("late 70s", (1976, 1979)),
        ("2000s", (2000, 2009)),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_decade(text: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_decade(text) == expected


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


def test_match_genres_maps_surface_forms_and_reports_unknown_words() -> None:
    matched, unknown = match_genres(["scifi", "kids", "comedies", "noir", "k-drama"], GENRES)
    assert matched == ["Sci-Fi", "Children's", "Comedy", "Film-Noir"]
    assert unknown == ["k-drama"]


def test_moods_stand_for_catalog_genres_only() -> None:
    assert mood_genre_groups(["funny", "scary", "zzz"], GENRES) == [("funny", ("Comedy",)), ("scary", ("Horror",))]


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


def test_critique_directions() -> None:
    assert critique_directions("something older") == (True, False, False, False)
    assert critique_directions("newer please") == (False, True, False, False)
    assert critique_directions("show me other options") == (False, False, True, False)
    assert critique_directions("more like the second one") == (False, False, False, True)
    assert critique_directions("older, not newer")[:2] == (True, False)  # older wins a contradiction


def test_negated_genres_only_after_a_negation() -> None:
    assert negated_genres("comedy, but no horror please", ["Comedy", "Horror"]) == ["Horror"]
    assert negated_genres("I don't want romance", ["Romance"]) == ["Romance"]
    assert negated_genres("horror is great", ["Horror"]) == []


def test_guess_feedback_kind() -> None:
    assert guess_feedback_kind("the second one, 4 stars", 4.0) == "rating"
    assert guess_feedback_kind("not the last one", None) == "dislike"
    assert guess_feedback_kind("save the first one", None) == "bookmark"
    assert guess_feedback_kind("remove it from my saved list", None) == "unbookmark"
    assert guess_feedback_kind("the third one!", None) == "like"
