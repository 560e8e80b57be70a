"""`DialogueState`: everything the person asked for in this conversation, as one immutable value.

The state is the single source of truth for a search: the ranker plans from it, the reply shows
it (`summary`), and it travels with the conversation (Rasa's `dialogue_state` slot holds
`to_dict()`), so an action-server restart loses nothing. Genre names are the catalog's own.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from recommender.dialogue.count import MAX_COUNT
from recommender.phrases import era, genre_name, join, mood_name, say

MAX_MOODS = 20
MAX_REMEMBERED_ITEMS = 500
"""Shown/seen ids kept per conversation; the oldest go first (a slot is not a database)."""


@dataclass(frozen=True)
class Mood:
    """A soft wish ("something exciting") that stands for any of several genres."""

    word: str
    genres: tuple[str, ...]


@dataclass(frozen=True)
class DialogueState:
    """The search so far. Empty means "nothing asked yet"."""

    genres: tuple[str, ...] = ()  # every one must hold ("adventure", then "also a drama")
    genre_options: tuple[str, ...] = ()  # at least one must hold ("a comedy or a drama")
    exclude_genres: tuple[str, ...] = ()
    moods: tuple[Mood, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    people: tuple[str, ...] = ()
    exclude_people: tuple[str, ...] = ()  # "no Tom Cruise": rows with them never shown (where the catalog knows)
    liked_items: tuple[str, ...] = ()  # references to recommend like ("like Heat", "more like the 2nd")
    rejected_items: tuple[str, ...] = ()  # references to steer away from, never shown again
    seen_items: tuple[str, ...] = ()  # "already seen": excluded, not a rating
    shown_items: tuple[str, ...] = ()  # never shown twice in one conversation
    last_items: tuple[str, ...] = ()  # the latest list, in order, for "the second one"
    wish: tuple[str, ...] = ()  # free-text wishes ("a heist with a twist")
    avoid: tuple[str, ...] = ()  # what complaints named that no genre covers ("gory", "subtitles")
    asked: str | None = None  # the attribute the bot asked about last turn, if it asked
    count: int | None = None  # how many items the person asked to see ("three comedies"); None: the policy's
    notified: tuple[str, ...] = field(default=())  # notices already given once ("no cast data")
    # active constraints, oldest statement first ("genre:Drama", "years", "mood:funny", "genres_any",
    # "people"): when nothing new passes them all, the oldest is loosened first
    stated: tuple[str, ...] = ()
    turns: int = 0
    undo: str = ""  # the search before the last turn that changed it (`search_json`), for "undo that"

    def constraint_keys(self) -> dict[str, object]:
        """Each active constraint by key, with its value (to tell which ones a turn changed)."""
        keys: dict[str, object] = {f"genre:{g}": True for g in self.genres}
        if self.genre_options:
            keys["genres_any"] = self.genre_options
        for mood in self.moods:
            keys[f"mood:{mood.word}"] = mood.genres
        if self.year_from is not None or self.year_to is not None:
            keys["years"] = (self.year_from, self.year_to)
        if self.people:
            keys["people"] = self.people
        return keys

    # -- reading ------------------------------------------------------------------------------
    @property
    def constrained(self) -> bool:
        """True when the person has said anything the search can use."""
        return bool(
            self.genres or self.genre_options or self.exclude_genres or self.moods
            or self.year_from is not None or self.year_to is not None or self.people or self.exclude_people
            or self.liked_items or self.wish or self.avoid
        )

    def summary(self, titles: dict[str, str] | None = None, lang: str = "en") -> str:
        """One short line of what was understood: 'Adventure + Drama · 1990s · not Thriller or Crime'
        ('冒险 + 剧情 · 1990年代 · 不要惊悚或犯罪' in Chinese)."""
        parts: list[str] = []
        wanted = " + ".join(genre_name(g, lang) for g in self.genres)
        if self.genre_options:
            options = join([genre_name(g, lang) for g in self.genre_options], lang, "or")
            wanted = f"{wanted} + ({options})" if wanted else options
        if wanted:
            parts.append(wanted)
        if self.moods:
            parts.append(say("list_sep", lang).join(mood_name(m.word, lang) for m in self.moods))
        era = describe_era(self.year_from, self.year_to, lang)
        if era:
            parts.append(era)
        if self.people:
            parts.append(say("with_people", lang, people=say("list_sep", lang).join(self.people)))
        if self.liked_items:
            names = [(titles or {}).get(i, f"#{i}") for i in self.liked_items[-3:]]
            parts.append(say("like_titles", lang, titles=say("list_sep", lang).join(names)))
        if self.wish:
            parts.append("“" + "; ".join(quotable(w) for w in self.wish) + "”")
        refused = [genre_name(g, lang) for g in self.exclude_genres] + list(self.exclude_people)
        if refused:
            parts.append(say("not_genres", lang, genres=join(refused, lang, "or")))
        if self.avoid:
            parts.append(say("avoiding", lang, words="; ".join(quotable(a) for a in self.avoid)))
        return " · ".join(parts)

    # -- undo ----------------------------------------------------------------------------------
    def search_json(self) -> str:
        """What was asked for, as JSON: every field but the list history, the turn count and the undo itself."""
        return json.dumps({k: v for k, v in self.to_dict().items() if k not in _KEPT_BY_UNDO}, separators=(",", ":"))

    def undone(self) -> DialogueState:
        """The search of `undo` with this state's history (shown, seen and refused items stay); itself if none."""
        if not self.undo:
            return self
        try:
            stored = json.loads(self.undo)
        except ValueError:
            return replace(self, undo="")
        kept = {name: getattr(self, name) for name in _KEPT_BY_UNDO}
        return replace(DialogueState.from_dict(stored), **{**kept, "undo": "", "asked": None})

    # -- persistence ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (the `dialogue_state` slot)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> DialogueState:
        """Read a stored state; anything malformed is dropped field by field, never fatal.

        The slot comes back from the tracker store, possibly written by an older version.
        """
        if not isinstance(data, dict):
            return cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            raw = data[f.name]
            if f.name == "moods":
                values[f.name] = tuple(
                    Mood(str(m["word"]), _strings(m.get("genres")))
                    for m in (raw[:MAX_MOODS] if isinstance(raw, list) else [])
                    if isinstance(m, dict) and m.get("word")
                )
            elif f.name in ("year_from", "year_to"):
                values[f.name] = _year(raw)
            elif f.name == "turns":
                values[f.name] = int(raw) if _finite(raw) and 0 <= raw < 1_000_000 else 0
            elif f.name == "count":
                values[f.name] = int(raw) if _finite(raw) and 1 <= raw <= MAX_COUNT else None
            elif f.name == "asked":
                values[f.name] = str(raw) if isinstance(raw, str) and raw else None
            elif f.name == "undo":
                values[f.name] = raw if isinstance(raw, str) and len(raw) <= MAX_UNDO_CHARS else ""
            else:
                values[f.name] = _strings(raw)
        return cls(**values)


