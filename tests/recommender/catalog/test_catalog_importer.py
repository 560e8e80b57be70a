"""The general importer on small CSV and JSON Lines files: validation first, then one write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.catalog.importer import ImportOptions, import_catalog, validate_catalog
from recommender.catalog.mapping import ColumnMapping
from recommender.errors import DataSourceError, ImportValidationError
from recommender.store import Store

MAPPING = ColumnMapping(year="year", genres="genres", people="people", description="description", url="url",
                        popularity="popularity")
QUIET = ImportOptions(progress=False)
SKIP = ImportOptions(skip_bad_rows=True, progress=False)


def write(tmp_path: Path, name: str, text: str) -> Path:
    """A file with exactly these bytes (no newline translation)."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


GOOD_CSV = (
    "item_id,title,year,genres,people,description,url,popularity,studio\n"
    "1,Toy Story (1995),1995,Animation|Comedy,John Lasseter,Toys come alive,http://x/1,12.5,Pixar\n"
    "2,Heat (1995),1995.0,Action|Crime,\"Michael Mann, Al Pacino\",,,,\n"
    "3,Alien (1979),,Horror|Sci-Fi,,,,,Fox\n"
)


def test_good_csv_is_imported_with_defaults_and_attributes(tmp_path: Path, sqlite_store: Store) -> None:
    report = import_catalog(sqlite_store, write(tmp_path, "c.csv", GOOD_CSV), MAPPING, options=QUIET)
    assert (report.read, report.imported, report.duplicates, report.bad) == (3, 3, 0, 0)
    toy, heat, alien = (sqlite_store.get_item(i) for i in ("1", "2", "3"))
    assert toy is not None and heat is not None and alien is not None
    assert toy.genres == ("Animation", "Comedy") and toy.popularity == 12.5 and toy.url == "http://x/1"
    assert heat.year == 1995 and heat.people == ("Michael Mann", "Al Pacino") and heat.description == ""
    assert alien.year is None and alien.popularity is None
    catalog = validate_catalog(write(tmp_path, "d.csv", GOOD_CSV), MAPPING, options=QUIET)
    assert [i["attributes"] for i in catalog.items] == [{"studio": "Pixar"}, {}, {"studio": "Fox"}]


def test_duplicate_ids_keep_the_first_and_warn_with_line_numbers(tmp_path: Path, sqlite_store: Store) -> None:
    text = "item_id,title\n1,First\n2,Other\n1,Second\n"
    report = import_catalog(sqlite_store, write(tmp_path, "c.csv", text), ColumnMapping(), options=QUIET)
    assert (report.read, report.imported, report.duplicates) == (3, 2, 1)
    assert report.warnings == ["line 4: duplicate item_id '1' (first on line 2); kept the first"]
    assert sqlite_store.get_item("1").title == "First"  # type: ignore[union-attr]


def test_missing_title_is_reported_at_its_real_line_after_a_multiline_field(
    tmp_path: Path, sqlite_store: Store
) -> None:
    text = (
        "item_id,title,description\n"  # line 1
        '1,Alpha,"first line\n'  # line 2
        'second line, still row 1"\n'  # line 3
        "2,,no title here\n"  # line 4
        "\n"  # line 5: blank
        "3,Gamma,fine\n"  # line 6
        ",Delta,no id\n"  # line 7
    )
    path = write(tmp_path, "c.csv", text)
    with pytest.raises(ImportValidationError) as caught:
        import_catalog(sqlite_store, path, ColumnMapping(description="description"), options=QUIET)
    assert caught.value.problems == [(4, "title is empty (column 'title')"), (7, "item_id is empty (column 'item_id')")]
    assert "line 4: title is empty" in str(caught.value) and "nothing imported" in str(caught.value)
    assert sqlite_store.count_items() == 0


def test_crlf_line_endings_count_lines_the_same(tmp_path: Path, sqlite_store: Store) -> None:
    path = write(tmp_path, "c.csv", 'item_id,title,description\r\n1,A,"x\r\ny"\r\n2,,z\r\n')
    with pytest.raises(ImportValidationError) as caught:
        import_catalog(sqlite_store, path, ColumnMapping(description="description"), options=QUIET)
    assert [line for line, _ in caught.value.problems] == [4]


