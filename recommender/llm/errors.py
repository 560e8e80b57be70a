"""LLM failures, inside the project's one hierarchy so actions can catch them like any other.

The pipeline never lets these reach a user: every one of them ends in the template fallback and a
counted event. They exist so backends can say *why* (timeout vs. refused vs. garbage) and the
counters and logs can tell the cases apart.
"""

from __future__ import annotations

from recommender.errors import RecommenderError


class LLMError(RecommenderError):
    """Base of every LLM failure."""


class LLMConfigurationError(LLMError):
    """The backend cannot work as configured (missing model package, bad URL, rejected API key)."""


class LLMUnavailableError(LLMError):
    """The backend could not be reached or kept failing after the allowed retries."""


class LLMTimeoutError(LLMError):
    """The call did not finish within its time limit."""


class LLMResponseError(LLMError):
    """The backend answered, but not with something the protocol allows (bad JSON, no choices, ...)."""


class LLMNotSupportedError(LLMError):
    """The backend does not offer this operation (e.g. log-likelihood scoring over plain chat)."""


def failure_name(reason: str) -> str:
    """The counters' one name for a failed LLM call: "timeout", or "error:<short name>".

    `reason` is an exception class name ("LLMUnavailableError") or a deadline outcome's reason
    ("timeout", "error:<ExceptionType>"); a timeout is "timeout" whichever clock ran out first
    (the turn's or the backend's own), any other failure "error:unavailable", "error:value", ...
    """
    name = reason.removeprefix("error:").removeprefix("LLM").removesuffix("Error").lower() or "error"
    return "timeout" if name == "timeout" else f"error:{name}"
