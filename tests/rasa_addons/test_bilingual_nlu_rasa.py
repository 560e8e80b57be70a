"""The bilingual tokenizer and the language entity (rasa_addons/tokenizer.py, language.py) in Rasa's Python.

Chinese is segmented by Jieba with offsets into the original text (so entity annotations line up),
genre words stay tokens of their own, Latin words inside Chinese stay whole, the 120-token cap
holds for text without spaces, and a word of Chinese alone after a comma is not dropped as an
emoji (Rasa's emoji pattern spans every Chinese character). Every worded message gets a
`language` entity; a button payload or a message without letters gets none.
"""

from __future__ import annotations

from rasa_python import run_in_rasa

SCRIPT = r"""
import json
from rasa.shared.nlu.training_data.message import Message
from rasa_addons.tokenizer import TruncatingWhitespaceTokenizer as T
from rasa_addons.language import LanguageDetector

tokenizer = T(T.get_default_config())
def tokens(text):
    return [[t.text, t.start, t.end] for t in tokenizer.tokenize(Message({"text": text}), "text")]

detector = LanguageDetector()
def language(text):
    message = Message({"text": text})
    detector.process([message])
    return [e["value"] for e in message.get("entities", []) if e["entity"] == "language"]

print(json.dumps({
    "zh": tokens("推荐一部90年代的喜剧电影"),
    "mixed": tokens("来点90年代的sci-fi吧"),
    "comma": tokens("90年代的动画，别太恐怖"),
    "glued": tokens("拜托别推动画片"),
    "en": tokens("I want a comedy from the 90s"),
    "long": len(tokens("喜剧" * 5000)),
    "languages": [language(t) for t in ("推荐一部喜剧", "来点sci-fi", "a comedy please", "4", "👍", "/feedback{}")],
}))
"""


def test_chinese_english_and_mixed_messages_are_tokenized_on_word_boundaries() -> None:
    report = run_in_rasa(SCRIPT, {})
    assert [t[0] for t in report["zh"]] == ["推荐", "一部", "90", "年代", "的", "喜剧", "电影"]
    text = "推荐一部90年代的喜剧电影"
    assert all(text[start:end] == word for word, start, end in report["zh"])  # offsets into the original
    assert [t[0] for t in report["mixed"]] == ["来", "点", "90", "年代", "的", "sci-fi", "吧"]
    assert [t[0] for t in report["comma"]][-3:] == ["别", "太", "恐怖"]  # not dropped as an "emoji"
    assert "动画" in [t[0] for t in report["glued"]]  # Jieba alone reads 推动 + 画片
    assert [t[0] for t in report["en"]] == ["I", "want", "a", "comedy", "from", "the", "90s"]
    assert report["long"] == 120


def test_every_worded_message_gets_its_language_and_others_keep_the_slot() -> None:
    report = run_in_rasa(SCRIPT, {})
    assert report["languages"] == [["zh"], ["zh"], ["en"], [], [], []]
