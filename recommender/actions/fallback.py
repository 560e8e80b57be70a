"""`action_fallback`: turns whose intent has no search in it, with one more chance to be one.

The NLU's intent is a guess: "got any war movies?" sometimes lands on out_of_scope, "nah, something
with romance" on deny, "help me find a western" on help, "year-wise i'm thinking late 70's" on
goodbye, "hey, got anything creepy from the early eighties?" on greet. When the recommender still
reads a search in the words (a genre, an era, a title to go by), the turn is answered as one;
anything else gets the intent's own reply: the polite redirect (out_of_scope), the help text
(help, a yes or no out of context), the farewell (goodbye, unless no word of farewell is in it),
the greeting (greet) or a request to rephrase (nlu_fallback). A yes right after the greeting,
which offers a list, asks for one.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from recommender.actions._base import ServiceAction, utter_response
from recommender.actions._context import build_context, last_bot_response
from recommender.dialogue.cues import THANKS
from recommender.phrases import say

# what each routed intent gets when the words hold no search
OTHERWISE = {
    "out_of_scope": "utter_out_of_scope",
    "help": "utter_help",
    "affirm": "utter_help",
    "deny": "utter_help",
    "goodbye": "utter_goodbye",
    "greet": "utter_greet",
}
# responses that offer a list ("Want some suggestions now?"): a plain yes to them asks for one
_OFFERS = {"utter_greet"}
# intents with words of their own ("bye", "see you"): a search only when none of those words is there
# ("later!" is a goodbye, "year-wise i'm thinking late 70's" is not)
_OWN_WORDS = {"goodbye"}


class ActionFallback(ServiceAction):
    """Words the recommender understands -> a recommendation turn; otherwise the redirect."""

    action_name = "action_fallback"

    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Recommend when the words ask for something; else say what the bot can do."""
        ctx = build_context(tracker)
        if ctx.intent == "affirm" and last_bot_response(tracker) in _OFFERS:
            searching = True
        elif ctx.intent in _OWN_WORDS:
            searching = self.service.misrouted_search(ctx)
        else:
            searching = self.service.read_turn(ctx).kind != "none"
        if not searching:
            if THANKS.search(ctx.text.lower()) and ctx.intent != "goodbye":
                dispatcher.utter_message(text=say("welcome", ctx.language))
            else:
                utter_response(dispatcher, domain, OTHERWISE.get(ctx.intent or "", "utter_default"))
            return []
        return self.recommendation_turn(dispatcher, tracker, ctx)
