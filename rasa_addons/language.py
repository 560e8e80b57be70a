"""The language of each message, as an entity that fills the `language` slot.

The bot answers in the language of the person's latest message. A message with Chinese
characters is `zh` ("来点90年代的sci-fi" too); one with Latin letters and no Chinese is `en`; a
message with neither ("4", "👍", "?") says nothing, so the slot keeps the language the person
used before. The domain's responses pick their `zh` variation by this slot (Rasa's conditional
response variations) and the actions read it, so one definition decides the language of a turn.
Button payloads (`/feedback{...}`) skip the NLU pipeline and leave the slot as it was.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
ENTITY = "language"


def detect(text: str) -> Optional[str]:
    """'zh', 'en', or None when the text has neither Chinese characters nor Latin letters."""
    if HAN.search(text):
        return "zh"
    if LATIN.search(text):
        return "en"
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Adds a `language` entity ("zh" or "en") to every message that has words."""

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            language = detect(text) if not text.startswith("/") else None
            if language is None:
                continue
            entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != ENTITY]
            entities.append({
                "entity": ENTITY, "value": language, "start": 0, "end": len(text),
                "confidence": 1.0, "extractor": type(self).__name__,
            })
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
