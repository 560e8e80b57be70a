"""Fixtures for action tests: the real domain.yml, tracker builders and a fake service.

Each test builds its own tracker and dispatcher; nothing depends on another test having run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from recommender.config import Settings
from recommender.dialogue.state import DialogueState
from recommender.llm.followup import FollowUp
from recommender.serving.reading import TurnReading
from recommender.types import (
    ConversationContext,
    Critique,
    FeedbackRequest,
    FeedbackResult,
    Item,
    ItemsReply,
    RecommendationResult,
    RecommendedItem,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
DOMAIN_PATH = REPO_ROOT / "domain.yml"

ITEMS = (
    Item("50", "Star Wars (1977)", 1977, ("Action", "Adventure", "Sci-Fi"), url="https://example.org/50"),
    Item("1", "Toy Story (1995)", 1995, ("Animation", "Children's", "Comedy")),
    Item("127", "Godfather, The (1972)", 1972, ("Action", "Crime", "Drama")),
)


def rec(item: Item, reason: str | None = None) -> RecommendedItem:
    """A recommended item with a reason."""
    return RecommendedItem(item=item, score=1.0, reason=reason or f"because you like {item.genres[0].lower()}")


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The project's real domain.yml, as a dict (what Rasa sends to the action server)."""
    assert DOMAIN_PATH.exists(), f"{DOMAIN_PATH} is missing"
    return yaml.safe_load(DOMAIN_PATH.read_text(encoding="utf-8"))


def make_tracker(
    text: str = "recommend me a movie",
    intent: str = "request_recommendation",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    channel: str | None = "rest",
    sender_id: str = "test-user",
    after: str | None = None,
) -> Tracker:
    """A tracker whose latest user message is `text` with `intent` and `entities`, said `after` the
    bot's domain response of that name (None: no bot message before it)."""
    parse_data = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or []}
    said = [] if after is None else [{"event": "action", "name": after},
                                     {"event": "bot", "text": "…", "metadata": {"utter_action": after}}]
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": dict(slots or {}),
            "latest_message": parse_data,
            "events": [
                *said,
                {"event": "action", "name": "action_listen"},
                {"event": "user", "text": text, "parse_data": parse_data, "input_channel": channel},
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def entity(name: str, value: Any, role: str | None = None) -> dict[str, Any]:
    """One extracted entity, shaped like Rasa's parse data."""
    found: dict[str, Any] = {"entity": name, "value": value, "start": 0, "end": 0, "extractor": "DIETClassifier"}
    if role is not None:
        found["role"] = role
    return found


def run_action(action: Action, tracker: Tracker, domain: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Run an action the way rasa-sdk does; returns (dispatched messages, events)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))  # type: ignore[arg-type]
    return dispatcher.messages, events


class FakeService:
    """Implements RecommenderService's methods with canned, real `recommender.types` values.

    `calls` records (method, arguments); `fail_with` makes every method raise that exception.
    """

    def __init__(self, fail_with: BaseException | None = None, items: tuple[Item, ...] = ITEMS) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.fail_with = fail_with
        self.items = items
        self.saved: tuple[Item, ...] = items[:1]
        self.followups_enabled = True  # the actions give push channels a sink to Rasa
        self.settings = Settings(_env_file=None, rasa_url="http://127.0.0.1:9")
        self.on_followup: Callable[[FollowUp], None] | None = None
        self.kind_of_turn = "none"  # the kind `read_turn` answers ("search", "seen" or "none")
        self.names_an_item = False  # its `names_an_item` ("I like westerns" names none)

    def _enter(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        if self.fail_with is not None:
            raise self.fail_with

    def _result(self, ctx: ConversationContext, items: tuple[Item, ...]) -> RecommendationResult:
        ids = tuple(i.item_id for i in items)
        lines = "\n".join(f"{n}. {i.title} — because" for n, i in enumerate(items, 1))
        return RecommendationResult(
            request_id="req-1",
            items=tuple(rec(i) for i in items),
            text=f"Here are {len(items)} picks:\n{lines}",
            context=ConversationContext(
                user=ctx.user,
                year_from=1970,
                year_to=1999,
                shown_item_ids=(*ctx.shown_item_ids, *ids),
                last_item_ids=ids,
                rejected_item_ids=ctx.rejected_item_ids,
                last_request_id="req-1",
            ),
            model_version="fake-1",
            state=DialogueState(genres=("Comedy",), year_from=1970, year_to=1999, shown_items=ids, last_items=ids),
            summary="Comedy · 1970–1999",
        )

    def read_turn(self, ctx: ConversationContext) -> TurnReading:
        self._enter("read_turn", ctx)
        return TurnReading(self.kind_of_turn, self.names_an_item)

    def misrouted_search(self, ctx: ConversationContext) -> bool:
        self._enter("misrouted_search", ctx)
        return self.kind_of_turn == "search"

    def recommend(self, ctx: ConversationContext, *, on_followup: Callable[[FollowUp], None] | None = None
                  ) -> RecommendationResult:
        self._enter("recommend", ctx)
        self.on_followup = on_followup
        return self._result(ctx, self.items)

    def refine(self, ctx: ConversationContext, critique: Critique, *,
               on_followup: Callable[[FollowUp], None] | None = None) -> RecommendationResult:
        self._enter("refine", ctx, critique)
        self.on_followup = on_followup
        return self._result(ctx, self.items[1:])

    def explain(self, ctx: ConversationContext, item_ref: str | None = None) -> ItemsReply:
        self._enter("explain", ctx, item_ref)
        return ItemsReply("Here's why I picked these:", tuple(rec(i, f"reason for {i.item_id}") for i in self.items))

    def record_feedback(self, ctx: ConversationContext, feedback: FeedbackRequest) -> FeedbackResult:
        self._enter("record_feedback", ctx, feedback)
        item = next((i for i in self.items if i.item_id in (feedback.item_id, feedback.item_ref)), self.items[0])
        kind = feedback.kind if feedback.kind in ("like", "dislike", "rating", "bookmark") else "like"
        return FeedbackResult(item=item, kind=kind, value=feedback.value, text=f"Noted: {kind} {item.title}.")  # type: ignore[arg-type]

    def saved_items(self, ctx: ConversationContext) -> ItemsReply:
        self._enter("saved_items", ctx)
        return ItemsReply(f"You saved {len(self.saved)} item(s):", tuple(rec(i, "saved by you") for i in self.saved))

    def forget_user(self, ctx: ConversationContext) -> int:
        self._enter("forget_user", ctx)
        return 7


@pytest.fixture
def fake() -> FakeService:
    """A fresh fake service."""
    return FakeService()


# Test modules use these through fixtures (importing a conftest by name is fragile).
@pytest.fixture
def tracker() -> Callable[..., Tracker]:
    """`make_tracker(text, intent, entities, slots, channel, sender_id)`."""
    return make_tracker


@pytest.fixture
def ent() -> Callable[..., dict[str, Any]]:
    """`entity(name, value, role=None)`."""
    return entity


@pytest.fixture
def run() -> Callable[[Action, Tracker, dict[str, Any]], tuple[list[dict[str, Any]], list[Any]]]:
    """`run_action(action, tracker, domain)` -> (messages, events)."""
    return run_action


@pytest.fixture
def items() -> tuple[Item, ...]:
    """The three catalog items the fake service recommends."""
    return ITEMS


@pytest.fixture
def failing() -> Callable[[BaseException], FakeService]:
    """`failing(exc)`: a fake service whose every method raises `exc`."""
    return lambda exc: FakeService(fail_with=exc)
