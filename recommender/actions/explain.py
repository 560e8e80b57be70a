"""`action_explain`: why the last items (or the one the user points at) were recommended."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from recommender.actions._base import ServiceAction
from recommender.actions._context import build_context


class ActionExplain(ServiceAction):
    """Slots + optional item reference -> `RecommenderService.explain` -> one grounded reason per item."""

    action_name = "action_explain"

    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Explain; changes no slots (a search the NLU sent here is answered as a search)."""
        ctx = build_context(tracker)
        if self.service.misrouted_search(ctx):  # "show me something that makes me laugh" asks no "why"
            return self.recommendation_turn(dispatcher, tracker, ctx)
        return self.explanation_turn(dispatcher, tracker, ctx)
