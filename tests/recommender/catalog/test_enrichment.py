"""Enrichment: TMDB rows join catalog items by link, or by normalised title and year +-1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.catalog.enrichment import (
    Enrichment,
    TmdbMovie,
    coverage,
    enrich_from_tmdb,
    enrichment_path,
    match_tmdb,
    read_enrichment,
    title_key,
    title_keys,
    write_enrichment,
)
from recommender.errors import ImportValidationError
from recommender.types import Item


def movie(tmdb_id: int, title: str, year: int | None, votes: float = 10.0, **kw: object) -> TmdbMovie:
    fields: dict[str, object] = {"original_title": title, "overview": f"About {title}.", "tagline": "",
                                 "keywords": ("heist",), "genres": ("Crime",), "votes": votes}
    fields.update(kw)
    return TmdbMovie(tmdb_id=tmdb_id, title=title, year=year, **fields)  # type: ignore[arg-type]


def test_title_key_reads_catalog_sort_order_and_drops_punctuation() -> None:
    assert title_key("Godfather, The (1972)") == title_key("The Godfather") == "the godfather"
    assert title_key("Amélie (2001)") == title_key("Amelie")
    assert title_key("Fast & Furious (2009)") == title_key("Fast and Furious")
    assert title_keys("Seven (Se7en) (1995)") == ["seven", "se7en"]  # an alias in brackets is a second key


def test_match_tolerates_one_year_and_prefers_the_closest_then_most_voted() -> None:
    items = [Item("1", "Godfather, The (1972)", year=1972), Item("2", "Heat (1995)", year=1995),
             Item("3", "Hamlet (1990)", year=1990), Item("4", "Alien (1979)", year=1979)]
    movies = [movie(10, "The Godfather", 1973), movie(20, "Heat", 1986), movie(21, "Heat", 1995, votes=1),
              movie(22, "Heat", 1994, votes=99), movie(30, "Hamlet", 1992), movie(40, "Alien", 1979)]
    matched = match_tmdb(items, movies)
    assert matched["1"].tmdb_id == 10  # one year off
    assert matched["2"].tmdb_id == 21  # exact year beats more votes one year off
    assert "3" not in matched  # two years off
    assert matched["4"].tmdb_id == 40


def test_links_win_over_titles_and_yearless_items_need_a_unique_title() -> None:
    items = [Item("7", "Some Other Name (2000)", year=2000), Item("8", "Hamlet"), Item("9", "Alien")]
    movies = [movie(70, "Linked Film", 2003), movie(80, "Hamlet", 1990), movie(81, "Hamlet", 1996),
              movie(90, "Alien", 1979)]
    matched = match_tmdb(items, movies, links={"7": 70})
    assert matched["7"].tmdb_id == 70
    assert "8" not in matched
    assert matched["9"].tmdb_id == 90


def test_enrich_from_a_tmdb_csv_writes_and_reads_back(tmp_path: Path) -> None:
    csv = tmp_path / "tmdb.csv"
    keywords = json.dumps([{"id": 1, "name": "heist"}, {"id": 2, "name": "twist ending"}]).replace('"', '""')
    genres = json.dumps([{"id": 80, "name": "Crime"}]).replace('"', '""')
    csv.write_text(
        "id,title,original_title,overview,tagline,keywords,genres,release_date,vote_count\n"
        f'629,The Usual Suspects,The Usual Suspects,Five crooks meet.,The truth is out.,"{keywords}","{genres}",'
        "1995-07-19,3000\n"
        '1,Nothing Here,Nothing Here,,,"[]","[]",2001-01-01,1\n',
        encoding="utf-8",
    )
    items = [Item("50", "Usual Suspects, The (1995)", year=1995), Item("2", "Nothing Here (2001)", year=2001),
             Item("3", "Unknown (1990)", year=1990)]
    rows = enrich_from_tmdb(items, csv)
    assert [r.item_id for r in rows] == ["50"]  # a match with no text is no enrichment
    assert rows[0].description == "The truth is out. Five crooks meet."
    assert rows[0].keywords == ("heist", "twist ending")
    path = enrichment_path(tmp_path, "demo")
    assert write_enrichment(path, rows) == 1
    back = read_enrichment(path)
    assert back["50"].keywords == ("heist", "twist ending")
    assert back["50"].extra == {"source": "tmdb:629"}
    assert coverage(items, back, {"50": 3, "2": 1}) == {
        "items": 3, "enriched": 1, "coverage": 0.3333, "ratings": 4, "ratings_covered": 3,
        "rating_weighted_coverage": 0.75,
    }


def test_any_catalog_can_ship_its_own_file_and_bad_rows_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "books.jsonl"
    path.write_text('{"item_id": 7, "description": "A whale.", "keywords": "sea, obsession"}\n\n'
                    '{"item_id": "8", "keywords": ["war"], "title": "kept for people"}\n', encoding="utf-8")
    rows = read_enrichment(path)
    assert rows["7"] == Enrichment("7", "A whale.", ("sea", "obsession"))
    assert rows["8"].keywords == ("war",)
    path.write_text('{"item_id": "1", "description": "ok"}\n{"item_id": "2"}\n', encoding="utf-8")
    with pytest.raises(ImportValidationError, match="line 2: item 2: give a description or keywords"):
        read_enrichment(path)
    path.write_text('{"description": "no id"}\n', encoding="utf-8")
    with pytest.raises(ImportValidationError, match="line 1: item_id is missing"):
        read_enrichment(path)


@pytest.mark.realdata
def test_real_coverage_on_ml_latest_small(shared_data) -> None:  # type: ignore[no-untyped-def]
    """links.csv plus titles join most of the 4,803 TMDB films to ml-latest-small."""
    from recommender.catalog.enrichment import load_tmdb, read_links
    from recommender.catalog.mapping import year_from_title

    folder = shared_data("ml-latest-small")
    tmdb = load_tmdb(shared_data("tmdb-5000", "tmdb_5000_movies.csv"))
    import pandas as pd

    movies = pd.read_csv(folder / "movies.csv", dtype=str)
    items = [Item(m, t, year=year_from_title(t)) for m, t in zip(movies["movieId"], movies["title"], strict=True)]
    matched = match_tmdb(items, tmdb, read_links(folder / "links.csv"))
    assert 3400 <= len(matched) <= 4803
    assert matched["858"].title == "The Godfather"
