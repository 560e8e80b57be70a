"""What the LLM is told about the user and the candidates: plain facts, in the same shape every time.

Consistency (the same fields in the same order for every request) is what makes a small model's
output comparable across turns; the user's raw words are quoted as data, cut to a safe length and
stripped of the delimiters the prompts use, so they cannot close the quote and pose as instructions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from recommender.context import display_title
from recommender.types import ConversationContext, Critique, Item

MAX_REQUEST_CHARS = 500
_DELIMITERS = re.compile(r"<<<|>>>|={3,}|```")
_YEAR_SUFFIX = re.compile(r"\s*\((?:\d{4})\)\s*$")


@dataclass(frozen=True)
class QuerySummary:
    """The user's side of a turn: their words, what the service understood, critiques and tastes."""

    request: str = ""
    understood: str = ""
    genres: tuple[str, ...] = ()
    exclude_genres: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    people: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    critiques: tuple[str, ...] = ()
    liked_titles: tuple[str, ...] = ()
    disliked_titles: tuple[str, ...] = ()
    language: str = "en"  # the language the reply is written in (recommender.phrases)

    @classmethod
    def from_context(
        cls,
        ctx: ConversationContext,
        *,
        understood: str = "",
        critiques: Sequence[str] = (),
        liked_titles: Sequence[str] = (),
        disliked_titles: Sequence[str] = (),
    ) -> QuerySummary:
        """Build from the turn's effective context plus what only the service knows (profile titles)."""
        return cls(
            request=ctx.text,
            understood=understood,
            genres=tuple(ctx.genres),
            exclude_genres=tuple(ctx.exclude_genres),
            year_from=ctx.year_from,
            year_to=ctx.year_to,
            people=tuple(ctx.people),
            moods=tuple(ctx.moods),
            critiques=tuple(critiques),
            liked_titles=tuple(dict.fromkeys(tuple(ctx.liked_titles) + tuple(liked_titles))),
            disliked_titles=tuple(disliked_titles),
            language=ctx.language,
        )


def sanitise_user_text(text: str, limit: int = MAX_REQUEST_CHARS) -> str:
    """The user's words as inert data: no control characters, no prompt delimiters, bounded length."""
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text)
    cleaned = _DELIMITERS.sub(" ", cleaned)
    cleaned = re.sub(r"[ \t]+", " ", cleaned).strip()
    return cleaned[:limit] if cleaned else "(nothing typed)"


def short_title(item: Item) -> str:
    """'The Godfather' from 'Godfather, The (1972)': how people (and models) say it."""
    return _YEAR_SUFFIX.sub("", display_title(item.title)).strip()


def candidate_line(item: Item, with_id: bool = True) -> str:
    """'id=50 | Star Wars | 1977 | Action, Sci-Fi | Harrison Ford': only real attributes, '-' if none."""
    fields = [
        short_title(item),
        str(item.year) if item.year is not None else "-",
        ", ".join(item.genres) or "-",
        ", ".join(item.people[:4]) or "-",
    ]
    if with_id:
        fields.insert(0, f"id={item.item_id}")
    return " | ".join(fields)


def _listing(values: Sequence[str], limit: int = 8) -> str:
    cleaned = [sanitise_user_text(v, 120) for v in values[:limit] if v.strip()]
    return "; ".join(cleaned) if cleaned else "none"


def prompt_values(query: QuerySummary, items: Sequence[Item], *, with_ids: bool = True) -> dict[str, str]:
    """Values for the `$placeholders` of every prompt template."""
    understood = query.understood or "nothing specific"
    return {
        "request": sanitise_user_text(query.request),
        "understood": sanitise_user_text(understood, 300),
        "critiques": _listing(query.critiques),
        "liked": _listing(query.liked_titles),
        "disliked": _listing(query.disliked_titles),
        "candidates": "\n".join(candidate_line(it, with_ids) for it in items),
        "count": str(len(items)),
    }


def describe_critique(critique: Critique | None, more_like_title: str | None = None) -> tuple[str, ...]:
    """A critique in words for the prompt: ('older', 'no Horror', 'more like Toy Story')."""
    if critique is None:
        return ()
    words = []
    if critique.older:
        words.append("something older")
    if critique.newer:
        words.append("something newer")
    words += [f"no {g}" for g in critique.exclude_genres]
    if critique.more_like:
        words.append(f"more like {more_like_title or critique.more_like}")
    if critique.other_options:
        words.append("other options than those already shown")
    return tuple(words)
