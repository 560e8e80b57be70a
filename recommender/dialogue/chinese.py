"""Chinese (and mixed Chinese-English) turns read by the same reader as English ones.

A Chinese sentence is rewritten phrase by phrase into the English words the reader already
understands ("不要太吓人的" -> "not too scary", "九十年代以前" -> "before the 1990s", "前两部都看
过了" -> "the first two already seen"), so negation scope, eras, references, the reducer and the
whole dialogue state are one implementation for both languages: a fix to one reading is a fix to
both, and a person can switch language mid-conversation without the state noticing. Latin words
in the sentence ("来点90年代的sci-fi", "像Toy Story那样的") pass through unchanged; Chinese words
with no entry are dropped (the English free-text wish model cannot use them).

What the bot writes back in Chinese is in recommender/phrases.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from recommender.dialogue.negation import DEGREE_HEDGES
from recommender.phrases import HAN, has_chinese

# Stands for a Chinese word the reader has no entry for, where dropping it would move a hedge's
# scope onto the next word it knows (an inert token: too short to be a wish, no cue, no genre).
UNKNOWN_WORD = "x"

__all__ = ["decade_start", "has_chinese", "number", "to_english"]

_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9, "十": 10}
_NUM = r"(?:\d{1,2}|[一二两三四五六七八九十]{1,3})"

# Chinese phrase -> English words; the longest phrase at a position wins (so "不喜欢" before "喜欢",
# "有没有" before "没有"). Grouped by what the English reader does with them.
_WORDS: dict[str, str] = {}


def _add(english: str, *phrases: str) -> None:
    for phrase in phrases:
        _WORDS[phrase] = english


# -- genres and moods (recommender/dialogue/lexicon.py maps the English words onto the catalog)
_add("action", "动作", "动作片", "打斗", "打戏", "武打", "枪战", "飙车", "爆炸", "动作大片", "大片", "打打杀杀")
_add("martial arts", "功夫", "武侠", "武术")
_add("adventure", "冒险", "探险", "历险", "寻宝")
_add("animation", "动画", "动漫", "卡通", "动画片", "皮克斯", "迪士尼动画")
_add("kids", "儿童", "小孩", "孩子", "小朋友", "少儿", "童话", "孩子们", "儿子", "女儿")
_add("family", "亲子", "合家欢", "全家", "一家人", "家庭")
_add("comedy", "喜剧", "喜剧片", "笑剧", "好玩")
_add("funny", "搞笑", "好笑", "幽默", "逗", "滑稽", "爆笑", "逗比", "欢乐", "恶搞", "无厘头", "开心", "笑点", "笑出来",
     "笑出声", "笑", "喜感", "逗乐", "乐呵")
_add("silly", "傻", "沙雕", "蠢萌")
_add("crime", "犯罪", "警匪", "罪案", "黑社会", "涉案")
_add("gangster", "黑帮", "帮派", "黑道", "黑手党")
_add("heist", "劫案", "抢劫", "盗窃", "偷盗", "打劫", "抢银行")
_add("cops", "警察", "刑警")
_add("documentary", "纪录片", "纪录", "记录片", "纪实", "真实事件")
_add("drama", "剧情", "剧情片", "文艺", "正剧", "文艺片")
_add("serious", "严肃", "沉重", "深刻", "深度", "有深度", "内涵", "有内涵", "发人深省")
_add("tearjerker", "感人", "催泪", "虐心", "哭", "泪目", "煽情", "苦情", "苦情戏", "悲剧")
_add("biopic", "传记", "人物传记")
_add("coming-of-age", "成长", "青春")
_add("fantasy", "奇幻", "魔幻", "魔法", "神话", "巫师", "龙")
_add("film noir", "黑色电影", "黑色片")
_add("horror", "恐怖", "恐怖片", "鬼片", "灵异")
_add("scary", "吓人", "可怕", "惊悚恐怖", "害怕", "瘆人", "阴森")
_add("gore", "血腥", "重口")
_add("zombies", "僵尸", "丧尸")
_add("vampires", "吸血鬼")
_add("ghost story", "鬼", "闹鬼", "鬼屋")
_add("musical", "歌舞", "歌舞片", "音乐剧", "音乐片", "唱歌", "跳舞", "唱唱跳跳", "有唱有跳", "载歌载舞", "边唱边跳", "唱",
     "跳")
_add("mystery", "悬疑", "推理", "解谜", "谜案")
_add("detective", "侦探", "探案")
_add("mind-bending", "烧脑")
_add("romance", "爱情", "爱情片", "恋爱", "言情", "感情戏", "爱情戏", "谈恋爱", "情感", "谈情说爱", "卿卿我我")
_add("romantic", "浪漫", "甜蜜", "甜")
_add("sci-fi", "科幻", "科幻片", "未来", "赛博朋克")
_add("space", "太空", "外太空", "宇宙", "星际")
_add("aliens", "外星人", "外星")
_add("robots", "机器人")
_add("thriller", "惊悚", "惊悚片", "悬念")
_add("suspenseful", "紧张", "扣人心弦")
_add("war", "战争", "战争片", "打仗", "二战", "一战", "战场", "军事", "越战")
_add("western", "西部", "西部片", "牛仔")
_add("feel-good", "温馨", "暖心", "治愈", "温暖", "正能量", "开心一点")
_add("light-hearted", "轻松", "轻松愉快", "下饭")
_add("exciting", "刺激", "燃", "热血", "过瘾")
_add("violent", "暴力", "血拼")
_add("dark", "黑暗", "压抑", "阴暗")
_add("sad", "悲伤", "伤感", "难过")
_add("classic", "经典")
# -- negation, hedges, drops and their scope (recommender/dialogue/negation.py)
_add("don't want", "不要", "不想要", "不想看", "不看", "别给我", "不需要", "不想", "不用", "别来")
_add("don't recommend", "别推荐", "不要推荐")
_add("don't like", "不喜欢", "不爱看", "不太喜欢", "不爱", "不感兴趣", "没兴趣", "不是很喜欢")
_add("hate", "讨厌", "烦", "反感", "厌恶")
_add("can't stand", "受不了", "接受不了", "看不了", "看不下去")
_add("no", "没有", "没", "无", "别", "不含", "不带")
_add("not", "不", "不是", "非")
_add("not too", "别太", "不要太", "不太", "不用太", "别那么", "不要那么", "不要过于", "别过于")
_add("too", "太", "过于", "过分", "太过")
_add("too much", "太多", "过多")
_add("very", "很", "非常", "特别", "超", "超级", "十分")
_add("anything but", "除了", "除去")
_add("", "以外", "之外", "外")
_add("exclude", "排除", "剔除", "不包括", "过滤掉")
_add("drop the", "去掉", "去除", "删掉", "拿掉", "取消", "不要再", "别再")
_add("no thanks", "算了", "就算了", "免了", "不行", "不要了", "pass", "拉倒")
_add("doesn't have to be", "不一定是", "不必是", "不用是", "不一定要", "不必")
_add("instead of", "而不是", "代替")
_add("switch to", "换成", "改成", "改为", "换为", "改看")
_add("also", "也", "也要", "还要", "再加", "加上", "同时", "并且", "而且", "再来点", "最好还", "再加个条件", "加个条件",
     "还有个条件", "另外", "顺便")
_add("skip", "跳过")
_add("would be better", "更好", "就更好了", "更好了")
_add("and", "和", "跟", "与", "及", "以及", "加", "兼", "又")
_add("or", "或", "或者", "还是", "要么")
_add("but", "但是", "但", "不过", "可是", "然而", "只是")
_add("fine", "还行", "也行", "可以", "没问题", "挺好", "不错", "行")
_add("no idea", "不知道", "不清楚", "没想法", "没主意")
_add("whatever", "不管", "都行", "都可以", "都好", "无所谓", "随意", "不挑", "不限")
# -- what the turn is about (cues.py, references.py, eras.py)
_add("surprise me", "随便", "随便来", "随便推荐", "你定", "你来选", "你挑", "你决定", "惊喜", "给个惊喜", "随机")
_add("none of these", "这些都不行", "都不行", "都不喜欢", "这些都不要", "这几部都不行", "都不太想看", "都不想看",
     "都没兴趣")
_add("other options", "换一批", "换几部", "换一些", "换一个", "换个", "别的", "其他的", "其他", "其它", "还有别的",
     "还有吗", "更多", "再来几部", "再推荐几部", "再来一些", "下一批")
_add("start over", "重新开始", "从头开始", "重来", "重新来", "清空", "清空条件", "清除条件", "重置", "从头来")
_add("already seen", "看过了", "看过", "已经看过", "早看过", "都看过", "刷过", "看完了")
_add("never seen", "没看过", "没有看过", "还没看")
_add("older", "往前推", "往前推推", "再早一些", "早一些", "再早一点", "更早一些", "年代再早", "太新了", "更早期", "早期的", "老一点", "老点", "更老", "早一点", "更早", "老片", "老电影", "老一些", "旧一点", "年代久一点")
_add("newer", "不要太老", "别太老", "不要太旧", "别太旧", "太旧了", "太老了", "太旧", "太老", "往后推", "再晚一些", "晚一些", "再新一点", "更近期", "近期", "近一些", "晚一点", "新近", "新一点", "新点", "更新", "近一点", "最近的", "近几年", "新片", "新一些", "新的", "最新")
_add("any era", "年代不限", "不限年代", "什么年代都行", "哪个年代都行")
_add("something similar to", "像", "类似", "类似于", "类似于像")  # "像Heat那样的", "来点像Heat的"
_add("more similar to", "再来点像", "多来点像", "更多像", "多点像", "更像")
_add("nothing similar to", "不要像", "别像", "不像")
_add("the last one", "最后一部", "最后一个", "最后那部", "最后那个", "最后一名", "末尾那部")
_add("love", "喜欢", "爱看", "爱", "超爱", "最爱")
_add("with", "有")
_add("a bit", "有点", "有些", "稍微", "一点")
_add("got any", "有没有", "有什么", "有啥", "有没")
_add("recommend", "推荐", "推薦", "介绍", "安利")
_add("show me", "给我", "来点", "来几部", "来一部", "找", "找几部", "找一部")
_add("i want", "想看", "我想看", "要", "想要")
_add("watch", "看", "观看")
_add("", "看的", "看的话")  # "给小朋友看的就算了": who it is for, no verb to come between a genre and its refusal
_add("movies", "电影", "影片", "片子", "片", "部", "电影吧", "片儿")
_add("tonight", "今晚", "今天晚上")
_add("good", "好看", "精彩", "好", "不错的")
_add("preferably", "最好", "最好是", "希望是", "倾向于")
_add("something", "什么", "啥", "点")
_add("please", "请", "呗", "哈")
_add("why", "为什么", "为啥", "怎么")
_add("save", "收藏")
_add("stars", "分", "星", "颗星")
_add("", "的", "了", "呢", "吗", "啊", "呀", "嘛", "我", "我们", "你", "那样", "那种", "这种", "一样", "一些",
     "一部", "几部", "一个", "几个", "那部", "这部", "给", "帮", "能", "能不能", "可不可以", "请问", "一下", "就", "都", "还",
     "再", "吧", "些", "类", "风格", "类型", "题材", "方面", "之类", "什么的", "啥的", "等等", "差不多")

_PUNCTUATION = str.maketrans({"，": ",", "。": ".", "！": "!", "？": "?", "、": ",", "；": ";", "：": ":",
                              "“": '"', "”": '"', "（": "(", "）": ")", "～": "~", "·": " ", "—": "-"})


def number(text: str) -> int | None:
    """'3' -> 3, '三' -> 3, '十' -> 10, '十二' -> 12, '二十' -> 20; None otherwise."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _NUMERALS for ch in text):
        return None
    if "十" not in text:
        return int("".join(str(_NUMERALS[ch]) for ch in text))
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in tens + ones:
        return None  # "十十", "二二十": no number
    return (_NUMERALS[tens] if tens else 1) * 10 + (_NUMERALS[ones] if ones else 0)


