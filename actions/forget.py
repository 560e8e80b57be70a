"""`action_forget_me`: delete everything stored about the user and reset the conversation."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import AllSlotsReset
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._base import ServiceAction
from actions._context import build_context

logger = logging.getLogger(__name__)


class ActionForgetMe(ServiceAction):
    """`RecommenderService.forget_user` -> confirmation, then every slot reset."""

    action_name = "action_forget_me"

    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Forget the user (runs only after the user confirmed)."""
        deleted = self.service.forget_user(build_context(tracker))
        logger.info("forgot conversation=%s rows=%d", self.conversation(tracker), deleted)
        dispatcher.utter_message(
            text=f"Done: I deleted everything I had stored about you ({deleted} records) "
            "and cleared this conversation's preferences."
        )
        return [AllSlotsReset()]
