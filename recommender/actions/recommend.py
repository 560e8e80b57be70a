"""`action_recommend`: recommend items for what the conversation asked so far."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from recommender.actions._base import ServiceAction
from recommender.actions._context import build_context


class ActionRecommend(ServiceAction):
    """Slots -> `RecommenderService.recommend` -> text, buttons, cards payload and context slots.

    On push channels the service also gets a follow-up sink: an LLM message that misses the turn
    budget is sent after the turn through Rasa's `EXTERNAL_llm_followup` intent.
    """

    action_name = "action_recommend"

    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Recommend and remember what was shown."""
        return self.recommendation_turn(dispatcher, tracker, build_context(tracker))
