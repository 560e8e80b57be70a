"""Run simulated dialogues against a bot (REST or yardstick) and record every turn.

A turn succeeds when the target's id is among the items the bot shows. Each shown item is checked
against what the user has asked for so far (violations the bot's `relaxed` list owns up to do not
count) and against the catalog (ids the catalog does not have are out-of-catalog).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from tqdm import tqdm

from recommender.eval.simulator.acts import Act, BotReply, Constraints, explained
from recommender.eval.simulator.catalog import SimCatalog, Target
from recommender.eval.simulator.phrasings import leaks, renderer
from recommender.eval.simulator.users import DEFAULT_VAGUE_SHARE, SimulatedUser

DEFAULT_MAX_TURNS = 15
MAX_CONCURRENCY = 8


class Conversation(Protocol):
    """One conversation with a bot under test."""

    def send(self, text: str, act: Act) -> BotReply:
        """Send the user's words (and the act they render, for bots that read acts) and return the reply."""
        ...


class Bot(Protocol):
    """A bot the simulated users talk to: the live stack or the yardstick."""

    name: str

    def conversation(self, sender: str = "") -> Conversation:
        """A new conversation with this bot."""
        ...


@dataclass
class Turn:
    """One user utterance and what came back."""

    number: int
    text: str
    act: Act
    item_ids: tuple[str, ...]
    relaxed: tuple[str, ...]
    question: str | None
    latency_ms: float
    violations: int  # shown items breaking a stated constraint the bot did not say it relaxed
    out_of_catalog: tuple[str, ...]
    leaked: bool
    error: str | None = None
    bot_text: str = ""
    violated: tuple[str, ...] = ()  # the kind of each violating item's break

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the transcripts."""
        return {"turn": self.number, "user": self.text, "act": self.act.as_dict(), "bot": self.bot_text[:500],
                "items": list(self.item_ids), "relaxed": list(self.relaxed), "question": self.question,
                "latency_ms": round(self.latency_ms, 1), "violations": self.violations, "violated": list(self.violated),
                "out_of_catalog": list(self.out_of_catalog), "error": self.error}


@dataclass
class Dialogue:
    """One simulated user's whole dialogue with one bot."""

    target: Target
    seed: int
    vague_opener: bool
    turns: list[Turn] = field(default_factory=list)
    success_turn: int | None = None

    @property
    def success(self) -> bool:
        """Whether the target was shown within the turn limit."""
        return self.success_turn is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the transcripts."""
        t = self.target
        return {"target": {"item_id": t.item_id, "title": t.title, "year": t.year, "genres": list(t.genres)},
                "seed": self.seed, "vague_opener": self.vague_opener, "success_turn": self.success_turn,
                "turns": [turn.as_dict() for turn in self.turns]}


def violation_kinds(constraints: Constraints, item_ids: Sequence[str], relaxed: tuple[str, ...],
                    catalog: SimCatalog) -> list[str]:
    """Per shown catalog item breaking a constraint in force (unless `relaxed` explains the break):
    the kind of its first unexplained break ("genre", "exclude", "years")."""
    kinds = []
    for item_id in item_ids:
        item = catalog.items.get(item_id)
        unexplained = [v for v in constraints.violations(item) if not explained(v, relaxed)] if item else []
        if unexplained:
            kinds.append(unexplained[0].split(":", 1)[0])
    return kinds


def count_violations(constraints: Constraints, item_ids: Sequence[str], relaxed: tuple[str, ...],
                     catalog: SimCatalog) -> int:
    """Shown catalog items breaking a constraint in force, unless `relaxed` explains each break."""
    return len(violation_kinds(constraints, item_ids, relaxed, catalog))


def run_dialogue(conversation: Conversation, target: Target, catalog: SimCatalog, seed: int,
                 max_turns: int = DEFAULT_MAX_TURNS, vague_share: float = DEFAULT_VAGUE_SHARE,
                 phrasings: str = "default") -> Dialogue:
    """Up to `max_turns` turns; stops at the first turn whose items include the target. `phrasings`
    names the wording set ("default", "heldout" or "zh")."""
    render = renderer(phrasings)
    user = SimulatedUser.create(target, catalog, seed, vague_share)
    dialogue = Dialogue(target, seed, user.vague_opener)
    constraints = Constraints()
    reply: BotReply | None = None
    for number in range(1, max_turns + 1):
        act = user.next_act(reply)
        text = render(act, user.rng, target.title)
        reply = conversation.send(text, act)
        constraints = constraints.apply(act)
        user.observe(act, reply)
        broken = violation_kinds(constraints, reply.item_ids, reply.relaxed, catalog)
        dialogue.turns.append(Turn(
            number=number, text=text, act=act, item_ids=reply.item_ids, relaxed=reply.relaxed,
            question=reply.question, latency_ms=reply.latency_ms,
            violations=len(broken), violated=tuple(broken),
            out_of_catalog=tuple(i for i in reply.item_ids if i not in catalog.items),
            leaked=leaks(text, target.title), error=reply.error, bot_text=reply.text,
        ))
        if target.item_id in reply.item_ids:
            dialogue.success_turn = number
            break
    return dialogue


def run_dialogues(bot: Bot, targets: Sequence[Target], catalog: SimCatalog, seed: int,
                  max_turns: int = DEFAULT_MAX_TURNS, concurrency: int = 1, progress: bool = True,
                  vague_share: float = DEFAULT_VAGUE_SHARE, desc: str = "",
                  phrasings: str = "default") -> list[Dialogue]:
    """One dialogue per target, user n seeded with `seed + n` (the same user for every bot), in
    target order, at most `concurrency` at a time."""
    workers = max(1, min(concurrency, MAX_CONCURRENCY))

    def one(n: int) -> Dialogue:
        return run_dialogue(bot.conversation(), targets[n], catalog, seed + n, max_turns, vague_share,
                            phrasings)

    bar = tqdm(total=len(targets), desc=desc or bot.name, disable=not progress, file=sys.stderr, unit="user")
    results: list[Dialogue] = []
    try:
        if workers == 1:
            for n in range(len(targets)):
                results.append(one(n))
                bar.update()
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(_counted(one, bar), range(len(targets))))
    finally:
        bar.close()
    return results


def _counted(fn: Callable[[int], Dialogue], bar: Any) -> Callable[[int], Dialogue]:
    def wrapped(n: int) -> Dialogue:
        result = fn(n)
        bar.update()
        return result

    return wrapped
