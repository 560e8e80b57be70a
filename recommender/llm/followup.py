"""Follow-up messages: the LLM's text, delivered after the turn where the channel can push.

A turn answers at once with the ranked items and template reasons. When the LLM finishes later,
the pipeline hands a `FollowUp` to the turn's sink. Which channels can take one and how it
reaches them (Rasa's `trigger_intent` API) is channel knowledge and lives in the actions layer
(`recommender/actions/_followup.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class FollowUp:
    """The LLM-written message for a turn that already answered with template reasons."""

    request_id: str | None
    text: str
    reasons: Mapping[str, str] = field(default_factory=dict)
    prompt_version: str | None = None


class FollowUpWithdrawn(Exception):
    """Raised by a sink to say this follow-up must not be sent (its user asked to be forgotten since).

    The pipeline counts it (`followup`, `forgotten`) and sends nothing; it is not a delivery failure.
    """


class FollowUpSink(Protocol):
    """Where a follow-up goes (called from an LLM worker thread, after the action returned)."""

    def __call__(self, followup: FollowUp) -> None:
        """Deliver the follow-up; raise on failure (the caller logs and counts it)."""
        ...
