"""Optional item enrichment: descriptions and keywords joined to any catalog, kept in one file.

Why: free-text wishes ("a heist with a twist") can only reach items whose text says what they
are about, and MovieLens carries titles and genres only. TMDB 5000 has overviews, taglines and
keywords for ~4,800 films; this module joins them to a catalog and writes the result in a
small, general format that any catalog can also ship on its own.

Enrichment file (JSON Lines, UTF-8, one object per line, `var/enrichment/<catalog>.jsonl`):

    {"item_id": "50", "description": "...", "keywords": ["heist", "twist ending"], "source": "tmdb:629"}

- `item_id` (string, required): the catalog's item id;
- `description` (string): free text about the item (overview, tagline, blurb);
- `keywords` (list of strings): short topic labels;
- any other key (`source`, `title`, ...) is kept for people and ignored by the code.

A row without a description and without keywords is pointless and rejected; a bad line is
reported with its line number. Matching to TMDB: for ml-latest-small through links.csv's
tmdbId first, then for every catalog by normalised title (`recommender.context.normalise_title`,
so "Godfather, The (1972)" matches "The Godfather") and release year within +-1 (catalog and
TMDB years disagree by one for festival-vs-release dates); among several candidates the closest
year, then the most voted film wins.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recommender.atomic import atomic_file
from recommender.context import normalise_title
from recommender.errors import DataSourceError, ImportValidationError
from recommender.types import Item

logger = logging.getLogger(__name__)

ENRICHMENT_SUFFIX = ".jsonl"
_YEAR = re.compile(r"^(\d{4})")


@dataclass(frozen=True)
class Enrichment:
    """What an enrichment file says about one item."""

    item_id: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The file's row for this item."""
        return {"item_id": self.item_id, "description": self.description, "keywords": list(self.keywords),
                **dict(self.extra)}


@dataclass(frozen=True)
class TmdbMovie:
    """The fields of one TMDB 5000 row that enrichment uses."""

    tmdb_id: int
    title: str
    original_title: str
    year: int | None
    overview: str
    tagline: str
    keywords: tuple[str, ...]
    genres: tuple[str, ...]
    votes: float

    def enrichment(self, item_id: str) -> Enrichment:
        """This film's text as the enrichment of catalog item `item_id`."""
        parts = [p.strip() for p in (self.tagline, self.overview) if p and p.strip()]
        return Enrichment(item_id, " ".join(parts), self.keywords, {"source": f"tmdb:{self.tmdb_id}"})


def title_key(title: str) -> str:
    """Title as a join key: normalised ('Godfather, The (1972)' -> 'the godfather'), accents and
    punctuation dropped, '&' read as 'and'."""
    text = unicodedata.normalize("NFKD", normalise_title(title))
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def title_keys(title: str) -> list[str]:
    """The title's key, then the keys of aliases in its brackets ('Seven (Se7en) (1995)' -> 'se7en')."""
    keys = [title_key(title)]
    for alias in re.findall(r"\(([^()]*[^\d()][^()]*)\)", title):
        key = title_key(re.sub(r"^(a\.k\.a\.|aka)\s+", "", alias.strip(), flags=re.IGNORECASE))
        if key and key not in keys:
            keys.append(key)
    return keys


def _names(value: Any) -> tuple[str, ...]:
    """TMDB's JSON list of {id, name} as names; empty for missing or malformed cells."""
    if not isinstance(value, str) or not value.strip():
        return ()
    try:
        rows = json.loads(value)
    except json.JSONDecodeError:
        return ()
    return tuple(str(r["name"]).strip() for r in rows if isinstance(r, dict) and r.get("name"))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def load_tmdb(path: Path) -> list[TmdbMovie]:
    """Every film of tmdb_5000_movies.csv; a clear error when the file is missing."""
    import pandas as pd

    if not path.is_file():
        raise DataSourceError(f"{path}: no such file; set RECSYS_SHARED_DATA_DIR to the folder holding tmdb-5000/")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    movies = []
    for row in frame.to_dict("records"):
        match = _YEAR.match(_text(row.get("release_date")))
        try:
            votes = float(row.get("vote_count") or 0)
        except ValueError:
            votes = 0.0
        movies.append(TmdbMovie(
            tmdb_id=int(row["id"]), title=_text(row.get("title")), original_title=_text(row.get("original_title")),
            year=int(match.group(1)) if match else None, overview=_text(row.get("overview")),
            tagline=_text(row.get("tagline")), keywords=_names(row.get("keywords")), genres=_names(row.get("genres")),
            votes=votes,
        ))
    return movies


def read_links(path: Path) -> dict[str, int]:
    """ml-latest-small links.csv: movieId -> tmdbId (rows without a tmdbId left out)."""
    import pandas as pd

    if not path.is_file():
        return {}
    frame = pd.read_csv(path, dtype={"movieId": str, "tmdbId": "Int64"}).dropna(subset=["tmdbId"])
    return dict(zip(frame["movieId"].tolist(), (int(t) for t in frame["tmdbId"].tolist()), strict=True))


