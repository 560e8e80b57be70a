"""Ask or recommend: one informative question for a vague opener, never two in a row.

A person who has said nothing usable ("what should I watch tonight?") and has no stored taste
gets one question about the attribute that splits the likely candidates best, with quick
replies; "surprise me", any stated constraint, a stored taste, or a question asked last turn
means recommend now.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from recommender.dialogue.acts import Act, OtherOptions, RejectItems, SeenItems, Surprise
from recommender.dialogue.state import DialogueState
from recommender.phrases import era, genre_name, say
from recommender.retrieval.index import CatalogIndex
from recommender.types import Question

QUESTION_POOL = 300
"""How many of the most popular candidates the question is chosen for."""
MAX_OPTIONS = 6


def should_ask(before: DialogueState, after: DialogueState, acts: Sequence[Act], knows_taste: bool) -> bool:
    """True when the turn is a vague opener we know nothing about and we did not just ask."""
    if before.asked is not None or knows_taste or after.constrained:
        return False
    # a title refused ("i hated titanic, something different") is something to go on
    return not any(isinstance(a, (Surprise, OtherOptions, SeenItems, RejectItems)) for a in acts)


def choose_question(index: CatalogIndex, popularity: np.ndarray, state: DialogueState, lang: str = "en") -> Question:
    """Ask about the attribute with the most even split (entropy) among the likely candidates (in `lang`)."""
    rows = _pool(index, popularity, state)
    genre_counts: Counter[object] = Counter(g for r in rows for g in index.items[r].genres if g.lower() != "unknown")
    decade_counts: Counter[object] = Counter(
        year // 10 * 10 for r in rows if (year := index.items[r].year) is not None
    )
    if _entropy(decade_counts) > _entropy(genre_counts) and len(decade_counts) >= 3:
        decades = sorted((int(str(d)) for d, _ in decade_counts.most_common(MAX_OPTIONS - 1)), reverse=True)
        options = tuple(f"{d}s" for d in decades)
        return Question("era", say("ask_era", lang), options, tuple(era(d, d + 9, lang) for d in decades))
    options = tuple(str(g) for g, _ in genre_counts.most_common(MAX_OPTIONS - 1))
    if not options:
        return Question("reference", say("ask_reference", lang), ())
    return Question("genre", say("ask_genre", lang), options, tuple(genre_name(g, lang) for g in options))


def _pool(index: CatalogIndex, popularity: np.ndarray, state: DialogueState) -> list[int]:
    order = np.argsort(-popularity, kind="stable")
    shown = set(state.shown_items)
    return [int(r) for r in order[: QUESTION_POOL * 2] if index.items[int(r)].item_id not in shown][:QUESTION_POOL]


def _entropy(counts: Counter[object]) -> float:
    """Normalised entropy (0..1) of a distribution: how evenly an answer would split the pool."""
    total = sum(counts.values())
    if total == 0 or len(counts) < 2:
        return 0.0
    h = -sum(c / total * math.log(c / total) for c in counts.values())
    return h / math.log(len(counts))
