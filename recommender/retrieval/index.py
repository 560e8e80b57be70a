"""`CatalogIndex`: the catalog as arrays, so filters and scores are vector operations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from recommender.context import normalise_title
from recommender.types import Item


@dataclass
class CatalogIndex:
    """Items plus derived arrays: years, a genre multi-hot matrix and a title matcher."""

    items: list[Item]
    position: dict[str, int] = field(init=False)
    years: np.ndarray = field(init=False)  # float, NaN when unknown
    genre_names: list[str] = field(init=False)
    genre_matrix: np.ndarray = field(init=False)  # bool [items, genres]
    titles: list[str] = field(init=False)  # normalised titles

    def __post_init__(self) -> None:
        self.position = {item.item_id: i for i, item in enumerate(self.items)}
        self.years = np.array([np.nan if it.year is None else it.year for it in self.items], dtype=float)
        self.genre_names = sorted({g for it in self.items for g in it.genres})
        column = {g: j for j, g in enumerate(self.genre_names)}
        self.genre_matrix = np.zeros((len(self.items), len(self.genre_names)), dtype=bool)
        for i, it in enumerate(self.items):
            for g in it.genres:
                self.genre_matrix[i, column[g]] = True
        self.titles = [normalise_title(it.title) for it in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def genre_mask(self, genres: Sequence[str]) -> np.ndarray:
        """Rows that have ANY of `genres`."""
        columns = [self.genre_names.index(g) for g in genres if g in self.genre_names]
        if not columns:
            return np.zeros(len(self.items), dtype=bool)
        return np.asarray(self.genre_matrix[:, columns].any(axis=1))

    def genre_share(self, genres: Sequence[str]) -> np.ndarray:
        """Per row, the share of its genres that are among `genres` (0 for a row without genres):
        Toy Story (Animation, Children's, Comedy) sits squarely in a light mood, Star Wars (five
        genres, one of them Romance) only at its edge."""
        columns = [self.genre_names.index(g) for g in genres if g in self.genre_names]
        counts = self.genre_matrix.sum(axis=1)
        inside = self.genre_matrix[:, columns].sum(axis=1) if columns else np.zeros(len(self.items))
        return np.divide(inside, counts, out=np.zeros(len(self.items)), where=counts > 0)

    def find_title(self, text: str, popularity: np.ndarray | None = None) -> int | None:
        """Best catalog row for a title the user typed, or None when nothing is close enough.

        Exact normalised matches win; among equals the more popular item wins ("Heat" the film,
        not an obscure namesake).
        """
        query = normalise_title(text)
        if not query:
            return None
        exact = [i for i, t in enumerate(self.titles) if t == query]
        if exact:
            return max(exact, key=lambda i: popularity[i] if popularity is not None else 0.0)
        if not set(query.split()) - _FUNCTION_WORDS:
            return None  # "the" of "like the matrix" is inside half the catalog's titles: no title
        matches = process.extract(query, self.titles, scorer=fuzz.WRatio, score_cutoff=86, limit=5)
        matches = [m for m in matches if _aligned(query, m[0])]
        if not matches:
            return None
        best = max(score for _, score, _ in matches)
        tied = [i for _, score, i in matches if score >= best - 1]
        return max(tied, key=lambda i: popularity[i] if popularity is not None else 0.0)


# Words that name nothing on their own: a fuzzy match made only of them is no title.
_FUNCTION_WORDS = frozenset({
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "with", "from", "by", "my", "your", "his",
    "her", "our", "their", "this", "that", "these", "those", "it", "its", "one", "ones", "some", "any",
    # pronouns, auxiliaries and question words: "when" of "when i was a kid" matched When Harry Met Sally
    "i", "me", "we", "us", "you", "he", "she", "they", "them", "is", "was", "were", "are", "be", "been", "am",
    "when", "what", "where", "who", "why", "how", "which", "while", "if", "as", "so", "but", "not", "no", "just",
})


def _aligned(query: str, title: str) -> bool:
    """Whether a fuzzy match is a misspelling, or whole words (a letter off at most) of one inside
    the other ("raiders" in "raiders of the lost ark", "heat with al pacino"), not a fragment of a
    word: WRatio's partial matching scores "ed" inside "edge of my seat" 90 (found in the
    simulator's transcripts) and "heat" inside "heated" 90."""
    if fuzz.ratio(query, title) >= 80:
        return True
    shorter, longer = sorted((query, title), key=len)
    n, words = len(shorter.split()), longer.split()
    return any(fuzz.ratio(shorter, " ".join(words[i : i + n])) >= 85 for i in range(len(words) - n + 1))
