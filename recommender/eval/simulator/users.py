"""The simulated user's policy: which one attribute or critique to state next, always truthfully.

It knows the target's genres and year, never its title. Turn one states a genre (or, in a seeded
share of dialogues, opens vaguely); then the remaining genres and the era, one per turn, in a
random order; then critiques of the last list (exclude a genre the shown items have and the
target lacks, older/newer when true of every shown item, other options). A question from the bot
is answered truthfully for the attribute it asks about.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from recommender.eval.simulator.acts import Act, BotReply, Era
from recommender.eval.simulator.catalog import STATABLE_GENRES, SimCatalog, Target

DEFAULT_VAGUE_SHARE = 0.2
_ERA_FORMS = ("decade", "decade", "part", "before", "after", "between", "around")
_ERA_QUESTION_WORDS = ("era", "decade", "year", "period", "time", "release", "old", "new", "when")
_GENRE_QUESTION_WORDS = ("genre", "kind", "type", "sort", "mood")


def true_era(year: int, rng: random.Random) -> Era:
    """A time window, in one of several forms, that is true of `year`."""
    form = rng.choice(_ERA_FORMS)
    decade = year - year % 10
    if form == "decade":
        return Era("decade", decade, year_from=decade, year_to=decade + 9)
    if form == "part":
        digit = year % 10
        lo, hi = (0, 4) if digit <= 3 else ((3, 7) if digit <= 6 else (6, 9))
        return Era("part", decade, year_from=decade + lo, year_to=decade + hi)
    if form == "before":
        bound = (year // 10 + 1 + rng.choice((0, 0, 1))) * 10  # strictly after the year
        return Era("before", bound, year_to=bound)
    if form == "after":
        bound = ((year - 1) // 5 - rng.choice((0, 0, 1))) * 5  # strictly before the year
        return Era("after", bound, year_from=bound)
    if form == "between":
        lo = (year // 5 - rng.choice((0, 1, 2))) * 5
        hi = max(lo + 10, (year + 4) // 5 * 5)
        return Era("between", lo, hi, year_from=lo, year_to=hi)
    centre = 5 * round(year / 5)  # within 2 years of the target; the window allows 5
    return Era("around", centre, year_from=centre - 5, year_to=centre + 5)


def question_attribute(reply: BotReply) -> str:
    """'genre', 'era', or '' for what the bot's question asks (payload attribute, else its words)."""
    raw = (reply.question or "").lower()
    text = raw if raw else reply.text.lower()
    if any(w in text for w in _GENRE_QUESTION_WORDS):
        return "genre"
    if any(w in text for w in _ERA_QUESTION_WORDS):
        return "era"
    return ""


@dataclass
class SimulatedUser:
    """One user with one hidden target; `next_act(last reply)` each turn, `observe` what was shown."""

    target: Target
    catalog: SimCatalog
    rng: random.Random
    vague_opener: bool = False
    stated_genres: list[str] = field(default_factory=list)
    excluded: set[str] = field(default_factory=set)
    era_stated: bool = False
    pending: list[str] = field(default_factory=list)  # genres and "era" still to state, in order
    last_shown: list[str] = field(default_factory=list)
    ever_shown: bool = False
    turns: int = 0

    @classmethod
    def create(cls, target: Target, catalog: SimCatalog, seed: int,
               vague_share: float = DEFAULT_VAGUE_SHARE) -> SimulatedUser:
        """A user who thinks of `target`, with a reproducible plan of what to say."""
        rng = random.Random(seed)
        genres = [g for g in target.genres if g in STATABLE_GENRES]
        rng.shuffle(genres)
        rest = genres[1:] + (["era"] if target.year is not None else [])
        rng.shuffle(rest)
        vague = rng.random() < vague_share or not genres
        return cls(target, catalog, rng, vague, pending=genres[:1] + rest)

    def next_act(self, reply: BotReply | None) -> Act:
        """What to say this turn, given the bot's last reply (None on the first turn)."""
        self.turns += 1
        if reply is None:
            return Act("opener") if self.vague_opener else self._planned()
        if reply.question is not None and not reply.item_ids:
            return self._answer(question_attribute(reply))
        if self.pending:
            return self._planned()
        return self._critique()

    def observe(self, act: Act, reply: BotReply) -> None:
        """Remember what was stated and what was shown (the next critique is about it)."""
        if act.kind in ("genre", "add_genre") and act.genre and act.genre not in self.stated_genres:
            self.stated_genres.append(act.genre)
        if act.kind == "era":
            self.era_stated = True
        if act.kind == "exclude" and act.genre:
            self.excluded.add(act.genre)
        self.pending = [p for p in self.pending if p not in self.stated_genres and not (p == "era" and self.era_stated)]
        shown = [i for i in reply.item_ids if i in self.catalog.items]
        if shown:
            self.last_shown, self.ever_shown = shown, True

    # -- acts --------------------------------------------------------------------------------
    def _genre_act(self, genre: str, answer: bool = False) -> Act:
        adds = bool(self.stated_genres) and genre not in self.stated_genres
        return Act("add_genre" if adds else "genre", genre=genre, answer=answer)

    def _era_act(self, answer: bool = False) -> Act:
        assert self.target.year is not None
        return Act("era", era=true_era(self.target.year, self.rng), answer=answer)

    def _planned(self) -> Act:
        nxt = self.pending[0]
        return self._era_act() if nxt == "era" else self._genre_act(nxt)

    def _answer(self, attribute: str) -> Act:
        if attribute == "genre":
            unstated = [g for g in self.target.genres if g not in self.stated_genres]
            pool = unstated or list(self.target.genres)
            if pool:
                return self._genre_act(unstated[0] if unstated else self.rng.choice(pool), answer=True)
        if attribute == "era":
            return self._era_act(answer=True) if self.target.year is not None else Act("no_preference")
        if self.pending:
            return self._planned()
        return self._critique()

    def _critique(self) -> Act:
        """A critique that is true of the last list, or a restatement when nothing was shown yet."""
        if not self.ever_shown:
            return self._restate()
        shown = [self.catalog.items[i] for i in self.last_shown]
        choices: list[tuple[float, Act]] = [(0.3, Act("other"))]
        unwanted = sorted({g for item in shown for g in item.genres}
                          & STATABLE_GENRES - set(self.target.genres) - self.excluded)
        if unwanted:
            choices.append((0.4, Act("exclude", genre=self.rng.choice(unwanted))))
        years = [i.year for i in shown if i.year is not None]
        year = self.target.year
        if years and year is not None and year < min(years):
            choices.append((0.3, Act("older", year_to=min(years) - 1)))
        elif years and year is not None and year > max(years):
            choices.append((0.3, Act("newer", year_from=max(years) + 1)))
        weights = [w for w, _ in choices]
        return self.rng.choices([a for _, a in choices], weights=weights)[0]

    def _restate(self) -> Act:
        """Nothing shown yet and nothing left to state: say a known attribute again, new words."""
        options = [self._genre_act(g) for g in self.stated_genres]
        if self.target.year is not None:
            options.append(self._era_act())
        return self.rng.choice(options) if options else Act("other")
