"""What the simulated user means (an `Act`), what it has asked for so far (`Constraints`), and
what the bot answered (`BotReply`): the values every other simulator module passes around."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from recommender.types import Item

ActKind = Literal["opener", "genre", "add_genre", "era", "exclude", "older", "newer", "other", "no_preference"]
EraForm = Literal["decade", "part", "before", "after", "between", "around"]


@dataclass(frozen=True)
class Era:
    """A stated time window: `form` and its numbers say how it is worded, the bounds what it means.

    Bounds are inclusive and a little lenient ("after 1990" admits 1990), while the user only says
    it when the target is strictly inside, so a bot reading it either way is not penalised.
    """

    form: EraForm
    a: int
    b: int | None = None
    year_from: int | None = None
    year_to: int | None = None

    def contains(self, year: int) -> bool:
        """Whether `year` is inside the window."""
        return (self.year_from is None or year >= self.year_from) and (self.year_to is None or year <= self.year_to)


@dataclass(frozen=True)
class Act:
    """One turn's meaning: one attribute, one critique, an answer, or a vague opener."""

    kind: ActKind
    genre: str | None = None
    era: Era | None = None
    year_to: int | None = None  # "older": before the oldest item shown last turn
    year_from: int | None = None  # "newer": after the newest item shown last turn
    answer: bool = False  # an answer to the bot's question (shorter wording)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the transcripts."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.genre:
            out["genre"] = self.genre
        if self.era:
            out["era"] = {"form": self.era.form, "from": self.era.year_from, "to": self.era.year_to}
        if self.year_from is not None:
            out["year_from"] = self.year_from
        if self.year_to is not None:
            out["year_to"] = self.year_to
        if self.answer:
            out["answer"] = True
        return out


@dataclass(frozen=True)
class Constraints:
    """Everything the user has asked for so far; an item shown afterwards should satisfy all of it."""

    genres: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()
    year_from: int | None = None
    year_to: int | None = None

    def apply(self, act: Act) -> Constraints:
        """The constraints after `act` (stated genres accumulate, windows intersect)."""
        if act.kind in ("genre", "add_genre") and act.genre:
            return replace(self, genres=self.genres | {act.genre}, excluded=self.excluded - {act.genre})
        if act.kind == "exclude" and act.genre:
            return replace(self, excluded=self.excluded | {act.genre})
        lo, hi = None, None
        if act.kind == "era" and act.era:
            lo, hi = act.era.year_from, act.era.year_to
        elif act.kind in ("older", "newer"):
            lo, hi = act.year_from, act.year_to
        else:
            return self
        return replace(self, year_from=_tighter(self.year_from, lo, max), year_to=_tighter(self.year_to, hi, min))

    @property
    def has_years(self) -> bool:
        """Whether the user has stated a year window."""
        return self.year_from is not None or self.year_to is not None

    def violations(self, item: Item) -> list[str]:
        """Names of the constraints `item` breaks, in the bot's `relaxed` vocabulary
        ("genre:Drama", "exclude:Horror", "years")."""
        found = [f"genre:{g}" for g in sorted(self.genres) if g not in item.genres]
        found += [f"exclude:{g}" for g in sorted(self.excluded) if g in item.genres]
        if self.has_years and (
            item.year is None
            or (self.year_from is not None and item.year < self.year_from)
            or (self.year_to is not None and item.year > self.year_to)
        ):
            found.append("years")
        return found

    def admits(self, item: Item) -> bool:
        """Whether `item` breaks none of the stated constraints."""
        return not self.violations(item)


def _tighter(current: int | None, new: int | None, pick: Any) -> int | None:
    if new is None:
        return current
    return new if current is None else int(pick(current, new))


_YEAR_WORDS = frozenset({"years", "year", "era", "decade", "period", "date", "release", "time"})


def explained(violation: str, relaxed: tuple[str, ...]) -> bool:
    """Whether the bot's `relaxed` list owns up to this violation: the exact name ("genre:Drama"),
    its kind alone ("genre", "exclude"), or any year word for "years"."""
    names = {r.strip().lower() for r in relaxed}
    kind = violation.split(":", 1)[0]
    if violation == "years":
        return bool(names & _YEAR_WORDS)
    return violation.lower() in names or kind in names


@dataclass(frozen=True)
class BotReply:
    """One bot turn as the simulated user sees it."""

    item_ids: tuple[str, ...] = ()
    relaxed: tuple[str, ...] = ()
    question: str | None = None  # the attribute asked about ("" when unclear); None: no question
    text: str = ""
    latency_ms: float = 0.0
    error: str | None = None
    raw: list[dict[str, Any]] = field(default_factory=list)
