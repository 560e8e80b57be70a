"""One tokenizer for English and Chinese in the same message, with a bound on its length.

Latin text is split on whitespace (Rasa's `WhitespaceTokenizer`, which refuses `zh`); every
whitespace token holding Chinese characters ("推荐一部90年代的喜剧电影", "来点90年代的sci-fi") is
segmented again by Jieba, with offsets into the original text so entity annotations line up.
Genre and mood words are kept apart from the suffixes that form compounds in Jieba's dictionary
("恐怖片" -> "恐怖" "片"), so "[恐怖](genre)片" is annotated on a token boundary and "恐怖片" and
"恐怖电影" share a token. The first `max_tokens` tokens are kept: DIET's attention is quadratic in
the sequence length (a 100 kB message needed ~13 GB).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from rasa_addons.language import HAN

logger = logging.getLogger(__name__)

RUNS = re.compile(f"{HAN.pattern}+|[^{HAN.pattern[1:-1]}]+")  # runs of Chinese characters, and the rest
WORD = re.compile(r"\w")
WORD_EDGES = re.compile(r"\W*(\w(?:.*\w)?)\W*$", re.DOTALL)  # a Latin run without the punctuation around it

# Words that must stay tokens of their own: genres, moods and the parts of eras and ordinals.
KEEP_WORDS = (
    "喜剧", "恐怖", "科幻", "爱情", "动画", "战争", "西部", "犯罪", "悬疑", "惊悚", "纪录", "纪录片", "歌舞",
    "音乐", "音乐剧", "黑色电影", "奇幻", "魔幻", "冒险", "儿童", "动作", "剧情", "家庭", "武侠", "警匪", "黑帮",
    "搞笑", "吓人", "温馨", "感人", "刺激", "烧脑", "治愈", "浪漫", "轻松", "暴力", "血腥", "文艺",
    "催泪", "功夫", "卡通", "可怕", "太空", "推理", "牛仔", "记录片", "好笑", "爆笑", "悲伤", "伤感", "温暖",
    "暖心", "紧张", "黑暗", "暗黑", "史诗", "励志", "喜劇", "愛情", "懸疑", "戰爭", "動畫",
    "老一点", "新一点", "换一批", "更像", "武打", "虐心", "伤感",
    "年代", "以前", "之前", "以后", "之后", "第一", "第二", "第三", "第四", "第五", "最后",
)
_KEEP_BY_LENGTH = sorted(set(KEEP_WORDS), key=len, reverse=True)
# What forms a compound with a kept word in Jieba's dictionary ("恐怖片", "爱情故事", "动作片").
SUFFIXES = ("片", "片儿", "剧", "电影", "影片", "类", "系", "类型", "题材", "故事", "小说", "迷", "的")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class TruncatingWhitespaceTokenizer(WhitespaceTokenizer):
    """Whitespace for Latin text, Jieba inside Chinese runs, at most `max_tokens` tokens.

    (The name predates Chinese: config.yml and every trained model refer to it.)
    """

    _jieba: Any = None
    _jieba_lock = threading.Lock()

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "max_tokens": 120}

    @staticmethod
    def not_supported_languages() -> Optional[List[Text]]:
        return None  # Chinese is segmented by Jieba

    @classmethod
    def segmenter(cls) -> Any:
        """Jieba's tokenizer with the kept words, loaded once per process (about 1 s)."""
        with cls._jieba_lock:
            if cls._jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                segmenter = jieba.Tokenizer()
                for word in KEEP_WORDS:
                    segmenter.add_word(word, freq=100_000)
                    for suffix in SUFFIXES:
                        if word + suffix not in KEEP_WORDS:
                            segmenter.del_word(word + suffix)
                cls._jieba = segmenter
            return cls._jieba

    @classmethod
    def segment(cls, run: str) -> List[Tuple[str, int]]:
        """(word, offset) of a run of Chinese characters: the kept words first (longest match, left to
        right), so Jieba cannot glue one to a neighbour ("推动画片" -> 推, 动画, 片; "太恐怖" -> 太, 恐怖);
        what lies between them is Jieba's."""
        words: List[Tuple[str, int]] = []
        piece_start = i = 0
        while i <= len(run):
            kept = next((w for w in _KEEP_BY_LENGTH if run.startswith(w, i)), None) if i < len(run) else None
            if kept is None and i < len(run):
                i += 1
                continue
            if piece_start < i:  # the text before this kept word (or before the end)
                words += [(w, piece_start + o) for w, o, _ in cls.segmenter().tokenize(run[piece_start:i], HMM=False)
                          if WORD.search(w)]
            if kept is None:
                break
            words.append((kept, i))
            i += len(kept)
            piece_start = i
        return words

    def remove_emoji(self, text: Text) -> Text:
        """Rasa's emoji pattern spans U+24C2..U+1F251, every Chinese character included: a word of
        Chinese alone ("别太恐怖" after a comma) would be dropped as an emoji."""
        return text if HAN.search(text) else super().remove_emoji(text)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens: List[Token] = []
        for token in super().tokenize(message, attribute):
            if not HAN.search(token.text):
                tokens.append(token)
                continue
            for run in RUNS.finditer(token.text):  # "90年代的sci-fi吧": Chinese runs by Jieba, the rest kept whole
                start = token.start + run.start()
                if HAN.match(run.group()):
                    tokens += [Token(word, start + offset) for word, offset in self.segment(run.group())]
                elif (word := WORD_EDGES.match(run.group())) is not None:
                    tokens.append(Token(word.group(1), start + word.start(1)))
        return tokens[: int(self._config["max_tokens"])]
