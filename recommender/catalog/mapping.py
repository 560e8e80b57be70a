"""Which source column becomes which item field, and the rules that turn one raw row into an item.

Kept apart from file reading so the same rules apply to CSV, JSON Lines and built-in presets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Widths of the `items` columns (see recommender/store/models.py); longer values are bad rows,
# because PostgreSQL would reject them halfway through the write.
MAX_ITEM_ID = 64
MAX_TITLE = 512
MAX_URL = 1024

MAPPED_FIELDS: tuple[str, ...] = (
    "item_id", "title", "year", "genres", "people", "description", "url", "popularity", "image_url",
)
_TITLE_YEAR = re.compile(r"\((\d{4})\)\s*$")
_HTTP_URL = re.compile(r"https?://\S+$", re.IGNORECASE)  # what a channel may show as a picture
# Control characters (tab and line breaks aside) and lone surrogates: removed from text fields; an id
# holding one, or a line break, is a bad row (PostgreSQL refuses NUL, a lone surrogate is not UTF-8).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_ID_UNWANTED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class ColumnMapping(BaseModel):
    """Source column (CSV header name or JSON key) for each item field; None means "not in the file".

    Columns that are not mapped land in the item's `attributes` (all of them, or only those named
    in `attributes`). A year outside `year_min`..`year_max` is a bad row, since it is almost always
    a shifted column or a typo; widen the range for catalogs with old works (books).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str = "item_id"
    title: str = "title"
    year: str | None = None
    genres: str | None = None
    genre_sep: str = "|"
    people: str | None = None
    people_sep: str = ","
    description: str | None = None
    url: str | None = None
    popularity: str | None = None
    image_url: str | None = Field(default=None, description="A picture of the item (cover, poster): an http(s) URL.")
    attributes: tuple[str, ...] | None = Field(
        default=None, description="Extra columns to keep; None keeps every unmapped column."
    )
    numeric_attributes: tuple[str, ...] = Field(
        default=(), description="Attributes stored as numbers instead of text (CSV values are text)."
    )
    year_from_title: bool = Field(default=False, description='Take the year from a trailing "(1995)" in the title.')
    year_min: int = 1800
    year_max: int = 2100
    ignore_genres: tuple[str, ...] = Field(
        default=(), description='Genre values that mean "none", e.g. "(no genres listed)".'
    )

    @model_validator(mode="after")
    def _check(self) -> ColumnMapping:
        if self.year_min > self.year_max:
            raise ValueError(f"year_min ({self.year_min}) is above year_max ({self.year_max})")
        if not self.genre_sep or not self.people_sep:
            raise ValueError("genre_sep and people_sep must not be empty")
        return self

    def mapped_columns(self) -> dict[str, str]:
        """{item field: source column} for every field that is mapped."""
        return {f: getattr(self, f) for f in MAPPED_FIELDS if getattr(self, f) is not None}

    def attribute_columns(self, available: list[str]) -> list[str]:
        """The extra columns to keep, given the columns the file has."""
        if self.attributes is not None:
            return list(self.attributes)
        used = set(self.mapped_columns().values())
        return [c for c in available if c not in used]


def _text(value: Any) -> str:
    """A raw value as stripped text without control characters; None, NaN and empty become ""."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return _CONTROL.sub("", str(value)).strip()


def _split(value: Any, sep: str, ignore: tuple[str, ...] = ()) -> list[str]:
    """A list field from a separated string or a JSON list: stripped, de-duplicated, in order."""
    parts = [_text(v) for v in value] if isinstance(value, list) else _text(value).split(sep)
    out: dict[str, None] = {}
    for p in parts:
        p = p.strip()
        if p and p not in ignore:
            out[p] = None
    return list(out)


def parse_year(value: Any, mapping: ColumnMapping) -> int | None:
    """A plausible whole year, or None when empty; raises ValueError with the reason otherwise.

    "2008.0" is accepted (spreadsheets and pandas write years as floats).
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not (
        isinstance(value, float) and math.isnan(value)
    ):
        number = float(value)
    else:
        text = _text(value)
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"year {text!r} is not a whole number (write it like 1995)") from None
    if not number.is_integer():
        raise ValueError(f"year {value!r} is not a whole number (write it like 1995)")
    year = int(number)
    if not mapping.year_min <= year <= mapping.year_max:
        raise ValueError(
            f"year {year} is outside {mapping.year_min}..{mapping.year_max} "
            "(fix the value, or widen the range with year_min/year_max)"
        )
    return year


