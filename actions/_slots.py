"""Slot events that store a recommendation turn's effective context back into the tracker."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet

from recommender.types import ConversationContext, RecommendationResult


def context_slot_events(result: RecommendationResult) -> list[dict[str, Any]]:
    """SlotSets for shown/last/rejected item ids, the request id and the effective year range."""
    ctx: ConversationContext = result.context
    return [
        SlotSet("shown_item_ids", list(ctx.shown_item_ids)),
        SlotSet("last_item_ids", list(ctx.last_item_ids)),
        SlotSet("rejected_item_ids", list(ctx.rejected_item_ids)),
        SlotSet("last_request_id", result.request_id or ctx.last_request_id),
        SlotSet("year_from", None if ctx.year_from is None else float(ctx.year_from)),
        SlotSet("year_to", None if ctx.year_to is None else float(ctx.year_to)),
    ]
