"""One feedback vocabulary: its rules, and a guard that no other module names a kind."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

from recommender import feedback as fb
from recommender.models.action_log import action_sequences
from recommender.profile import build_profile
from recommender.store.repository import ConversationEvent, Interactions
from recommender.training.data import event_values

ROOT = Path(__file__).resolve().parents[2]
# Strings equal to a kind's name that mean something else: the Rasa entity and dataset column
# "rating" (a number, not a kind), and English words in the dialogue lexicon's word lists.
NOT_A_KIND = {
    ("recommender/actions/_context.py", "rating"),
    ("recommender/eval/replay.py", "rating"),
    ("rasa_addons/telegram_callback.py", "rating"),  # the entity, in the Telegram button codec
    ("recommender/dialogue/wish.py", "like"),
    ("recommender/dialogue/negation.py", "dislike"),
}


def _kind_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    column_lookups = {
        id(node.slice) for node in ast.walk(tree) if isinstance(node, ast.Subscript)
    }  # frame["rating"], record["rating"]: a column, not a kind
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in fb.KINDS and id(node) not in column_lookups
    ]


def test_no_module_but_the_vocabulary_names_a_feedback_kind() -> None:
    offenders = []
    for package in ("recommender", "rasa_addons"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == "recommender/feedback.py":
                continue
            offenders += [f"{rel}:{line}: {value!r}" for line, value in _kind_literals(path)
                          if (rel, value) not in NOT_A_KIND]
    assert not offenders, "name kinds through recommender.feedback, not as strings:\n" + "\n".join(offenders)


def test_the_guard_sees_a_kind_written_as_a_string(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('POSITIVE = ("like", "bookmark")\nframe["rating"]\n')
    assert [value for _, value in _kind_literals(module)] == ["like", "bookmark"]


def test_every_kind_is_fully_described() -> None:
    for name, spec in fb.KINDS.items():
        assert spec.name == name
        assert spec.words, name
        assert "{title}" in spec.acknowledgement
        assert spec.value is None or 1.0 <= spec.value <= 5.0
    assert set(fb.ACTIONS) == {fb.IGNORE_ACTION, *fb.ACTION_OF_KIND.values()}
    assert fb.UNBOOKMARK not in fb.ACTION_OF_KIND and not fb.KINDS[fb.UNBOOKMARK].interaction


@pytest.mark.parametrize(
    ("kind", "value", "positive"),
    [(fb.LIKE, None, True), (fb.BOOKMARK, None, True), (fb.CLICK, None, True), (fb.RATING, 4.0, True),
     (fb.RATING, 3.5, False), (fb.RATING, None, False), (fb.RATING, math.nan, False), (fb.DISLIKE, None, False),
     (fb.UNBOOKMARK, None, False), ("shrug", None, False)],
)
def test_what_counts_as_positive(kind: str, value: float | None, positive: bool) -> None:
    assert fb.is_positive(kind, value, like_threshold=4.0) is positive


def test_a_bookmark_weighs_the_same_everywhere() -> None:
    """The profile, the training data and the serving signals once gave a bookmark 3.0, NaN and 4.0."""
    alone = build_profile([("i1", fb.BOOKMARK, None)], like_threshold=4.0)
    assert dict(alone.history) == {"i1": fb.KINDS[fb.BOOKMARK].value}
    events = Interactions(
        user_ids=np.array(["u", "u", "u"], dtype=object), item_ids=np.array(["i1", "i2", "i2"], dtype=object),
        kinds=np.array([fb.BOOKMARK, fb.LIKE, fb.BOOKMARK], dtype=object), values=np.full(3, np.nan),
        timestamps=np.arange(3.0),
    )
    values = event_values(events)
    assert values[0] == fb.KINDS[fb.BOOKMARK].value and values[1] == 5.0
    assert np.isnan(values[2])  # a save after a like keeps the like
    after_like = build_profile([("i2", fb.LIKE, None), ("i2", fb.BOOKMARK, None)], like_threshold=4.0)
    assert dict(after_like.history) == {"i2": 5.0} and after_like.bookmarked == ("i2",)


def test_profile_folds_opinions_latest_first() -> None:
    profile = build_profile(
        [("a", fb.LIKE, None), ("b", fb.BOOKMARK, None), ("b", fb.DISLIKE, None), ("c", fb.RATING, 3.0),
         ("d", fb.RATING, 5.0), ("d", fb.RATING, 3.0), ("e", fb.CLICK, None), ("f", fb.BOOKMARK, None),
         ("f", fb.UNBOOKMARK, None)],
        like_threshold=4.0,
    )
    assert profile.liked == ("a",)
    assert profile.disliked == ("b",)
    assert profile.bookmarked == ()
    assert profile.ratings == {"c": 3.0, "d": 3.0}
    assert dict(profile.history) == {"a": 5.0, "b": 1.0, "c": 3.0, "d": 3.0, "e": fb.NEUTRAL_VALUE, "f": 4.0}
    assert profile.seen == ("a", "b", "c", "d", "e", "f")


def test_action_log_pairs_each_impression_with_its_first_answer() -> None:
    shown = [ConversationEvent(1.0, "s", item, None, pos, pos) for pos, item in enumerate(("x", "y"))]
    answers = [ConversationEvent(2.0, "s", "y", fb.RATING, 0, 10), ConversationEvent(3.0, "s", "y", fb.UNBOOKMARK, 0, 11),
               ConversationEvent(4.0, "s", "z", fb.LIKE, 0, 12)]
    [(session, steps)] = action_sequences(shown + answers).items()
    assert session == "s"
    assert [(s.item_id, s.action) for s in steps] == [("x", fb.IGNORE_ACTION), ("y", "rate"), ("z", "like")]


def test_acknowledgement_names_the_item() -> None:
    assert fb.acknowledgement(fb.RATING, "Heat (1995)", 4.0) == "Thanks! You rated Heat (1995) 4/5."
    with pytest.raises(ValueError, match="unknown feedback kind 'shrug'"):
        fb.spec("shrug")
