"""ReDial dialogues -> scored samples: the protocol's data side.

Reads test_data.jsonl and the ReDial -> ml-latest-small mapping, and turns each dialogue into
one `RedialSample` per new mapped movie a recommender message names, with the `RedialContext`
a ranker may see (opinions, earlier mentions, the seeker's words). Also the protocol's fixed
numbers every other part shares: the cut-offs `KS` and the validation slice.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recommender.errors import DataSourceError

KS: tuple[int, ...] = (1, 10, 50)
VALIDATION_MODULUS = 5
MENTION = re.compile(r"@(\d+)")
LIKED, DISLIKED = 1, 0


@dataclass(frozen=True)
class RedialContext:
    """What a ranker may know at one recommender turn: opinions, mentions and the seeker's words."""

    liked: tuple[str, ...] = ()  # ml-latest-small item ids the seeker liked, in mention order
    disliked: tuple[str, ...] = ()
    mentioned: tuple[str, ...] = ()  # every mapped item mentioned so far (liked, disliked or unknown)
    seeker_text: str = ""  # the seeker's messages so far, one per line, movie mentions written as titles


@dataclass(frozen=True)
class RedialSample:
    """One scored suggestion: the context before the recommender's message and the movie it named."""

    conversation_id: str
    message_index: int
    context: RedialContext
    target: str

    @property
    def validation(self) -> bool:
        """True for the validation slice (weights are chosen there, never on the reported turns)."""
        return is_validation(self.conversation_id)


Ranker = Callable[[RedialContext], list[str]]


def is_validation(conversation_id: str) -> bool:
    """crc32(conversationId) % 5 == 0: a fixed ~20% of dialogues, independent of file order."""
    return zlib.crc32(conversation_id.encode()) % VALIDATION_MODULUS == 0


def read_mapping(path: Path) -> dict[str, str]:
    """ReDial movie id -> ml-latest-small movieId (unmatched movies left out)."""
    import pandas as pd

    if not path.is_file():
        raise DataSourceError(f"{path}: no such file; set RECSYS_SHARED_DATA_DIR to the folder holding redial/")
    frame = pd.read_csv(path, dtype={"redial_movieId": str}).dropna(subset=["ml_latest_small_movieId"])
    return {r: str(int(m)) for r, m in zip(frame["redial_movieId"], frame["ml_latest_small_movieId"], strict=True)}


def _clean_title(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip()


def _opinions(dialogue: Mapping[str, Any]) -> dict[str, int]:
    """ReDial movie id -> the seeker's liked answer (0, 1 or 2), the recommender's where the seeker gave none."""
    out: dict[str, int] = {}
    for key in ("respondentQuestions", "initiatorQuestions"):  # the seeker's (initiator's) answers win
        answers = dialogue.get(key) or {}
        if isinstance(answers, dict):
            for movie, answer in answers.items():
                if isinstance(answer, dict) and answer.get("liked") in (0, 1, 2):
                    out[str(movie)] = int(answer["liked"])
    return out


def dialogue_samples(dialogue: Mapping[str, Any], mapping: Mapping[str, str]) -> list[RedialSample]:
    """Every (recommender message, newly mentioned mapped movie) of one dialogue, with its context."""
    seeker = dialogue["initiatorWorkerId"]
    titles = {str(k): _clean_title(str(v)) for k, v in (dialogue.get("movieMentions") or {}).items() if v}
    opinions = _opinions(dialogue)
    conversation = str(dialogue["conversationId"])

    def readable(text: str) -> str:
        return MENTION.sub(lambda m: titles.get(m.group(1), "a movie"), text)

    seeker_words: list[str] = []
    mentioned_redial: list[str] = []
    samples: list[RedialSample] = []
    for index, message in enumerate(dialogue.get("messages") or []):
        text = str(message.get("text", ""))
        ids = list(dict.fromkeys(MENTION.findall(text)))
        if message.get("senderWorkerId") != seeker:
            new = [m for m in ids if m not in mentioned_redial and m in mapping]
            if new:
                mapped = [mapping[m] for m in mentioned_redial if m in mapping]
                context = RedialContext(
                    liked=tuple(dict.fromkeys(mapping[m] for m in mentioned_redial
                                              if m in mapping and opinions.get(m) == LIKED)),
                    disliked=tuple(dict.fromkeys(mapping[m] for m in mentioned_redial
                                                 if m in mapping and opinions.get(m) == DISLIKED)),
                    mentioned=tuple(dict.fromkeys(mapped)),
                    seeker_text="\n".join(seeker_words),  # one line per message
                )
                samples.extend(RedialSample(conversation, index, context, mapping[m]) for m in new
                               if mapping[m] not in context.mentioned)
        else:
            seeker_words.append(readable(text).strip())
        mentioned_redial.extend(m for m in ids if m not in mentioned_redial)
    return samples


def load_samples(folder: Path) -> list[RedialSample]:
    """All samples of test_data.jsonl in `folder`; a malformed line is reported with its number."""
    path = folder / "test_data.jsonl"
    if not path.is_file():
        raise DataSourceError(f"{path}: no such file; set RECSYS_SHARED_DATA_DIR to the folder holding redial/")
    mapping = read_mapping(folder / "DERIVED_redial_to_ml-latest-small_by_title_year.csv")
    samples: list[RedialSample] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                samples.extend(dialogue_samples(json.loads(line), mapping))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DataSourceError(f"{path}, line {number}: not a ReDial dialogue ({exc})") from exc
    return samples
