"""Proof that the plugin is not tied to movies: goodbooks-10k imported by the CLI, then recommended."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from recommender.config import Settings
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.types import ConversationContext

pytestmark = pytest.mark.realdata


@pytest.fixture
def books_service(
    tmp_path: Path, shared_data: Callable[..., Path]
) -> RecommenderService:
    books = shared_data("goodbooks-10k", "books.csv")
    url = f"sqlite:///{tmp_path / 'books.db'}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "recommender",
            "ingest",
            "goodbooks",
            "--path",
            str(books),
            "--database-url",
            url,
            "--no-progress",
        ],
        check=True,
        capture_output=True,
    )
    settings = Settings(
        var_dir=tmp_path, database_url=url, user_id_secret="test-secret"
    )
    return RecommenderService(store=Store(url), settings=settings)


def test_book_recommendations_with_no_code_change(
    books_service: RecommenderService,
) -> None:
    popular = books_service.recommend(
        ConversationContext(user="reader", text="recommend me a book")
    )
    assert next(ri.item.title for ri in popular.items).startswith("The Hunger Games")

    similar = books_service.recommend(
        ConversationContext(
            user="reader",
            text="like the hunger games",
            liked_titles=("The Hunger Games",),
        )
    )
    assert "1" not in [
        ri.item.item_id for ri in similar.items
    ]  # the book itself is not recommended back
    assert "Suzanne Collins" in similar.items[0].item.people
    assert (
        "similar to" in similar.items[0].reason
        and "Suzanne Collins" in similar.items[0].reason
    )

    recent = books_service.recommend(
        ConversationContext(user="reader2", text="books from the 2000s", decade="2000s")
    )
    assert recent.items and all(
        ri.item.year is not None and 2000 <= ri.item.year <= 2009 for ri in recent.items
    )

    by_author = books_service.recommend(
        ConversationContext(
            user="reader3", text="something by tolkien", people=("Tolkien",)
        )
    )
    assert by_author.items and all(
        any("Tolkien" in p for p in ri.item.people) for ri in by_author.items
    )


def test_an_author_refused_is_never_shown(books_service: RecommenderService) -> None:
    """"no Suzanne Collins" was searched for as words to have less of; with authors in the catalog
    their books are ruled out, and the summary says so."""
    from dataclasses import replace

    first = books_service.recommend(ConversationContext(user="reader4", text="recommend me a book"))
    assert any("Suzanne Collins" in p for ri in first.items for p in ri.item.people)
    ctx = replace(first.context, state=first.state, text="nothing by Suzanne Collins please")
    second = books_service.recommend(ctx)
    assert second.state is not None and second.state.exclude_people == ("Suzanne Collins",)
    assert second.items and not any("Suzanne Collins" in p for ri in second.items for p in ri.item.people)
    assert "not Suzanne Collins" in second.text
