"""`action_forget_me`: delete everything stored about the user and restart the conversation.

`Restarted` (after the confirmation is sent) makes Rasa reset the tracker and run
`action_session_start`, as its own `action_restart` does: from then on no policy, slot or
`/conversations/<id>/tracker` view (events after the last restart by default) sees the earlier
turns. Rasa keeps the earlier events in its tracker store, though (Rasa 3.6 cannot delete them;
see docs/feedback-loop.md, Privacy).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import AllSlotsReset, Restarted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from recommender.actions._base import ServiceAction, utter_response
from recommender.actions._context import build_context, last_bot_response

logger = logging.getLogger(__name__)

CONFIRM_RESPONSE = "utter_confirm_forget"


class ActionConfirmForget(ServiceAction):
    """Ask before forgetting the user; a search the NLU took for "forget me" is answered as a search.

    "forget the decade" takes back a filter, not the person (the NLU calls it forget_me). A "yes"
    after that list still matches the rule "question, yes, forget", so `action_forget_me` deletes only
    when its question is the bot's last message. Anything naming the person or their data ("forget
    me", "delete my ratings") is asked about.
    """

    action_name = "action_confirm_forget"

    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """The confirmation question, or the recommendation turn the words ask for."""
        ctx = build_context(tracker)
        if self.service.misrouted_search(ctx):
            return self.recommendation_turn(dispatcher, tracker, ctx)
        utter_response(dispatcher, domain, CONFIRM_RESPONSE)
        return []


class ActionForgetMe(ServiceAction):
    """`RecommenderService.forget_user` -> confirmation, then every slot reset and a restart."""

    action_name = "action_forget_me"

    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Forget the user (runs only after the user confirmed: anything else asks first)."""
        if last_bot_response(tracker) != CONFIRM_RESPONSE:
            logger.warning("forget requested without the confirmation just before it: asking first")
            utter_response(dispatcher, domain, CONFIRM_RESPONSE)
            return []
        deleted = self.service.forget_user(build_context(tracker))
        logger.info("forgot conversation=%s rows=%d", self.conversation(tracker), deleted)
        dispatcher.utter_message(
            text=f"Done: I deleted everything I had stored about you ({deleted} records) "
            "and cleared this conversation's preferences."
        )
        return [AllSlotsReset(), Restarted()]
