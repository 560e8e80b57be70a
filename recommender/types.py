"""Immutable values that cross module boundaries. Rasa dicts stop at `recommender/actions/`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recommender.dialogue.state import DialogueState
    from recommender.dialogue.understand import EntityHint
    from recommender.feedback import FeedbackKind



@dataclass(frozen=True)
class Question:
    """One question with quick replies (instead of a list): `attribute` is "genre" or "era"."""

    attribute: str
    text: str
    options: tuple[str, ...]
    labels: tuple[str, ...] = ()  # what each option's button says, in the person's language (else the option)


@dataclass(frozen=True)
class Item:
    """One catalog entry, as the recommender sees it."""

    item_id: str
    title: str
    year: int | None = None
    genres: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    description: str = ""
    url: str = ""
    popularity: float | None = None
    image_url: str = ""  # a picture of the item (cover, poster): http(s) only, checked at import


@dataclass(frozen=True)
class ConversationContext:
    """What the conversation has told us so far, in raw words as the NLU extracted them.

    `user` is the channel's sender id; the service turns it into a pseudonymous id.
    Normalising words ("90s", "funny", "2nd") into filters is the service's job.
    """

    user: str
    text: str = ""
    genres: tuple[str, ...] = ()
    exclude_genres: tuple[str, ...] = ()
    decade: str | None = None
    year: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    people: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    liked_titles: tuple[str, ...] = ()
    shown_item_ids: tuple[str, ...] = ()
    last_item_ids: tuple[str, ...] = ()
    rejected_item_ids: tuple[str, ...] = ()
    last_request_id: str | None = None
    # the dialogue layer (recommender.dialogue): this turn's intent and NLU entities, and the
    # search state so far; None builds it from the raw-word fields above (older callers)
    intent: str | None = None
    entities: tuple[EntityHint, ...] = ()
    state: DialogueState | None = None
    # the language to answer in ("en" or "zh": recommender.phrases), from the `language` slot
    language: str = "en"


@dataclass(frozen=True)
class Critique:
    """A refinement of the last recommendation ("something older", "no horror", ...)."""

    older: bool = False
    newer: bool = False
    exclude_genres: tuple[str, ...] = ()
    more_like: str | None = None  # an ordinal ("second"), a title, or an item id
    other_options: bool = False


@dataclass(frozen=True)
class RecommendedItem:
    """An item chosen for this turn, with the reason shown to the user."""

    item: Item
    score: float
    reason: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecommendationResult:
    """Everything one recommendation turn produces.

    `context` is the effective context after this turn (filters applied, items shown),
    so the action can store it back into slots.
    """

    request_id: str
    items: tuple[RecommendedItem, ...]
    text: str
    context: ConversationContext
    model_version: str = ""
    notices: tuple[str, ...] = ()
    state: DialogueState | None = None  # the search state after this turn, to persist
    summary: str = ""  # that state in one line, as the ranker used it
    relaxed: tuple[str, ...] = ()  # constraints loosened this turn ("genre:Drama", "years", ...)
    question: Question | None = None  # set instead of items when the bot asks first
    language: str = "en"  # the language the text is written in (recommender.phrases)


@dataclass(frozen=True)
class FeedbackRequest:
    """Feedback as the user gave it: an exact catalog id (buttons), or an ordinal or a title (words)."""

    kind: str
    item_ref: str | None = None
    item_id: str | None = None
    value: float | None = None
    request_id: str | None = None
    # the Rasa message id of the press: with the user, item and kind it makes the idempotency key,
    # so the same press delivered twice is stored once (None: every call is a new event)
    message_id: str | None = None


@dataclass(frozen=True)
class FeedbackResult:
    """What was stored, and what to tell the user."""

    item: Item
    kind: FeedbackKind
    value: float | None
    text: str


@dataclass(frozen=True)
class ItemsReply:
    """A text plus items with one grounded reason each (explanations, saved items)."""

    text: str
    items: tuple[RecommendedItem, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class VariantStats:
    """How often a variant was shown and rewarded."""

    task: str
    variant: str
    pulls: int = 0
    successes: int = 0

    @property
    def alpha(self) -> float:
        """Beta posterior's alpha (uniform prior)."""
        return 1.0 + self.successes

    @property
    def beta(self) -> float:
        """Beta posterior's beta (uniform prior)."""
        return 1.0 + max(0, self.pulls - self.successes)

    @property
    def mean(self) -> float:
        """Posterior mean reward rate."""
        return self.alpha / (self.alpha + self.beta)
