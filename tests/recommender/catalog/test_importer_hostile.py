"""The catalog importer with random rows (issue 15), hypothesis: bad rows are reported with their line
numbers, the good ones are imported, and nothing crashes.

A JSON Lines file mixes rows that are certainly good, rows that are certainly bad (not JSON, not an
object, no id, no title, an id over 64 characters, a year that is not a year) and rows of random
values (wrong types, NaN, infinities, control characters, markup, nested lists). Whatever the mix:
the importer raises only its own `ImportValidationError` / `DataSourceError`; every row is read once
and is either imported, a duplicate, or a problem at its own line; the certainly-good rows are
imported and the certainly-bad ones are reported at their lines; what is stored has no control
characters in ids and titles (PostgreSQL refuses NUL) and no infinite numbers; markup in a title
is kept as text."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.catalog.importer import ImportOptions, import_catalog, validate_catalog
from recommender.catalog.mapping import ColumnMapping
from recommender.errors import DataSourceError, ImportValidationError
from recommender.store import Store

MAPPING = ColumnMapping(year="year", genres="genres", people="people", description="description", url="url",
                        popularity="popularity", image_url="image_url")
SKIP = ImportOptions(skip_bad_rows=True, progress=False)
STRICT = ImportOptions(progress=False)
CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n"} | {chr(c) for c in range(0x7F, 0xA0)}
MARKUP = '<script>alert("x")</script> & {{7*7}} <!channel>'

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.text(st.characters(categories=["Cc", "Cf", "Zs"]), max_size=10) | st.just(MARKUP),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
words = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=20)
good = st.fixed_dictionaries(
    {"item_id": words, "title": st.builds(lambda t, m: f"{t} {m}" if m else t, words, st.sampled_from(["", MARKUP]))},
    optional={"year": st.integers(1900, 2020), "genres": st.lists(words, max_size=3), "popularity": st.floats(0, 1e6),
              "description": st.text(max_size=50)},
).map(lambda row: ("good", json.dumps(row)))
bad = st.one_of(
    st.text(max_size=40).filter(lambda t: t.strip() and not t.strip().startswith(("{", "[", '"')) and "\n" not in t
                                and "\r" not in t and not _is_json(t)),
    st.builds(lambda v: json.dumps([v]), values),
    st.builds(lambda t: json.dumps({"title": t}), words),
    st.builds(lambda i: json.dumps({"item_id": i}), words),
    st.builds(lambda i: json.dumps({"item_id": "x" * 65 + i, "title": "t"}), words),
    st.builds(lambda i, y: json.dumps({"item_id": i, "title": "t", "year": y}), words,
              st.sampled_from(["soon", 1.5, 99999, -3, "19 95"])),
).map(lambda line: ("bad", line))
random_row = st.builds(lambda row: ("any", json.dumps(row)), st.dictionaries(
    st.sampled_from(["item_id", "title", "year", "genres", "people", "description", "url", "popularity", "image_url",
                     "studio"]), values, max_size=8))
tricky_text = st.text(st.characters(categories=["L", "Cc", "Cf", "Cs", "Zs", "P"]), min_size=1, max_size=12)
tricky_row = st.builds(lambda row: ("any", json.dumps(row)), st.fixed_dictionaries(
    {"item_id": tricky_text, "title": tricky_text},
    optional={"popularity": st.floats() | st.sampled_from(["inf", "-inf", "nan", "1e999"]), "year": values,
              "description": tricky_text}))
rows = st.lists(st.one_of(good, good, bad, random_row, tricky_row), min_size=1, max_size=40)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _clean(value: Any) -> bool:
    return not any(c in CONTROL for c in str(value))


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.filter_too_much])
@given(lines=rows)
def test_random_rows_are_imported_or_reported_at_their_line_never_a_crash(tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("rows")
    path = folder / "catalog.jsonl"
    path.write_text("\n".join(line for _, line in lines) + "\n", encoding="utf-8")
    try:
        catalog = validate_catalog(path, MAPPING, options=SKIP)
    except ImportValidationError as error:  # every row bad: all of them reported
        assert {line for line, _ in error.problems} >= {n for n, (kind, _) in enumerate(lines, 1) if kind == "bad"}
        assert all(kind != "good" for kind, _ in lines)
        return
    report = catalog.report
    problem_lines = [line for line, _ in report.problems]
    assert report.read == len(lines) == len(catalog.items) + report.duplicates + len(problem_lines)
    assert len(set(problem_lines)) == len(problem_lines) and all(1 <= n <= len(lines) for n in problem_lines)
    for number, (kind, _) in enumerate(lines, 1):
        if kind == "bad":
            assert number in problem_lines, (number, lines[number - 1], report.problems)
        if kind == "good":
            assert number not in problem_lines, (number, lines[number - 1], report.problems)
    for item in catalog.items:
        assert _clean(item["item_id"]) and _clean(item["title"]), item
        for field in ("item_id", "title", "description"):
            item[field].encode("utf-8")  # no lone surrogate: UTF-8 databases take it
        assert item["popularity"] is None or math.isfinite(item["popularity"]), item
    if any(kind == "bad" for kind, _ in lines):  # strict mode writes nothing and names the lines
        try:
            validate_catalog(path, MAPPING, options=STRICT)
            raise AssertionError("bad rows passed strict validation")
        except ImportValidationError as error:
            assert [line for line, _ in error.problems] == problem_lines
    store = Store(f"sqlite:///{folder / 'c.db'}")
    store.migrate()
    try:
        written = import_catalog(store, path, MAPPING, options=SKIP)
        assert written.imported == len(catalog.items)
        for item in catalog.items[:5]:
            stored = store.get_item(item["item_id"])
            assert stored is not None and stored.title == item["title"]  # markup kept as text
    finally:
        store.engine.dispose()


def test_an_empty_or_blank_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text("\n \n", encoding="utf-8")
    try:
        validate_catalog(path, MAPPING, options=SKIP)
        raise AssertionError("a blank file was accepted")
    except DataSourceError as error:
        assert "no data rows" in str(error)
