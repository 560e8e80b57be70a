"""`ServiceAction`: the error boundary every action shares.

Subclasses implement `handle` (slots in -> one service call -> messages + events out).
`run` executes it off the event loop (the service may load models or wait on the database)
and turns failures into polite replies: a `RecommenderError` gets a specific response, anything
else is logged with its traceback and answered with `utter_something_went_wrong`. The user
never sees a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from recommender.actions._context import item_reference, user_of
from recommender.actions._followup import followup_sink
from recommender.actions._payload import explanation_text, recommendation_message
from recommender.actions._service import default_service
from recommender.actions._slots import context_slot_events
from recommender.config import get_settings
from recommender.errors import (
    AmbiguousItemError,
    CatalogEmptyError,
    InvalidFeedbackError,
    RecommenderError,
    UnknownItemError,
)
from recommender.identity import log_id
from recommender.observability.metrics import observe_action

if TYPE_CHECKING:
    from recommender.service import RecommenderService
    from recommender.types import ConversationContext

logger = logging.getLogger(__name__)

# One worker: service calls in this process run one at a time (the service need not be
# thread-safe) while the event loop stays free for health checks. Scale with replicas.
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recommender")

# The one line in code: said only when the domain lacks even `utter_something_went_wrong`
# (a bot that adopted the actions without the responses; see the plugin guide). Every other
# word the user reads comes from domain.yml.
LAST_RESORT_TEXT = "Sorry, something went wrong on my side. Please try again in a moment."

# The most specific class first.
ERROR_RESPONSES: tuple[tuple[type[RecommenderError], str], ...] = (
    (UnknownItemError, "utter_unknown_item"),
    (CatalogEmptyError, "utter_catalog_empty"),
    (AmbiguousItemError, "utter_ask_which_item"),
    (InvalidFeedbackError, "utter_invalid_feedback"),
)


def utter_response(dispatcher: CollectingDispatcher, domain: DomainDict | dict[str, Any], key: str) -> None:
    """Send the domain response `key`; `utter_something_went_wrong` when the domain lacks it."""
    responses = (domain or {}).get("responses") or {}
    for candidate in (key, "utter_something_went_wrong"):
        if candidate in responses:
            dispatcher.utter_message(response=candidate)
            return
    logger.warning("the domain has neither %s nor utter_something_went_wrong", key)
    dispatcher.utter_message(text=LAST_RESORT_TEXT)


class ServiceAction(Action, ABC):
    """Base of the recommender actions: holds the service and catches every failure."""

    action_name: ClassVar[str]

    def __init__(self, service: RecommenderService | None = None) -> None:
        """`service` is for tests; rasa-sdk passes nothing and the shared service is loaded lazily."""
        self._service = service

    @property
    def service(self) -> RecommenderService:
        """The injected service, or the process-wide default (created on first use)."""
        if self._service is None:
            self._service = default_service()
        return self._service

    def name(self) -> str:
        """The action name in domain.yml (ActionRecommend <-> action_recommend)."""
        return self.action_name

    def conversation(self, tracker: Tracker) -> str:
        """This conversation as log lines name it: the short pseudonymous user id, never the raw
        sender id (the channel's user id is personal data). Never raises: it is used in `run`'s
        error handlers, also when the service or the settings could not be loaded."""
        try:
            settings = getattr(self._service, "settings", None) or get_settings()
            return log_id(user_of(tracker), settings.user_id_secret)
        except Exception:
            return "u_unknown"

    def recommendation_turn(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, ctx: ConversationContext
    ) -> list[dict[str, Any]]:
        """The one recommendation turn every search-like action ends in: the service reads the words
        into the dialogue state and answers (a list, or one question); the new state goes back into
        the tracker. Push channels also get a follow-up sink for a late LLM message."""
        channel = tracker.get_latest_input_channel()
        sink = followup_sink(self.service, tracker.sender_id, channel)
        result = self.service.recommend(ctx, on_followup=sink)
        logger.info(
            "%s conversation=%s request_id=%s items=%d question=%s", self.name(), self.conversation(tracker),
            result.request_id, len(result.items), result.question.attribute if result.question else None,
        )
        dispatcher.utter_message(**recommendation_message(result, channel))
        return context_slot_events(result)

    def explanation_turn(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, ctx: ConversationContext
    ) -> list[dict[str, Any]]:
        """The "why?" answer for the last items or the one the words point at; changes no slots."""
        reply = self.service.explain(ctx, item_reference(tracker))
        dispatcher.utter_message(text=explanation_text(reply, ctx.language))
        return []

    @abstractmethod
    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Read the tracker, call the service once, send messages; return events."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Run `handle` in the service thread; never raise into rasa-sdk."""
        loop = asyncio.get_running_loop()
        sent_before = len(dispatcher.messages)
        with observe_action(self.name()) as observed:  # latency in /metrics, queueing included
            try:
                return await loop.run_in_executor(_EXECUTOR, self.handle, dispatcher, tracker, domain)
            except RecommenderError as exc:
                observed.outcome = "error"
                del dispatcher.messages[sent_before:]  # no half-finished reply before the apology
                key = next((k for cls, k in ERROR_RESPONSES if isinstance(exc, cls)), "utter_something_went_wrong")
                if key == "utter_something_went_wrong":  # not the person's doing: the traceback is for us
                    logger.exception(
                        "%s failed for conversation %s (%s)", self.name(), self.conversation(tracker), type(exc).__name__
                    )
                else:  # the person's doing (an unknown item, a vague reference): a warning, no traceback;
                    # a message that quotes their words is left out (personal data stays out of logs)
                    logger.warning(
                        "%s failed for conversation %s (%s%s)", self.name(), self.conversation(tracker),
                        type(exc).__name__, "" if exc.quotes_user_text else f": {exc}",
                    )
                utter_response(dispatcher, domain, key)
            except Exception:
                observed.outcome = "error"
                del dispatcher.messages[sent_before:]
                logger.exception("%s crashed for conversation %s", self.name(), self.conversation(tracker))
                utter_response(dispatcher, domain, "utter_something_went_wrong")
        return []
