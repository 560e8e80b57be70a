"""`RecommenderService`: the one entry point the Rasa actions call. (Skeleton; implementation in progress.)"""

from __future__ import annotations

from recommender.types import (
    ConversationContext,
    Critique,
    FeedbackRequest,
    FeedbackResult,
    ItemsReply,
    RecommendationResult,
)


class RecommenderService:
    """Context extraction -> retrieval -> scoring -> reasons -> logging, for one turn at a time."""

    def recommend(self, ctx: ConversationContext) -> RecommendationResult:
        """Recommend items for the conversation so far; never repeats shown or rejected items."""
        raise NotImplementedError

    def refine(self, ctx: ConversationContext, critique: Critique) -> RecommendationResult:
        """Apply a critique ("older", "no horror", "more like the second one", "other options")."""
        raise NotImplementedError

    def explain(self, ctx: ConversationContext, item_ref: str | None = None) -> ItemsReply:
        """Why the last items (or the one referred to by ordinal/title/id) were recommended."""
        raise NotImplementedError

    def record_feedback(self, ctx: ConversationContext, feedback: FeedbackRequest) -> FeedbackResult:
        """Store feedback; raises UnknownItemError or InvalidFeedbackError on bad input."""
        raise NotImplementedError

    def saved_items(self, ctx: ConversationContext) -> ItemsReply:
        """The user's bookmarked items."""
        raise NotImplementedError

    def forget_user(self, ctx: ConversationContext) -> int:
        """Delete everything stored about this user; returns the number of rows deleted."""
        raise NotImplementedError


def get_service() -> RecommenderService:
    """The process-wide service, built lazily on first use."""
    raise NotImplementedError