def test_bad_years_are_bad_rows_with_the_reason(tmp_path: Path, sqlite_store: Store) -> None:
    text = "item_id,title,year\n1,A,2008.0\n2,B,abc\n3,C,1750\n4,D,1995.5\n5,E,\n"
    with pytest.raises(ImportValidationError) as caught:
        import_catalog(sqlite_store, write(tmp_path, "c.csv", text), ColumnMapping(year="year"), options=QUIET)
    problems = dict(caught.value.problems)
    assert sorted(problems) == [3, 4, 5]
    assert "'abc' is not a whole number" in problems[3]
    assert "1750 is outside 1800..2100" in problems[4]
    assert "not a whole number" in problems[5]


def test_nothing_is_written_when_any_row_is_bad(tmp_path: Path, sqlite_store: Store) -> None:
    sqlite_store.upsert_items([{"item_id": "1", "title": "Old title"}])
    text = "item_id,title\n1,New title\n2,Fine\n3,\n"
    with pytest.raises(ImportValidationError):
        import_catalog(sqlite_store, write(tmp_path, "c.csv", text), ColumnMapping(), options=QUIET)
    assert sqlite_store.count_items() == 1
    assert sqlite_store.get_item("1").title == "Old title"  # type: ignore[union-attr]


def test_skip_bad_rows_imports_the_good_ones_and_reports_the_rest(tmp_path: Path, sqlite_store: Store) -> None:
    text = "item_id,title,year\n1,A,1990\n2,,1991\n3,C,nineteen\n4,D,\n4,D again,\n"
    report = import_catalog(sqlite_store, write(tmp_path, "c.csv", text), ColumnMapping(year="year"), options=SKIP)
    assert (report.read, report.imported, report.duplicates, report.bad) == (5, 2, 1, 2)
    assert [line for line, _ in report.problems] == [3, 4]
    assert sqlite_store.count_items() == 2
    assert report.to_dict()["problems"][0] == {"line": 3, "reason": "title is empty (column 'title')"}


def test_skip_bad_rows_still_fails_when_no_row_is_good(tmp_path: Path, sqlite_store: Store) -> None:
    with pytest.raises(ImportValidationError):
        import_catalog(sqlite_store, write(tmp_path, "c.csv", "item_id,title\n1,\n"), ColumnMapping(), options=SKIP)


def test_rows_with_the_wrong_number_of_fields_are_bad(tmp_path: Path, sqlite_store: Store) -> None:
    text = "item_id,title\n1,A\n2,B,extra\n3\n"
    with pytest.raises(ImportValidationError) as caught:
        import_catalog(sqlite_store, write(tmp_path, "c.csv", text), ColumnMapping(), options=QUIET)
    assert [line for line, _ in caught.value.problems] == [3, 4]
    assert "has 3 fields but the header has 2" in caught.value.problems[0][1]


def test_column_mapping_with_separators_and_chosen_attributes(tmp_path: Path, sqlite_store: Store) -> None:
    text = (
        "book_id,name,authors,tags,first_published,lang,isbn,rating\n"
        '10,Dune,"Frank Herbert, Brian Herbert",sci-fi;classic,1965,eng,0441013597,4.25\n'
        "11,Emma,Jane Austen,romance,1815.0,,,\n"
    )
    mapping = ColumnMapping(item_id="book_id", title="name", people="authors", people_sep=", ", genres="tags",
                            genre_sep=";", year="first_published", attributes=("lang", "isbn", "rating"),
                            numeric_attributes=("rating",))
    catalog = validate_catalog(write(tmp_path, "b.csv", text), mapping, options=QUIET)
    dune, emma = catalog.items
    assert dune["people"] == ["Frank Herbert", "Brian Herbert"] and dune["genres"] == ["sci-fi", "classic"]
    assert dune["attributes"] == {"lang": "eng", "isbn": "0441013597", "rating": 4.25}
    assert emma["year"] == 1815 and emma["attributes"] == {}


def test_a_mapped_column_missing_from_the_header_is_named(tmp_path: Path, sqlite_store: Store) -> None:
    path = write(tmp_path, "c.csv", "id,name\n1,A\n")
    expected = r"'item_id' \(for item_id\).*'title' \(for title\).*columns are: id, name"
    with pytest.raises(DataSourceError, match=expected):
        import_catalog(sqlite_store, path, ColumnMapping(), options=QUIET)


