"""`action_refine`: a critique of the last list ("older", "no horror", "more like the second one")."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from recommender.actions._base import ServiceAction
from recommender.actions._context import build_context


class ActionRefine(ServiceAction):
    """The dialogue state + this turn's words -> `RecommenderService.recommend` -> a new list.

    A critique is one more turn of the same conversation: the recommender reads the words and
    updates the one dialogue state (a refine turn it cannot read still gets other options).
    """

    action_name = "action_refine"

    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Refine the last recommendation and persist the new state; a question about one item
        ("tell me more about #4", which the NLU calls a refine) is answered as one."""
        ctx = build_context(tracker)
        if self.service.read_turn(ctx).about_an_item:
            return self.explanation_turn(dispatcher, tracker, ctx)
        return self.recommendation_turn(dispatcher, tracker, ctx)
