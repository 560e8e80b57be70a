"""Read CSV and JSON Lines files row by row, with the real line number of each row.

Line numbers are what the user sees in an editor: the CSV header is line 1, and a row whose
quoted field spans several lines is reported at the line where it starts.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from recommender.errors import DataSourceError, ImportValidationError

FileFormat = Literal["csv", "jsonl"]
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True)
class RawRow:
    """One record: its first line, its values, or why it could not be read at all."""

    line: int
    values: dict[str, Any]
    error: str | None = None


def guess_format(path: Path) -> FileFormat:
    """Tell "csv" or "jsonl" from the file name; a clear error when the name does not tell."""
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise DataSourceError(f"{path}: cannot tell the format from the name; pass --format csv or --format jsonl")
    return fmt  # type: ignore[return-value]


def _lines(path: Path, on_bytes: Callable[[int], None] | None) -> Iterator[str]:
    """Decoded lines with their endings kept (what `csv` expects from newline=''), BOM removed."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if on_bytes is not None:
                on_bytes(len(raw))
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ImportValidationError(
                    str(path), [(number, f"not UTF-8 text ({exc.reason}); save the file as UTF-8")]
                ) from None
            yield text.removeprefix("\ufeff") if number == 1 else text


def csv_columns(path: Path, delimiter: str = ",") -> list[str]:
    """The header row of a CSV file."""
    reader = csv.reader(_lines(path, None), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise DataSourceError(f"{path}: the file is empty; a CSV catalog needs a header row")
    return [h.strip() for h in header]


def read_csv(path: Path, delimiter: str = ",", on_bytes: Callable[[int], None] | None = None) -> Iterator[RawRow]:
    """Rows as dicts keyed by the header; a row with the wrong number of fields is an error row."""
    reader = csv.reader(_lines(path, on_bytes), delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    previous_end = reader.line_num
    while True:
        start = previous_end + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportValidationError(str(path), [(start, f"unreadable CSV ({exc}); check the quoting")]) from None
        previous_end = reader.line_num
        if not fields:
            continue  # blank line
        if len(fields) != len(header):
            yield RawRow(start, {}, f"has {len(fields)} fields but the header has {len(header)}; check the quoting")
            continue
        yield RawRow(start, dict(zip(header, fields, strict=True)))


def read_jsonl(path: Path, on_bytes: Callable[[int], None] | None = None) -> Iterator[RawRow]:
    """One JSON object per line; blank lines are skipped, anything else is an error row."""
    for number, line in enumerate(_lines(path, on_bytes), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RawRow(number, {}, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(value, dict):
            yield RawRow(number, {}, f"expected a JSON object, got {type(value).__name__}")
            continue
        yield RawRow(number, value)
