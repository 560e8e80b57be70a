"""`action_fallback`: out-of-scope and unsure turns, with one more chance to be a movie request.

The NLU's intent is a guess; "got any war movies?" sometimes lands on out_of_scope. When the
recommender still reads a search in the words (a genre, an era, a title to go by), the turn is
answered as one; anything else gets the polite redirect (out_of_scope) or a request to rephrase.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import ServiceAction, utter_response
from actions._context import build_context


class ActionFallback(ServiceAction):
    """Words the recommender understands -> a recommendation turn; otherwise the redirect."""

    action_name = "action_fallback"

    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Recommend when the words ask for something; else say what the bot can do."""
        ctx = build_context(tracker)
        if self.service.turn_kind(ctx) == "none":
            utter_response(dispatcher, domain, "utter_out_of_scope" if ctx.intent == "out_of_scope" else "utter_default")
            return []
        return self.recommendation_turn(dispatcher, tracker, ctx)
