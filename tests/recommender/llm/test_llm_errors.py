"""One name per LLM failure in the counters, whether it comes from an exception or a deadline outcome."""

from __future__ import annotations

import pytest

from recommender.llm.errors import LLMResponseError, LLMTimeoutError, LLMUnavailableError, failure_name


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (LLMTimeoutError.__name__, "timeout"),  # a backend's exception, caught in rerank
        ("timeout", "timeout"),  # the turn stopped waiting
        (f"error:{LLMTimeoutError.__name__}", "timeout"),  # the backend's own clock ran out first
        (LLMUnavailableError.__name__, "error:unavailable"),
        (f"error:{LLMUnavailableError.__name__}", "error:unavailable"),
        (f"error:{LLMResponseError.__name__}", "error:response"),
        ("error:ValueError", "error:value"),  # a bug in the worker, not an LLM failure
        ("error:Error", "error:error"),
    ],
)
def test_a_failure_has_the_same_counter_name_from_either_source(reason: str, expected: str) -> None:
    assert failure_name(reason) == expected
