"""The conversation's memory: understand a turn -> typed acts -> `reduce` -> one `DialogueState`.

    understand.py  words + NLU hints -> acts (negation scope, eras, references, moods)
    lexicon.py     the words for genres and moods, mapped onto any catalog's genre names
    eras.py        years and decades as people say them
    acts.py        the typed acts
    reducer.py     reduce(state, acts) -> state: pure, the only place the search changes
    state.py       DialogueState: persisted with the conversation, shown as one line
    plan.py        state -> hard filters, seeds, and the loosening the reply must mention
    policy.py      ask one question or recommend
"""

from recommender.dialogue.acts import Act
from recommender.dialogue.reducer import reduce
from recommender.dialogue.state import DialogueState
from recommender.dialogue.understand import CatalogView, EntityHint, Turn, understand

__all__ = ["Act", "CatalogView", "DialogueState", "EntityHint", "Turn", "reduce", "understand"]
