"""`action_refine`: apply a critique ("older", "no horror", "more like the second", "other options")."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import ServiceAction
from actions._context import build_context, build_critique
from actions._payload import recommendation_message
from actions._slots import context_slot_events

logger = logging.getLogger(__name__)


class ActionRefine(ServiceAction):
    """Slots + this turn's critique -> `RecommenderService.refine` -> a new list."""

    action_name = "action_refine"

    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Refine the last recommendation and remember the new filters."""
        critique = build_critique(tracker)
        ctx = build_context(tracker)
        events: list[dict[str, Any]] = []
        if critique.exclude_genres:
            excluded = list(dict.fromkeys([*ctx.exclude_genres, *critique.exclude_genres]))
            wanted = [g for g in ctx.genres if g not in excluded]
            ctx = replace(ctx, exclude_genres=tuple(excluded), genres=tuple(wanted))
            events += [SlotSet("exclude_genre", excluded), SlotSet("genre", wanted or None)]
        channel = tracker.get_latest_input_channel()
        result = self.service.refine(
            ctx, critique, on_followup=self.service.followup_sink(tracker.sender_id, channel)
        )
        logger.info(
            "refined conversation=%s request_id=%s critique=%s items=%d",
            self.conversation(tracker), result.request_id, critique, len(result.items),
        )
        dispatcher.utter_message(**recommendation_message(result, channel))
        return events + context_slot_events(result)
