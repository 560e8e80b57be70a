"""The design paper's Markov model of user actions, P(x_t | x_{t-1}), and the decisions it drives.

States are what a user does with an item the assistant put in front of them: ignore (shown,
no reaction), click, like, dislike, bookmark, rate. Transitions are counted over each
conversation session's action log (`action_log.action_sequences`: impressions without feedback
are "ignore", feedback events by kind) and smoothed with add-alpha:

    P(b | a) = (count(a -> b) + alpha) / (count(a -> .) + alpha * |states|)

The first action of a session gives the start distribution, smoothed the same way; a user with
no action yet (or an unknown last action) is predicted from it.

Used for two serving decisions (`ActionPolicy`), both from the probability that the user
engages (does anything but ignore):
- how many items to show: the smallest k for which "at least one of k items gets a reaction"
  reaches `target`, where a run of k ignores has probability
  P(ignore | last) * P(ignore | ignore)^(k-1) (the chain walked k steps, each item one step);
- whether to ask a clarifying question before recommending again: when P(engage | last) is
  below `ask_below`, another list is likely to be ignored too, so ask what the user wants.
With fewer than `min_transitions` logged transitions the policy says "no evidence": it returns
the caller's default k and never asks, so a fresh install behaves exactly as without it.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from recommender.atomic import atomic_write_text
from recommender.feedback import ACTIONS, IGNORE_ACTION
from recommender.models.action_log import action_sequences

if TYPE_CHECKING:
    from recommender.store.repository import Store

IGNORE = IGNORE_ACTION
_INDEX = {a: i for i, a in enumerate(ACTIONS)}


@dataclass(frozen=True)
class ActionSequence:
    """One session's actions, oldest first (each one of `ACTIONS`)."""

    session: str
    actions: tuple[str, ...]

    def __post_init__(self) -> None:
        unknown = sorted(set(self.actions) - set(ACTIONS))
        if unknown:
            raise ValueError(f"session {self.session!r}: unknown actions {unknown}; expected some of {ACTIONS}")


def last_action(store: Store, session_id: str) -> str | None:
    """The newest action of one session (None before the first), for `ActionPolicy.decide`."""
    steps = action_sequences(store.conversation_events(session_id=session_id)).get(session_id, [])
    return steps[-1].action if steps else None


def sequences_from_store(store: Store, since: Any = None) -> list[ActionSequence]:
    """Every session's action sequence from the store's impressions and feedback."""
    logged = action_sequences(store.conversation_events(since=since))
    return [ActionSequence(session, tuple(a.action for a in actions)) for session, actions in sorted(logged.items())]


