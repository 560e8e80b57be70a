r"""Import a catalog (and, for datasets that have them, users and ratings) into the database.

  python -m recommender ingest movielens100k
  python -m recommender ingest goodbooks --path ../shared/data/goodbooks-10k/books.csv
  python -m recommender ingest file books.csv --map item_id=book_id --map title=title \
      --map people=authors --people-sep ", " --map year=original_publication_year

The whole file is checked first; bad rows are listed with their line numbers and nothing is
written, unless --skip-bad-rows is given. Migrations run first. A short summary goes to stderr
and a one-line JSON report to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from recommender.catalog.mapping import MAPPED_FIELDS, ColumnMapping
from recommender.commands.common import add_database_argument, settings_from
from recommender.errors import (
    ConfigurationError,
    ImportValidationError,
    RecommenderError,
)
from recommender.store.db import safe_url

HELP = "import a catalog: movielens100k, goodbooks, ml-latest-small, or any CSV / JSON Lines file"


def _common(parser: argparse.ArgumentParser) -> None:
    add_database_argument(parser)
    parser.add_argument("--skip-bad-rows", action="store_true",
                        help="import the good rows even if some are bad (bad rows are still reported)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (none is shown off a terminal)")


def _field_map(text: str) -> tuple[str, str]:
    field, sep, column = text.partition("=")
    field, column = field.strip(), column.strip()
    if not sep or field not in MAPPED_FIELDS or not column:
        raise argparse.ArgumentTypeError(
            f"{text!r}: write FIELD=COLUMN with FIELD one of {', '.join(MAPPED_FIELDS)} (e.g. item_id=book_id)"
        )
    return field, column


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-subcommand per preset, plus `file` for any CSV / JSON Lines catalog."""
    from recommender.catalog.presets import PRESETS

    sources = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)
    for preset in PRESETS.values():
        sub = sources.add_parser(preset.name, help=preset.help, description=preset.help)
        sub.add_argument("--path", type=Path, default=None,
                         help="where the data is (file or folder); default: the usual location")
        _common(sub)
    sub = sources.add_parser("file", help="a CSV or JSON Lines catalog with a column mapping",
                             description="Import any CSV or JSON Lines catalog. Unmapped columns are kept as "
                             "item attributes.")
    sub.add_argument("path", type=Path, metavar="PATH")
    sub.add_argument("--format", choices=("csv", "jsonl"), default=None, help="default: from the file name")
    sub.add_argument("--map", dest="mapping", type=_field_map, action="append", default=[], metavar="FIELD=COLUMN",
                     help=f"source column of an item field ({', '.join(MAPPED_FIELDS)}); "
                     "default item_id=item_id, title=title; repeat for each field")
    sub.add_argument("--genre-sep", default="|", help='separator inside the genres column (default "|")')
    sub.add_argument("--people-sep", default=",", help='separator inside the people column (default ",")')
    sub.add_argument("--ignore-genre", action="append", default=[], metavar="VALUE",
                     help='a genres value that means none, e.g. "(no genres listed)"')
    sub.add_argument("--year-from-title", action="store_true", help='take the year from a title ending in "(1995)"')
    sub.add_argument("--year-min", type=int, default=1800, help="earliest plausible year (default 1800)")
    sub.add_argument("--year-max", type=int, default=2100, help="latest plausible year (default 2100)")
    sub.add_argument("--attr", action="append", default=None, metavar="COLUMN",
                     help="keep only these extra columns as attributes (default: every unmapped column)")
    sub.add_argument("--numeric-attr", action="append", default=[], metavar="COLUMN",
                     help="store this attribute as a number")
    sub.add_argument("--no-attributes", action="store_true", help="keep no extra columns")
    sub.add_argument("--delimiter", default=",", help='CSV field delimiter (default ","; "\\t" for TSV)')
    sub.add_argument("--name", default=None, help="name of the source in reports (default: the path)")
    _common(sub)


def _mapping(args: argparse.Namespace) -> ColumnMapping:
    from pydantic import ValidationError

    attributes = () if args.no_attributes else (tuple(args.attr) if args.attr is not None else None)
    try:
        return ColumnMapping(
            **dict(args.mapping),
            genre_sep=args.genre_sep,
            people_sep=args.people_sep,
            ignore_genres=tuple(args.ignore_genre),
            year_from_title=args.year_from_title,
            year_min=args.year_min,
            year_max=args.year_max,
            attributes=attributes,
            numeric_attributes=tuple(args.numeric_attr),
        )
    except ValidationError as exc:
        reasons = "; ".join(e["msg"] for e in exc.errors())
        raise ConfigurationError(f"invalid column mapping: {reasons}") from None


def run(args: argparse.Namespace) -> int:
    """Migrate, import, print the summary (stderr) and the JSON report (stdout)."""
    from recommender.catalog.importer import ImportOptions, import_catalog
    from recommender.catalog.presets import PRESETS
    from recommender.store import get_store

    settings = settings_from(args)
    options = ImportOptions(skip_bad_rows=args.skip_bad_rows, progress=not args.no_progress)
    try:
        store = get_store(settings)  # migrates
        if args.source == "file":
            delimiter = "\t" if args.delimiter in ("\\t", "tab") else args.delimiter
            report = import_catalog(store, args.path, _mapping(args), fmt=args.format, delimiter=delimiter,
                                    source=args.name, options=options)
        else:
            report = PRESETS[args.source].run(store, settings, args.path, options)
    except ImportValidationError as exc:
        problems = [{"line": line, "reason": reason} for line, reason in exc.problems[:50]]
        print(json.dumps({"ok": False, "source": exc.source, "bad": len(exc.problems), "problems": problems}))
        raise
    except RecommenderError as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
        raise
    print(report.summary(), file=sys.stderr)
    print(json.dumps({"ok": True, **report.to_dict(), "database": safe_url(settings.resolved_database_url)}))
    return 0