_ORDINAL_ENGLISH = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh",
                    8: "eighth", 9: "ninth", 10: "tenth"}
_COUNT_ENGLISH = {2: "two", 3: "three", 4: "four", 5: "five"}


def decade_start(digits: str, century: str = "") -> int | None:
    """The first year of a Chinese decade: '九十' / '90' (+ '上世纪') -> 1990, '10' -> 2010; None when it is
    no decade. One reading for what a person says and for what an LLM reason claims (llm/grounding.py)."""
    value = number(digits)
    if value is None or value % 10 or value > 90:
        return None
    return 1900 + value if value >= 30 or century else 2000 + value


def _decade(digits: str, century: str) -> str | None:
    """'九十' / '90' (+ '上世纪') -> '1990s'; None when it is no decade."""
    start = decade_start(digits, century)
    return None if start is None else f"{start}s"


_PART = {"初": "early", "初期": "early", "早期": "early", "前期": "early", "前半段": "early", "中": "mid", "中期": "mid",
         "中段": "mid", "末": "late", "末期": "late", "后期": "late", "晚期": "late", "后半段": "late"}


def _eras(text: str) -> str:
    """Chinese era phrases -> English ones: decades, years, before/after/between/around, in place."""
    century = r"(?P<c>上世纪|上个世纪|二十世纪|20世纪)?\s*"

    def pair(m: re.Match[str]) -> str:  # 八九十年代 -> between 1980 and 1999
        a, b = number(m.group("a") + "十"), number(m.group("b") + "十")
        if a is None or b is None:
            return m.group(0)
        first, last = _decade(str(a), m.group("c") or ""), _decade(str(b), m.group("c") or "")
        if first is None or last is None:
            return m.group(0)
        return f" between {first[:4]} and {int(last[:4]) + 9} "

    text = re.sub(century + r"(?P<a>[一二三四五六七八九])(?P<b>[一二三四五六七八九])十年代", pair, text)

    def decade(m: re.Match[str]) -> str:
        found = _decade(m.group("d"), m.group("c") or "")
        if found is None:
            return m.group(0)
        part = _PART.get(m.group("p") or "", "")
        return f" the {part + ' ' if part else ''}{found} "

    text = re.sub(century + r"(?P<d>\d0|[一二三四五六七八九]十|[零〇一二三四五六七八九][零〇])\s*年代\s*"
                  r"(?P<p>前半段|后半段|初期|早期|前期|中期|中段|末期|后期|晚期|初|中|末)?", decade, text)
    point = r"(the (?:early |mid |late )?\d{4}s|\d{4})\s*年?\s*"
    text = re.sub(point + r"(?:到|至|-|~|—|和)\s*" + point + r"(?:之间|间)?",
                  lambda m: f" between {m.group(1)} and {m.group(2)} ", text)
    text = re.sub(r"(?:早于|早过|不晚于)\s*" + point, lambda m: f" before {m.group(1)} ", text)
    text = re.sub(r"(?:晚于|晚过|不早于)\s*" + point, lambda m: f" after {m.group(1)} ", text)
    # "前后" (around) before "前" (before) and "后" (after): "1995年前后" is around 1995
    text = re.sub(point + r"(?:左右|前后|上下)", lambda m: f" around {m.group(1)} ", text)
    # a decade "以后" counts from its start: "九十年代以后" is the 1990s on, not from 2000
    text = re.sub(r"(the (?:early |mid |late )?\d{4}s)\s*(?:以后|之后|以来|及以后|至今)", r" \1 onwards ", text)
    text = re.sub(point + r"(?:以前|之前|前|以前的|或更早|及以前)", lambda m: f" before {m.group(1)} ", text)
    text = re.sub(point + r"(?:以后|之后|后|以来|或更晚|及以后|至今)", lambda m: f" after {m.group(1)} ", text)
    return re.sub(r"(\d{4})\s*年(?!代)", r" \1 ", text)


