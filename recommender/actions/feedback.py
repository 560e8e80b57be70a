"""`action_record_feedback`: store a like, dislike, rating or bookmark (buttons or words)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from recommender import feedback as fb
from recommender.actions._base import ServiceAction
from recommender.actions._context import build_context, build_feedback, latest_entity

logger = logging.getLogger(__name__)


class ActionRecordFeedback(ServiceAction):
    """This turn's feedback -> `RecommenderService.record_feedback` -> confirmation text."""

    action_name = "action_record_feedback"

    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Record feedback; a dislike also keeps the item out of this conversation's next lists, a
        like of a title named in words is followed by more like it."""
        ctx = build_context(tracker)
        reading = None if latest_entity(tracker, "item_id") else self.service.read_turn(ctx)
        kind = "button" if reading is None else reading.kind
        # an ordinal, or an item understanding reads ("the middle one looks good", a title it keeps:
        # the NLU's "title" in "not a love story" is none)
        names_an_item = bool(latest_entity(tracker, "ordinal")) or (
            reading is not None and kind == "search" and reading.names_an_item
        )
        if kind == "seen" or (kind == "search" and not names_an_item):
            # "we already saw the first two": leave them out and show others, never a rating;
            # "I like westerns" is a wish for westerns, not feedback on an item
            return self.recommendation_turn(dispatcher, tracker, ctx)
        # the press's Rasa message id: a press delivered twice is stored once (the idempotency key)
        press = replace(build_feedback(tracker, ctx), message_id=(tracker.latest_message or {}).get("message_id"))
        result = self.service.record_feedback(ctx, press)
        logger.info(
            "feedback conversation=%s item=%s kind=%s", self.conversation(tracker), result.item.item_id, result.kind
        )
        dispatcher.utter_message(text=result.text)
        if result.kind == fb.DISLIKE and result.item.item_id not in ctx.rejected_item_ids:
            return [SlotSet("rejected_item_ids", [*ctx.rejected_item_ids, result.item.item_id])]
        if result.kind == fb.LIKE and reading is not None and not latest_entity(tracker, "ordinal"):
            # "I loved Fargo and Pulp Fiction, what else?": a taste told in words, and the
            # acknowledgement promises more like it; the same turn shows them (every title named
            # becomes a seed of the search). A press on a shown item, or "the second one", does not.
            return self.recommendation_turn(dispatcher, tracker, ctx)
        return []
