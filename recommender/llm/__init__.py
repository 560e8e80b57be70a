"""LLM re-ranking and grounded generation: local by default, any OpenAI-compatible server at scale.

The service uses four names from here: `LLMPipeline` (re-rank, explain, feedback), `QuerySummary`
(what the user asked), `ExplainItem` (an item with its template reason) and `turn_prompt_version`
(what to log with impressions). Importing this package loads no model and opens no connection.
"""

from recommender.llm.budget import Deadline
from recommender.llm.followup import FollowUp
from recommender.llm.generate import ExplainItem, Explanation
from recommender.llm.pipeline import LLMPipeline, turn_prompt_version
from recommender.llm.query import QuerySummary
from recommender.llm.rerank import RerankResult

__all__ = [
    "Deadline",
    "ExplainItem",
    "Explanation",
    "FollowUp",
    "LLMPipeline",
    "QuerySummary",
    "RerankResult",
    "turn_prompt_version",
]