def match_tmdb(
    items: Sequence[Item], movies: Sequence[TmdbMovie], links: Mapping[str, int] | None = None,
    *, progress: bool = False,
) -> dict[str, TmdbMovie]:
    """item_id -> its TMDB film: by link id where given, else by title key and year +-1.

    Items without a year match on title only when exactly one TMDB film has that title, so
    "Hamlet" never picks one of several Hamlets by chance.
    """
    from tqdm import tqdm

    by_id = {m.tmdb_id: m for m in movies}
    by_title: dict[str, list[TmdbMovie]] = {}
    for movie in movies:
        for key in {title_key(movie.title), title_key(movie.original_title)} - {""}:
            by_title.setdefault(key, []).append(movie)
    matched: dict[str, TmdbMovie] = {}
    for item in tqdm(items, desc="matching titles", unit="item", disable=not progress, leave=False):
        linked = by_id.get(links[item.item_id]) if links and item.item_id in links else None
        if linked is not None:
            matched[item.item_id] = linked
            continue
        candidates = next((by_title[k] for k in title_keys(item.title) if k in by_title), [])
        if item.year is None:
            if len(candidates) == 1:
                matched[item.item_id] = candidates[0]
            continue
        year = item.year
        close = [m for m in candidates if m.year is not None and abs(m.year - year) <= 1]
        if close:
            matched[item.item_id] = min(close, key=lambda m: (abs((m.year or 0) - year), -m.votes))
    return matched


def enrich_from_tmdb(
    items: Sequence[Item], tmdb_path: Path, links: Mapping[str, int] | None = None, *, progress: bool = False
) -> list[Enrichment]:
    """Enrichment rows for the items TMDB 5000 knows, in catalog order."""
    matched = match_tmdb(items, load_tmdb(tmdb_path), links, progress=progress)
    rows = [matched[it.item_id].enrichment(it.item_id) for it in items if it.item_id in matched]
    return [r for r in rows if r.description or r.keywords]


def write_enrichment(path: Path, rows: Iterable[Enrichment]) -> int:
    """Write rows as JSON Lines under a temporary name, then rename into place; how many rows."""
    count = 0
    with atomic_file(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row.to_json(), ensure_ascii=False) + "\n")
            count += 1
    return count


class _BadRowError(Exception):
    """One enrichment row is unusable; the message says why (collected with its line number)."""


def _parse_line(line: str) -> Enrichment:
    """One row; _BadRowError with the reason when it is not a valid enrichment row."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _BadRowError(f"not valid JSON ({exc.msg})") from exc
    if not isinstance(raw, dict):
        raise _BadRowError("expected an object with item_id, description, keywords")
    item_id = raw.pop("item_id", None)
    if item_id is None or str(item_id).strip() == "":
        raise _BadRowError("item_id is missing; every row names the catalog item it describes")
    description = raw.pop("description", "") or ""
    keywords = raw.pop("keywords", []) or []
    if not isinstance(description, str):
        raise _BadRowError(f"item {item_id}: description must be a string")
    if isinstance(keywords, str):
        keywords = [k for k in (p.strip() for p in keywords.split(",")) if k]
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise _BadRowError(f"item {item_id}: keywords must be a list of strings (or one comma-separated string)")
    if not description.strip() and not keywords:
        raise _BadRowError(f"item {item_id}: give a description or keywords (or drop the row)")
    return Enrichment(str(item_id).strip(), description.strip(), tuple(k.strip() for k in keywords if k.strip()), raw)


def read_enrichment(path: Path) -> dict[str, Enrichment]:
    """item_id -> Enrichment from a JSON Lines file; any bad row stops it, every bad line is listed."""
    rows: dict[str, Enrichment] = {}
    problems: list[tuple[int, str]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = _parse_line(line)
            except _BadRowError as exc:
                problems.append((number, str(exc)))
            else:
                rows[row.item_id] = row
    if problems:
        raise ImportValidationError(str(path), problems)
    return rows


def enrichment_path(var_dir: Path, catalog: str) -> Path:
    """Where catalog `catalog`'s enrichment file lives: <var>/enrichment/<catalog>.jsonl."""
    return var_dir / "enrichment" / f"{catalog}{ENRICHMENT_SUFFIX}"


def coverage(
    items: Sequence[Item], enriched: Mapping[str, Enrichment], rating_counts: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """Share of catalog items with enrichment, plain and weighted by each item's number of ratings."""
    hit = sum(1 for it in items if it.item_id in enriched)
    out: dict[str, Any] = {"items": len(items), "enriched": hit, "coverage": round(hit / max(len(items), 1), 4)}
    if rating_counts is not None:
        total = sum(rating_counts.get(it.item_id, 0) for it in items)
        covered = sum(rating_counts.get(it.item_id, 0) for it in items if it.item_id in enriched)
        out.update({"ratings": total, "ratings_covered": covered,
                    "rating_weighted_coverage": round(covered / max(total, 1), 4)})
    return out
