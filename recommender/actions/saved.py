"""`action_show_saved`: list the user's bookmarked items."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from recommender.actions._base import ServiceAction
from recommender.actions._context import build_context
from recommender.actions._payload import saved_items_message


class ActionShowSaved(ServiceAction):
    """`RecommenderService.saved_items` -> text plus a `saved_items` payload."""

    action_name = "action_show_saved"

    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Show saved items; changes no slots (a search the NLU sent here is answered as a search)."""
        ctx = build_context(tracker)
        if self.service.misrouted_search(ctx):  # "show me science fiction" is no request for the saved list
            return self.recommendation_turn(dispatcher, tracker, ctx)
        reply = self.service.saved_items(ctx)
        dispatcher.utter_message(**saved_items_message(reply, tracker.get_latest_input_channel(), ctx.language))
        return []
