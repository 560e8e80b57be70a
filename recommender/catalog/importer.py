"""Import a catalog from CSV or JSON Lines: validate the whole file first, then write it in one transaction.

    report = import_catalog(store, Path("books.csv"), ColumnMapping(item_id="book_id", title="title"))

Bad rows (no id, no title, an implausible year, ...) are collected with their line numbers; if there
are any, `ImportValidationError` lists them all and nothing is written, unless `skip_bad_rows` is set,
in which case the good rows are written and the bad ones are still reported.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from recommender.catalog.mapping import ColumnMapping, convert_row
from recommender.catalog.progress import progress_bar
from recommender.catalog.readers import (
    FileFormat,
    RawRow,
    csv_columns,
    guess_format,
    read_csv,
    read_jsonl,
)
from recommender.errors import DataSourceError, ImportValidationError
from recommender.store import Store


@dataclass(frozen=True)
class ImportOptions:
    """How strict and how chatty an import is."""

    skip_bad_rows: bool = False
    progress: bool = True  # a bar on stderr, shown only when stderr is a terminal


@dataclass
class ImportReport:
    """Counts and messages of one import; `to_dict()` is what the CLI prints as JSON."""

    source: str
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    bad: int = 0
    users: int = 0
    feedback: int = 0
    feedback_replaced: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)

    def to_dict(self, max_messages: int = 50) -> dict[str, Any]:
        """A JSON-ready dict; long message lists are cut to `max_messages` (totals stay exact)."""
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["warnings"] = self.warnings[:max_messages]
        data["problems"] = [{"line": line, "reason": reason} for line, reason in self.problems[:max_messages]]
        data["warnings_total"] = len(self.warnings)
        return data

    def summary(self, max_messages: int = 10) -> str:
        """A few lines for a person: what was written, then the first warnings and skipped rows."""
        parts = [f"{self.imported} items"]
        if self.users:
            parts.append(f"{self.users} new users")
        if self.feedback or self.feedback_replaced:
            parts.append(f"{self.feedback} feedback events (replaced {self.feedback_replaced})")
        head = (
            f"{self.source}: imported {', '.join(parts)} in {self.seconds:.1f} s "
            f"({self.read} rows read, {self.duplicates} duplicates, {self.bad} bad rows skipped)"
        )
        lines = [head]
        lines += [f"  skipped line {line}: {reason}" for line, reason in self.problems[:max_messages]]
        lines += [f"  warning: {w}" for w in self.warnings[:max_messages]]
        hidden = max(0, len(self.problems) - max_messages) + max(0, len(self.warnings) - max_messages)
        if hidden:
            lines.append(f"  ... {hidden} more (see the JSON report)")
        return "\n".join(lines)


@dataclass
class ValidatedCatalog:
    """Items that passed validation, ready to write, with the report so far."""

    items: list[dict[str, Any]]
    report: ImportReport


def _raw_rows(path: Path, fmt: FileFormat, delimiter: str, options: ImportOptions) -> Iterator[RawRow]:
    bar = progress_bar(total=path.stat().st_size, desc=f"reading {path.name}", unit="B", enabled=options.progress,
                       unit_scale=True)
    try:
        if fmt == "csv":
            yield from read_csv(path, delimiter, on_bytes=bar.update)
        else:
            yield from read_jsonl(path, on_bytes=bar.update)
    finally:
        bar.close()


def _check_columns(path: Path, mapping: ColumnMapping, columns: list[str]) -> None:
    """Every mapped or requested column must be in the CSV header: a typo there would empty a field."""
    wanted = [(f"{name}", column) for name, column in mapping.mapped_columns().items()]
    wanted += [("attributes", c) for c in mapping.attributes or ()]
    missing = [(name, column) for name, column in wanted if column not in columns]
    if missing:
        listed = ", ".join(f"{column!r} (for {name})" for name, column in missing)
        raise DataSourceError(
            f"{path}: column(s) {listed} not in the header; the columns are: {', '.join(columns)}. "
            "Fix the mapping, e.g. --map title=<column>."
        )


def validate_catalog(
    path: Path,
    mapping: ColumnMapping,
    *,
    fmt: FileFormat | None = None,
    delimiter: str = ",",
    source: str | None = None,
    options: ImportOptions = ImportOptions(),
) -> ValidatedCatalog:
    """Read and check the whole file; raise `ImportValidationError` on bad rows unless skipping them.

    Duplicated item ids keep the first row; later ones become warnings with both line numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise DataSourceError(f"{path}: no such file; check the path (or pass --path)")
    fmt = fmt or guess_format(path)
    report = ImportReport(source=source or str(path))
    attribute_columns: list[str] = []
    if fmt == "csv":
        columns = csv_columns(path, delimiter)
        _check_columns(path, mapping, columns)
        attribute_columns = mapping.attribute_columns(columns)
    seen_keys: set[str] = set()
    first_line: dict[str, int] = {}
    items: list[dict[str, Any]] = []
    for row in _raw_rows(path, fmt, delimiter, options):
        report.read += 1
        if row.error is not None:
            report.problems.append((row.line, row.error))
            continue
        if fmt == "jsonl":
            seen_keys.update(row.values)
            attribute_columns = mapping.attribute_columns(list(row.values))
        try:
            item = convert_row(row.values, mapping, attribute_columns)
        except ValueError as exc:
            report.problems.append((row.line, str(exc)))
            continue
        item_id = item["item_id"]
        if item_id in first_line:
            report.duplicates += 1
            report.warnings.append(
                f"line {row.line}: duplicate item_id {item_id!r} (first on line {first_line[item_id]}); kept the first"
            )
            continue
        first_line[item_id] = row.line
        items.append(item)
    if report.read == 0:
        raise DataSourceError(f"{path}: no data rows; the file holds no catalog items")
    if fmt == "jsonl":
        for name, column in mapping.mapped_columns().items():
            if column not in seen_keys:
                report.warnings.append(f"key {column!r} (for {name}) appears in no row; {name} left empty")
    report.bad = len(report.problems)
    if report.problems and (not options.skip_bad_rows or not items):
        raise ImportValidationError(report.source, report.problems)
    return ValidatedCatalog(items=items, report=report)