def _references(text: str) -> str:
    """Ordinals and counts of shown items (第二部 -> the second one, 前两部 -> the first two) and of
    items to show (三部 -> 3 movies)."""

    def ordinal(m: re.Match[str]) -> str:
        value = number(m.group(1))
        word = _ORDINAL_ENGLISH.get(value or 0)
        return f" the {word} one " if word else m.group(0)

    def first_n(m: re.Match[str]) -> str:
        value = number(m.group(1))
        word = _COUNT_ENGLISH.get(value or 0)
        return f" the first {word} " if word else m.group(0)

    text = re.sub(rf"第\s*({_NUM})\s*(?:部|个|名|款|本|条|项|位)?", ordinal, text)
    text = re.sub(rf"前\s*({_NUM})\s*(?:部|个|名|本|条|项)", first_n, text)
    text = re.sub(r"头一?(?:部|个)", " the first one ", text)
    # a count of films or books to show: 三部喜剧 -> "3 movies" (一部 is the article "a", 三部曲 a trilogy)
    text = re.sub(rf"(?<![第前])({_NUM})\s*(?:部|本)(?!曲)",
                  lambda m: f" {value} movies " if (value := number(m.group(1)) or 0) >= 2 else m.group(0), text)
    # ratings: 打4分 / 四星 / 五颗星 -> "4 stars"
    text = re.sub(r"打?\s*([1-5](?:\.5)?|[一二两三四五])\s*(?:分|星|颗星)(?![钟])",
                  lambda m: f" {m.group(1) if m.group(1)[0].isdigit() else number(m.group(1))} stars ", text)
    return text


