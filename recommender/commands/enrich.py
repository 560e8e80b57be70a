r"""Join TMDB 5000 overviews, taglines and keywords to a catalog and write its enrichment file.

  python -m recommender enrich                                   # the catalog in the database
  python -m recommender enrich --catalog ml-100k --catalog ml-latest-small \
      --report docs/evaluation/enrichment.md

Writes <var>/enrichment/<catalog>.jsonl (format: `recommender.catalog.enrichment`). The
database's catalog is written as `store.jsonl`, the file the service's free-text scorer reads.
Items match by normalised title and year +-1, ml-latest-small also through links.csv. Prints
one JSON line with the coverage per catalog (items, and weighted by ratings).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HELP = "join TMDB descriptions and keywords to a catalog (the free-text wish scorer reads them)"

CATALOGS: tuple[str, ...] = ("store", "ml-100k", "ml-latest-small")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--catalog (repeatable), --tmdb, --out-dir, --report, --no-progress, --database-url."""
    from recommender.commands.common import add_database_argument

    parser.add_argument("--catalog", action="append", choices=CATALOGS, default=None,
                        help="which catalog: the database's (store, default) or an evaluation dataset; repeatable")
    parser.add_argument("--tmdb", type=Path, default=None,
                        help="tmdb_5000_movies.csv (default: <shared data>/tmdb-5000/tmdb_5000_movies.csv)")
    parser.add_argument("--out-dir", type=Path, default=None, help="folder for the files (default <var>/enrichment)")
    parser.add_argument("--report", type=Path, default=None, help="also write the coverage as Markdown here")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_database_argument(parser)


def _catalog(name: str, settings: Any) -> tuple[list[Any], dict[str, int], dict[str, int]]:
    """Items, ratings per item id and TMDB links (ml-latest-small only) of one catalog."""
    from collections import Counter

    from recommender.catalog.enrichment import read_links

    if name == "store":
        from recommender.store.repository import Store

        store = Store(settings.resolved_database_url)
        events = store.load_interactions()
        return store.load_items(), dict(Counter(events.item_ids.tolist())), {}
    from recommender.eval.datasets import load_dataset

    data = load_dataset(name, settings)
    counts = Counter(data.item_idx.tolist())
    ratings = {item.item_id: counts.get(i, 0) for i, item in enumerate(data.items)}
    links = read_links(settings.shared_data_dir / "ml-latest-small" / "links.csv") if name == "ml-latest-small" else {}
    return data.items, ratings, links


def markdown(results: dict[str, dict[str, Any]], tmdb: Path) -> str:
    """The coverage table for docs/evaluation/enrichment.md."""
    lines = [
        "# Catalog enrichment coverage (TMDB 5000)",
        "",
        f"Source: `{tmdb.name}` (4,803 films; overview, tagline, keywords). Matched by normalised title and",
        "year +-1; ml-latest-small first through `links.csv` tmdbId. Reproduce with:",
        "",
        ("    .venv/bin/python -m recommender enrich --catalog ml-100k --catalog ml-latest-small "
        "--report docs/evaluation/enrichment.md"),
        "",
        "| catalog | items | enriched | coverage | ratings | ratings on enriched items | rating-weighted coverage |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['items']:,} | {r['enriched']:,} | {r['coverage']:.1%} | {r.get('ratings', 0):,} | "
            f"{r.get('ratings_covered', 0):,} | {r.get('rating_weighted_coverage', 0):.1%} |"
        )
    lines += ["", ("Files: `var/enrichment/<catalog>.jsonl` (not committed: derived from TMDB data, "
              "non-commercial terms; see ../shared/data/tmdb-5000/SOURCE.txt)."), ""]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Enrich each catalog, write its file, print the coverage."""
    from recommender.catalog.enrichment import coverage, enrich_from_tmdb, enrichment_path, write_enrichment
    from recommender.commands.common import settings_from

    settings = settings_from(args)
    tmdb = args.tmdb or settings.shared_data_dir / "tmdb-5000" / "tmdb_5000_movies.csv"
    results: dict[str, dict[str, Any]] = {}
    for name in args.catalog or ["store"]:
        items, ratings, links = _catalog(name, settings)
        rows = enrich_from_tmdb(items, tmdb, links, progress=not args.no_progress)
        path = args.out_dir / f"{name}.jsonl" if args.out_dir else enrichment_path(settings.var_dir, name)
        write_enrichment(path, rows)
        enriched = {r.item_id: r for r in rows}
        results[name] = {**coverage(items, enriched, ratings), "path": str(path)}
        print(f"{name}: {results[name]['enriched']:,} of {results[name]['items']:,} items enriched "
              f"({results[name]['coverage']:.1%}; {results[name].get('rating_weighted_coverage', 0):.1%} of ratings) "
              f"-> {path}", file=sys.stderr)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(markdown(results, tmdb), encoding="utf-8")
    print(json.dumps(results))
    return 0