class MarkovActionModel:
    """First-order Markov chain over user actions with add-alpha smoothing."""

    def __init__(self, alpha: float = 1.0) -> None:
        if alpha <= 0:
            raise ValueError(f"alpha must be > 0 (it keeps unseen transitions possible), got {alpha}")
        self.alpha = float(alpha)
        self.counts = np.zeros((len(ACTIONS), len(ACTIONS)), dtype=np.int64)  # [from, to]
        self.start_counts = np.zeros(len(ACTIONS), dtype=np.int64)

    # -- estimation --------------------------------------------------------------------------
    def fit(self, sequences: Iterable[ActionSequence | Sequence[str]]) -> Self:
        """Count start actions and consecutive pairs within each sequence (never across sessions)."""
        self.counts[:] = 0
        self.start_counts[:] = 0
        for seq in sequences:
            actions = seq.actions if isinstance(seq, ActionSequence) else ActionSequence("", tuple(seq)).actions
            if not actions:
                continue
            self.start_counts[_INDEX[actions[0]]] += 1
            for a, b in itertools.pairwise(actions):
                self.counts[_INDEX[a], _INDEX[b]] += 1
        return self

    @classmethod
    def from_store(cls, store: Store, alpha: float = 1.0) -> Self:
        """Fit on every session the store has logged."""
        return cls(alpha).fit(sequences_from_store(store))

    @property
    def n_transitions(self) -> int:
        """How many consecutive pairs the estimates rest on."""
        return int(self.counts.sum())

    def transition_matrix(self) -> np.ndarray:
        """P[a, b] = P(x_t = b | x_{t-1} = a), rows in `ACTIONS` order, each summing to 1."""
        smoothed = self.counts + self.alpha
        return smoothed / smoothed.sum(axis=1, keepdims=True)

    def start_distribution(self) -> np.ndarray:
        """P(x_1 = b): the first action of a session."""
        smoothed = self.start_counts + self.alpha
        return smoothed / smoothed.sum()

    def next_action(self, last_action: str | None) -> dict[str, float]:
        """P(next action | last action); the start distribution for None or an unknown action."""
        row = self._row(last_action)
        return {a: float(p) for a, p in zip(ACTIONS, row, strict=True)}

    def _row(self, last_action: str | None) -> np.ndarray:
        if last_action in _INDEX:
            return self.transition_matrix()[_INDEX[last_action]]
        return self.start_distribution()

    def p_engage(self, last_action: str | None) -> float:
        """Probability that the next shown item gets any reaction (1 - P(ignore | last))."""
        return 1.0 - float(self._row(last_action)[_INDEX[IGNORE]])

    def p_all_ignored(self, last_action: str | None, k: int) -> float:
        """Probability that the next k shown items are all ignored (the chain walked k steps)."""
        if k <= 0:
            return 1.0
        stay = float(self.transition_matrix()[_INDEX[IGNORE], _INDEX[IGNORE]])
        return float(self._row(last_action)[_INDEX[IGNORE]]) * stay ** (k - 1)

    # -- persistence (JSON, no pickle) ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Counts and alpha; the probabilities follow from them."""
        return {
            "model": "markov_actions", "actions": list(ACTIONS), "alpha": self.alpha,
            "counts": self.counts.tolist(), "start_counts": self.start_counts.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of `to_dict`; refuses files written for another state space."""
        if data.get("model") != "markov_actions" or tuple(data.get("actions", ())) != ACTIONS:
            raise ValueError(f"not a Markov action model over {ACTIONS}")
        model = cls(float(data["alpha"]))
        model.counts = np.asarray(data["counts"], dtype=np.int64).reshape(len(ACTIONS), len(ACTIONS))
        model.start_counts = np.asarray(data["start_counts"], dtype=np.int64).reshape(len(ACTIONS))
        return model

    def save(self, path: Path) -> None:
        """Write JSON atomically (temp file renamed into place)."""
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: Path) -> Self:
        """Read a model written by `save`."""
        return cls.from_dict(json.loads(Path(path).read_text()))


@dataclass(frozen=True)
class Decision:
    """What the policy advises for the next turn, with the numbers behind it."""

    k: int  # how many items to show
    ask_first: bool  # ask a clarifying question instead of recommending right away
    p_engage: float  # P(next shown item gets a reaction | last action)
    evidence: bool  # False when too few transitions were logged to trust the model


@dataclass(frozen=True)
class ActionPolicy:
    """Serving decisions from a fitted `MarkovActionModel` (see the module docstring)."""

    model: MarkovActionModel
    target: float = 0.8  # wanted probability that at least one shown item gets a reaction
    ask_below: float = 0.15  # ask first when P(engage | last action) is below this
    min_k: int = 3
    max_k: int = 10
    min_transitions: int = 50

    def __post_init__(self) -> None:
        if not 0 < self.target < 1 or not 0 <= self.ask_below < 1:
            raise ValueError("target must be in (0, 1) and ask_below in [0, 1)")
        if not 1 <= self.min_k <= self.max_k:
            raise ValueError(f"need 1 <= min_k <= max_k, got {self.min_k}, {self.max_k}")

    @property
    def has_evidence(self) -> bool:
        """Whether enough transitions were logged for the model to overrule the defaults."""
        return self.model.n_transitions >= self.min_transitions

    def items_to_show(self, last_action: str | None, default_k: int) -> int:
        """Smallest k in [min_k, max_k] with P(at least one reaction among k) >= target.

        The caller's `default_k` is returned when there is too little evidence.
        """
        if not self.has_evidence:
            return default_k
        p_first = 1.0 - self.model.p_all_ignored(last_action, 1)
        stay = self.model.p_all_ignored(IGNORE, 1)
        # 1 - P(ignore|last) * stay^(k-1) >= target  <=>  k >= 1 + log((1 - target) / P(ignore|last)) / log(stay)
        if p_first >= self.target:
            k = 1
        elif stay <= 0:
            k = 2
        elif stay >= 1:
            k = self.max_k
        else:
            k = 1 + math.ceil(math.log((1 - self.target) / (1 - p_first)) / math.log(stay) - 1e-12)
        return int(min(max(k, self.min_k), self.max_k))

    def should_ask_before_recommending(self, last_action: str | None) -> bool:
        """True when the user is unlikely to react to another list (never without evidence)."""
        return self.has_evidence and self.model.p_engage(last_action) < self.ask_below

    def decide(self, last_action: str | None, default_k: int) -> Decision:
        """Both decisions at once, for logging alongside the request."""
        return Decision(
            k=self.items_to_show(last_action, default_k),
            ask_first=self.should_ask_before_recommending(last_action),
            p_engage=round(self.model.p_engage(last_action), 4),
            evidence=self.has_evidence,
        )