def test_missing_file_and_empty_file_are_clear_errors(tmp_path: Path, sqlite_store: Store) -> None:
    with pytest.raises(DataSourceError, match="no such file"):
        import_catalog(sqlite_store, tmp_path / "nope.csv", ColumnMapping(), options=QUIET)
    with pytest.raises(DataSourceError, match="no data rows"):
        import_catalog(sqlite_store, write(tmp_path, "h.csv", "item_id,title\n"), ColumnMapping(), options=QUIET)
    with pytest.raises(DataSourceError, match="--format"):
        import_catalog(sqlite_store, write(tmp_path, "c.txt", "item_id,title\n1,A\n"), ColumnMapping(), options=QUIET)


def test_jsonl_rows_keep_types_and_bad_lines_get_their_numbers(tmp_path: Path, sqlite_store: Store) -> None:
    lines = [
        json.dumps({"id": 1, "name": "A", "tags": ["x", "y"], "year": 2001, "meta": {"k": 1}}),  # 1
        "",  # 2: blank
        "{not json",  # 3
        json.dumps({"id": 2, "name": ""}),  # 4
        json.dumps([1, 2]),  # 5
        json.dumps({"id": 3, "name": "C", "year": "2008.0"}),  # 6
    ]
    path = write(tmp_path, "c.jsonl", "\n".join(lines) + "\n")
    mapping = ColumnMapping(item_id="id", title="name", genres="tags", year="year")
    with pytest.raises(ImportValidationError) as caught:
        import_catalog(sqlite_store, path, mapping, options=QUIET)
    assert [line for line, _ in caught.value.problems] == [3, 4, 5]
    report = import_catalog(sqlite_store, path, mapping, options=SKIP)
    assert (report.read, report.imported, report.bad) == (5, 2, 3)
    one = sqlite_store.get_item("1")
    assert one is not None and one.genres == ("x", "y") and one.year == 2001
    assert sqlite_store.get_item("3").year == 2008  # type: ignore[union-attr]


def test_reimport_updates_items_in_place(tmp_path: Path, sqlite_store: Store) -> None:
    import_catalog(sqlite_store, write(tmp_path, "a.csv", "item_id,title\n1,A\n2,B\n"), ColumnMapping(), options=QUIET)
    before = sqlite_store.catalog_fingerprint()
    report = import_catalog(sqlite_store, write(tmp_path, "b.csv", "item_id,title\n2,B2\n3,C\n"), ColumnMapping(),
                            options=QUIET)
    assert report.imported == 2 and sqlite_store.count_items() == 3
    assert sqlite_store.get_item("2").title == "B2"  # type: ignore[union-attr]
    assert sqlite_store.catalog_fingerprint() != before


def test_utf8_bom_is_ignored_and_bad_encoding_is_reported(tmp_path: Path, sqlite_store: Store) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffitem_id,title\n1,Amélie\n".encode())
    assert import_catalog(sqlite_store, bom, ColumnMapping(), options=QUIET).imported == 1
    latin = tmp_path / "latin.csv"
    latin.write_bytes("item_id,title\n1,A\n2,Amélie\n".encode("latin-1"))
    with pytest.raises(ImportValidationError, match="line 3: not UTF-8"):
        import_catalog(sqlite_store, latin, ColumnMapping(), options=QUIET)


@pytest.mark.postgres
def test_importer_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    store = Store(postgres_url)
    try:
        store.migrate()
        report = import_catalog(store, write(tmp_path, "c.csv", GOOD_CSV), MAPPING, options=QUIET)
        assert report.imported == 3 and store.count_items() == 3
        assert store.get_item("2").people == ("Michael Mann", "Al Pacino")  # type: ignore[union-attr]
        with pytest.raises(ImportValidationError):
            import_catalog(store, write(tmp_path, "bad.csv", "item_id,title\n1,Changed\n9,\n"), ColumnMapping(),
                           options=QUIET)
        assert store.get_item("1").title == "Toy Story (1995)"  # type: ignore[union-attr]
        report = import_catalog(store, write(tmp_path, "more.csv", "item_id,title\n1,Changed\n4,New\n"),
                                ColumnMapping(), options=QUIET)
        assert store.count_items() == 4 and store.get_item("1").title == "Changed"  # type: ignore[union-attr]
    finally:
        store.engine.dispose()
