"""Slot events that store a recommendation turn's dialogue state back into the tracker."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet

from recommender.actions._context import STATE_SLOT
from recommender.types import ConversationContext, RecommendationResult


def context_slot_events(result: RecommendationResult) -> list[dict[str, Any]]:
    """SlotSets for the dialogue state, the shown/last/rejected item ids and the request id."""
    ctx: ConversationContext = result.context
    events = [
        SlotSet("shown_item_ids", list(ctx.shown_item_ids)),
        SlotSet("last_item_ids", list(ctx.last_item_ids)),
        SlotSet("rejected_item_ids", list(ctx.rejected_item_ids)),
        SlotSet("last_request_id", result.request_id or ctx.last_request_id),
    ]
    if result.state is not None:
        events.append(SlotSet(STATE_SLOT, result.state.to_dict()))
    return events
