"""A whitespace tokenizer that keeps only the first `max_tokens` tokens of a message."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class TruncatingWhitespaceTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer with a bound on sequence length (DIET's attention is quadratic in it)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "max_tokens": 120}

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        return super().tokenize(message, attribute)[: int(self._config["max_tokens"])]
