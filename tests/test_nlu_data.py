"""The NLU test sets and the test stories are unseen data: no sentence of theirs is in data/nlu.

Plain pytest on the app venv: the YAML is read with PyYAML, never through Rasa.
A sentence is compared after `normalise`: lowercase, entity markup removed
("[90s](decade)", '[horror]{"entity": "genre", "role": "exclude"}' -> the words),
whitespace collapsed, trailing punctuation stripped (full-width Chinese punctuation too:
"为什么推荐这些？" is "为什么推荐这些"). There is one test set per language (English, 中文).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TRAINING_NLU = sorted((ROOT / "data" / "nlu").glob("*.yml"))
TEST_NLU = ROOT / "tests" / "nlu" / "test_nlu.yml"
TEST_NLU_ZH = ROOT / "tests" / "nlu" / "test_nlu_zh.yml"
TEST_NLU_SETS = (TEST_NLU, TEST_NLU_ZH)
TRAINING_NLU_ZH = ROOT / "data" / "nlu" / "zh.yml"
TEST_STORIES = sorted((ROOT / "tests" / "stories").glob("*.yml"))

MIN_TEST_SENTENCES = 250

_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
_TRAILING_PUNCTUATION = re.compile(r"[\s.,!?;:…。，、！？；：～~]+$")


def normalise(sentence: str) -> str:
    """Lowercase, entity markup removed, whitespace collapsed, trailing punctuation stripped."""
    text = _ENTITY.sub(r"\1", sentence).lower()
    text = re.sub(r"\s+", " ", text).strip()
    return _TRAILING_PUNCTUATION.sub("", text)


def _examples(block: str) -> list[str]:
    """The sentences of an `examples: |` block ("- sentence" per line)."""
    return [line.strip()[2:] for line in block.splitlines() if line.strip().startswith("- ")]


def nlu_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, sentence) for every intent example of a Rasa NLU file (lookups, regexes, synonyms skipped)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = []
    for item in data.get("nlu") or []:
        if "intent" in item:
            found += [(item["intent"], sentence) for sentence in _examples(item.get("examples") or "")]
    return found


def story_user_turns(path: Path) -> list[tuple[str, str]]:
    """(story name, user text) for every typed user turn of a test-story file (button payloads skipped)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = []
    for story in data.get("stories") or []:
        for step in story.get("steps") or []:
            text = str(step.get("user") or "").strip()
            if text and not text.startswith("/"):
                found.append((story["story"], text))
    return found


def training_sentences() -> dict[str, str]:
    """normalised sentence -> the training file that has it."""
    return {normalise(sentence): path.name for path in TRAINING_NLU for _, sentence in nlu_examples(path)}


def test_normalise_removes_markup_case_spaces_and_trailing_punctuation() -> None:
    raw = 'No  [Horror]{"entity": "genre", "role": "exclude"} from the [90s](decade) please?!'
    assert normalise(raw) == "no horror from the 90s please"
    assert normalise("why these ?") == "why these"
    assert normalise("what's 2+2") == "what's 2+2"
    assert normalise('不要[恐怖]{"entity": "genre", "role": "exclude"}片！') == "不要恐怖片"
    assert normalise("为什么推荐这些？") == "为什么推荐这些"


@pytest.mark.parametrize("path", TEST_NLU_SETS, ids=lambda p: p.name)
def test_the_test_set_is_large_and_covers_every_intent(path: Path) -> None:
    test_set = nlu_examples(path)
    assert len(test_set) >= MIN_TEST_SENTENCES
    trained = {intent for path in TRAINING_NLU for intent, _ in nlu_examples(path)}
    tested = Counter(intent for intent, _ in test_set)
    assert set(tested) == trained, f"intents without test sentences: {sorted(trained - set(tested))}"


def test_the_chinese_training_data_covers_every_intent() -> None:
    """data/nlu/zh.yml has Chinese examples for every intent the English files train."""
    trained = {intent for path in TRAINING_NLU if path != TRAINING_NLU_ZH for intent, _ in nlu_examples(path)}
    chinese = Counter(intent for intent, _ in nlu_examples(TRAINING_NLU_ZH))
    assert set(chinese) == trained, f"intents without Chinese examples: {sorted(trained - set(chinese))}"


@pytest.mark.parametrize("path", TEST_NLU_SETS, ids=lambda p: p.name)
def test_no_test_sentence_is_in_the_training_data(path: Path) -> None:
    seen = training_sentences()
    leaked = [f"{sentence!r} (also in data/nlu/{seen[normalise(sentence)]})"
              for _, sentence in nlu_examples(path) if normalise(sentence) in seen]
    assert not leaked, "test sentences found in the training data:\n" + "\n".join(leaked)


@pytest.mark.parametrize("path", TEST_NLU_SETS, ids=lambda p: p.name)
def test_no_test_sentence_is_repeated(path: Path) -> None:
    counts = Counter(normalise(sentence) for _, sentence in nlu_examples(path))
    assert not [s for s, n in counts.items() if n > 1]


@pytest.mark.parametrize("path", TEST_STORIES, ids=lambda p: p.name)
def test_no_test_story_user_turn_is_in_the_training_data(path: Path) -> None:
    seen = training_sentences()
    turns = story_user_turns(path)
    leaked = [f"{story}: {text!r} (also in data/nlu/{seen[normalise(text)]})"
              for story, text in turns if normalise(text) in seen]
    assert not leaked, "test story turns found in the training data:\n" + "\n".join(leaked)


def test_the_check_finds_a_leak() -> None:
    """The comparison is not vacuous: a training sentence with other case and markup is caught."""
    path = TRAINING_NLU[0]
    _, sentence = nlu_examples(path)[0]
    assert normalise(f"  {sentence.upper()}  !") in training_sentences()
