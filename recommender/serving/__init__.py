"""The stages of one served turn, which `recommender.service.RecommenderService` strings together.

`bundles` holds the model bundle being served; `reading` turns a message into dialogue acts and
state; `recommend` plans, scores, ranks and logs a list; `llm_turn` adds the LLM's re-ranking and
reasons within the turn budget; `references` resolves "the second one"; `wording` is what the user
reads.
"""