@lru_cache(maxsize=1)
def _longest() -> int:
    return max(len(p) for p in _WORDS)


# A refusal after what it refuses ("儿童片不要哈", "冒险片就免了吧", "恐怖的不看"): Chinese puts it at the
# end of the clause, where the English reader expects "X? no thanks".
_POSTPOSED_REFUSAL = re.compile(
    r"(?:还是|就|也|都|可)?(?:不要|不想要|不想看|不看|不考虑|免了|算了|拉倒|就算了|pass)(?:了|哈|啊|呀|吧|啦|嘛|哦|谢谢)*"
    r"(?=\s*(?:[,.!?;，。！？；]|$))"
)


_SURROGATES = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=1)
def _simplified() -> Callable[[str], str]:
    """Traditional characters -> simplified (OpenCC, loaded once): the tables here are simplified."""
    import opencc

    return opencc.OpenCC("t2s").convert  # type: ignore[no-any-return]


def to_english(text: str) -> str:
    """A Chinese or mixed sentence as the English words the dialogue reader understands."""
    text = _SURROGATES.sub("", text)  # OpenCC cannot encode a lone surrogate
    text = _references(_eras(_simplified()(text).translate(_PUNCTUATION)))
    text = _POSTPOSED_REFUSAL.sub(lambda m: " no thanks " if m.start() > 0 else m.group(0), text)
    out: list[str] = []
    after_degree = False  # whether the last word put out is a degree word ("too")
    i, longest = 0, _longest()
    while i < len(text):
        if not HAN.match(text[i]):
            out.append(text[i])
            if not text[i].isspace():
                after_degree = False
            i += 1
            continue
        for n in range(min(longest, len(text) - i), 0, -1):
            english = _WORDS.get(text[i : i + n])
            if english is not None:
                out.append(f" {english} ")
                if english.strip():  # a word read as nothing ("的") leaves the last word as it was
                    after_degree = english.split()[-1] in DEGREE_HEDGES
                i += n
                break
        else:
            # a word with no entry is dropped, except the adjective a degree word governs: "别太长的爱情片"
            # is "not too <long> romance", so the hedge stays on "long" and never reaches the romance
            out.append(f" {UNKNOWN_WORD} " if after_degree else " ")
            after_degree = False
            i += 1
    return re.sub(r"\s+", " ", "".join(out)).strip()