def write_dataset(
    store: Store,
    catalog: ValidatedCatalog,
    *,
    users: Sequence[Mapping[str, Any]] = (),
    feedback: Sequence[Mapping[str, Any]] = (),
    feedback_source: str | None = None,
    options: ImportOptions = ImportOptions(),
) -> ImportReport:
    """Write validated items (and optionally users and one source's feedback) in one transaction."""
    report = catalog.report
    total = len(catalog.items) + len(feedback)
    with progress_bar(total=total, desc=f"writing {report.source}", enabled=options.progress) as bar:
        counts = store.import_dataset(
            items=catalog.items,
            users=users,
            feedback=feedback,
            feedback_source=feedback_source,
            on_progress=bar.update,
        )
    report.imported = counts.items_inserted + counts.items_updated
    report.users = counts.users_inserted
    report.feedback = counts.feedback_inserted
    report.feedback_replaced = counts.feedback_deleted
    return report


def import_catalog(
    store: Store,
    path: Path,
    mapping: ColumnMapping,
    *,
    fmt: FileFormat | None = None,
    delimiter: str = ",",
    source: str | None = None,
    options: ImportOptions = ImportOptions(),
) -> ImportReport:
    """Validate `path` with `mapping`, then write its items; see the module docstring for the rules."""
    started = time.perf_counter()
    catalog = validate_catalog(path, mapping, fmt=fmt, delimiter=delimiter, source=source, options=options)
    report = write_dataset(store, catalog, options=options)
    report.seconds = time.perf_counter() - started
    return report