# what undoing keeps from the present: the lists shown, what was seen or refused, the notices given
_KEPT_BY_UNDO = ("shown_items", "seen_items", "rejected_items", "last_items", "notified", "turns", "asked", "undo")
MAX_UNDO_CHARS = 20_000
"""A stored search is a few hundred characters; a forged slot cannot make it large."""

_UNQUOTABLE = re.compile(r"<\|[^|]*\|>|[^\w\s.,'!?&-]", re.UNICODE)
MAX_QUOTE_CHARS = 60


def quotable(text: str) -> str:
    """A person's free text as the reply may quote it: no markup, special tokens or mentions
    (Slack's <!channel>, chat-template tokens), one line, at most 60 characters."""
    cleaned = re.sub(r"\s+", " ", _UNQUOTABLE.sub(" ", text)).strip()
    return cleaned if len(cleaned) <= MAX_QUOTE_CHARS else cleaned[: MAX_QUOTE_CHARS - 1].rstrip() + "…"


def describe_era(year_from: int | None, year_to: int | None, lang: str = "en") -> str:
    """'1990s', '1985–1995', '1994', 'before 1970', '2000 or later', or '' (in `lang`)."""
    return era(year_from, year_to, lang)


MAX_STORED_CHARS = 200


def _strings(raw: Any) -> tuple[str, ...]:
    """A list of short strings, bounded: a forged or corrupted slot cannot make the state huge."""
    if not isinstance(raw, (list, tuple)):
        return ()
    values = (str(v)[:MAX_STORED_CHARS] for v in raw[-MAX_REMEMBERED_ITEMS:] if isinstance(v, (str, int)))
    return tuple(v for v in values if v.strip())


def _finite(raw: Any) -> bool:
    """A real number (not a bool, NaN or infinity): `int()` of it cannot fail."""
    return isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw)


def _year(raw: Any) -> int | None:
    if not _finite(raw):
        return None
    year = int(raw)
    return year if 1800 <= year <= 2200 else None
