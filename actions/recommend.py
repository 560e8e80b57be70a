"""`action_recommend`: recommend items for what the conversation asked so far."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import ServiceAction
from actions._context import build_context
from actions._payload import recommendation_message
from actions._slots import context_slot_events

logger = logging.getLogger(__name__)


class ActionRecommend(ServiceAction):
    """Slots -> `RecommenderService.recommend` -> text, buttons, cards payload and context slots.

    On push channels the service also gets a follow-up sink: an LLM message that misses the turn
    budget is sent after the turn through Rasa's `EXTERNAL_llm_followup` intent.
    """

    action_name = "action_recommend"

    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Recommend and remember what was shown."""
        channel = tracker.get_latest_input_channel()
        result = self.service.recommend(
            build_context(tracker), on_followup=self.service.followup_sink(tracker.sender_id, channel)
        )
        logger.info(
            "recommended conversation=%s request_id=%s items=%d",
            self.conversation(tracker), result.request_id, len(result.items),
        )
        dispatcher.utter_message(**recommendation_message(result, channel))
        return context_slot_events(result)