def year_from_title(title: str) -> int | None:
    """The year in a MovieLens-style title such as "Star Wars (1977)"."""
    match = _TITLE_YEAR.search(title)
    return int(match.group(1)) if match else None


def _number(value: Any, name: str) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = _text(value)
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{name} {text!r} is not a number") from None
    if math.isinf(number):
        raise ValueError(f"{name} {number} is not a finite number")
    return None if math.isnan(number) else number


def convert_row(raw: Mapping[str, Any], mapping: ColumnMapping, attribute_columns: list[str]) -> dict[str, Any]:
    """One raw row -> the dict `Store.import_dataset` writes; raises ValueError naming the field.

    Empty optional fields get defaults: year None (or from the title), genres/people [],
    description "", url "", popularity None, image_url ""; empty attributes are left out.
    """
    raw_id = raw.get(mapping.item_id)
    if isinstance(raw_id, str) and _ID_UNWANTED.search(raw_id.strip()):
        raise ValueError(f"item_id {raw_id[:40]!r} holds a control character or line break; an id is one line of "
                         f"plain text (column {mapping.item_id!r})")
    item_id = _text(raw_id)
    if not item_id:
        raise ValueError(f"item_id is empty (column {mapping.item_id!r})")
    if len(item_id) > MAX_ITEM_ID:
        raise ValueError(f"item_id is longer than {MAX_ITEM_ID} characters")
    title = _text(raw.get(mapping.title))
    if not title:
        raise ValueError(f"title is empty (column {mapping.title!r})")
    if len(title) > MAX_TITLE:
        raise ValueError(f"title is longer than {MAX_TITLE} characters")
    year = parse_year(raw.get(mapping.year), mapping) if mapping.year else None
    if year is None and mapping.year_from_title:
        year = year_from_title(title)
    url = _text(raw.get(mapping.url)) if mapping.url else ""
    if len(url) > MAX_URL:
        raise ValueError(f"url is longer than {MAX_URL} characters")
    image_url = _text(raw.get(mapping.image_url)) if mapping.image_url else ""
    if len(image_url) > MAX_URL:
        raise ValueError(f"image_url is longer than {MAX_URL} characters")
    if image_url and not _HTTP_URL.match(image_url):
        raise ValueError(f"image_url {image_url[:60]!r} is not an http(s) URL (column {mapping.image_url!r})")
    attributes: dict[str, Any] = {}
    for column in attribute_columns:
        value = raw.get(column)
        if column in mapping.numeric_attributes:
            number = _number(value, f"attribute {column!r}")
            if number is not None:
                attributes[column] = int(number) if number.is_integer() else number
        elif isinstance(value, (dict, list, bool, int, float)) and not (isinstance(value, float) and math.isnan(value)):
            attributes[column] = value  # JSON Lines keeps its types
        elif _text(value):
            attributes[column] = _text(value)
    return {
        "item_id": item_id,
        "title": title,
        "year": year,
        "genres": _split(raw.get(mapping.genres), mapping.genre_sep, mapping.ignore_genres) if mapping.genres else [],
        "people": _split(raw.get(mapping.people), mapping.people_sep) if mapping.people else [],
        "description": _text(raw.get(mapping.description)) if mapping.description else "",
        "url": url,
        "popularity": _number(raw.get(mapping.popularity), "popularity") if mapping.popularity else None,
        "image_url": image_url,
        "attributes": attributes,
    }
