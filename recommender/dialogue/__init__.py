"""The conversation's memory: understand a turn -> typed acts -> `reduce` -> one `DialogueState`.

understand.py  words + NLU hints -> acts: the order of reading and how the parts combine
turn.py        Turn, EntityHint, CatalogView: what understand reads
tokens.py      a message as tokens; cue phrases matched against them
negation.py    the scope of "not", "anything but", "drop the", "X is out"
genres.py      genre and mood words -> add / replace / exclude / drop / mood acts
references.py  "the second one", "the first two", "like Heat"
cues.py        "already seen", "start over", "surprise me", "other options", people
wish.py        the free-text wish the other acts leave unexplained
lexicon.py     the words for genres and moods, mapped onto any catalog's genre names
eras.py        years and decades as people say them
count.py       how many items the person asked to see ("three comedies", "just one")
chinese.py     a Chinese or mixed sentence -> the English words the reader above understands
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
