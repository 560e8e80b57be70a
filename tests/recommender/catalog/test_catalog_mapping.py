"""Row rules of the column mapping: years, lists, defaults, attributes."""

from __future__ import annotations

import pytest

from recommender.catalog.mapping import (
    ColumnMapping,
    convert_row,
    parse_year,
    year_from_title,
)

MAPPING = ColumnMapping(year="year", genres="genres", people="people", popularity="pop")


@pytest.mark.parametrize(("raw", "year"), [("1995", 1995), ("2008.0", 2008), (" 1977 ", 1977), ("", None),
                                           (None, None), (1999, 1999), (2001.0, 2001), (float("nan"), None)])
def test_plausible_years_are_accepted(raw: object, year: int | None) -> None:
    assert parse_year(raw, MAPPING) == year


@pytest.mark.parametrize(("raw", "reason"), [("abc", "not a whole number"), ("1995.5", "not a whole number"),
                                             ("1750", "outside 1800..2100"), ("3000", "outside 1800..2100"),
                                             (True, "not a whole number")])
def test_implausible_years_say_why(raw: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_year(raw, MAPPING)


def test_year_range_can_be_widened_for_old_books() -> None:
    assert parse_year("-750", ColumnMapping(year_min=-3000)) == -750


def test_year_from_title() -> None:
    assert year_from_title("Star Wars (1977)") == 1977
    assert year_from_title("Babylon 5") is None
    assert year_from_title("Land Before Time III (1995) (V)") is None


def test_empty_optional_fields_get_defaults() -> None:
    item = convert_row({"item_id": " 7 ", "title": " Heat ", "year": "", "genres": "", "people": "", "pop": ""},
                       MAPPING, [])
    assert item == {"item_id": "7", "title": "Heat", "year": None, "genres": [], "people": [], "description": "",
                    "url": "", "popularity": None, "image_url": "", "attributes": {}}


def test_image_url_must_be_http_or_https() -> None:
    mapping = ColumnMapping(image_url="cover")
    assert convert_row({"item_id": "1", "title": "T", "cover": " https://img.example/1.jpg "}, mapping, [])[
        "image_url"] == "https://img.example/1.jpg"
    for bad in ("javascript:alert(1)", "data:image/png;base64,AAAA", "//img.example/1.jpg", "https://a b"):
        with pytest.raises(ValueError, match=r"image_url .* is not an http\(s\) URL \(column 'cover'\)"):
            convert_row({"item_id": "1", "title": "T", "cover": bad}, mapping, [])


def test_lists_are_split_stripped_and_deduplicated() -> None:
    mapping = ColumnMapping(genres="g", genre_sep=";", people="p", people_sep=", ", ignore_genres=("none",))
    item = convert_row({"item_id": "1", "title": "T", "g": "Drama; Comedy;;Drama;none", "p": "A, B, A"}, mapping, [])
    assert item["genres"] == ["Drama", "Comedy"]
    assert item["people"] == ["A", "B"]


def test_json_lists_and_numbers_are_taken_as_they_are() -> None:
    item = convert_row({"item_id": 12, "title": "T", "genres": ["Drama", " War "], "pop": 3}, MAPPING, ["extra"])
    assert item["item_id"] == "12" and item["genres"] == ["Drama", "War"] and item["popularity"] == 3.0


def test_attributes_keep_text_drop_empty_and_convert_numeric_ones() -> None:
    mapping = ColumnMapping(numeric_attributes=("rating",))
    item = convert_row({"item_id": "1", "title": "T", "isbn": "0439", "lang": "", "rating": "4.5"}, mapping,
                       ["isbn", "lang", "rating"])
    assert item["attributes"] == {"isbn": "0439", "rating": 4.5}


@pytest.mark.parametrize(("row", "reason"), [
    ({"item_id": "", "title": "T"}, "item_id is empty"),
    ({"item_id": "1", "title": "  "}, "title is empty"),
    ({"item_id": "x" * 65, "title": "T"}, "item_id is longer than 64"),
    ({"item_id": "1", "title": "T", "pop": "many"}, "popularity 'many' is not a number"),
])
def test_bad_rows_name_the_field(row: dict[str, str], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        convert_row(row, MAPPING, [])


def test_mapping_rejects_an_inverted_year_range() -> None:
    with pytest.raises(ValueError, match="year_min"):
        ColumnMapping(year_min=2000, year_max=1900)
