"""How a Chinese-speaking simulated user words each act: colloquial Simplified Chinese as typed in a
chat, short and long, with and without 的/吧/呀, some mixed English ("来点sci-fi"), rarely a
繁体 character or a common typo (记录片, 在来几个, 有木有).

Written independently of the bot's Chinese vocabulary and training data (never read while writing
this file), so `simulate --phrasings zh` measures whether the bot understands Chinese it was not
tuned on. Same acts and same rules as `phrasings.py`: every statement is true of the hidden target,
and no utterance names the target's title. Chinese characters vanish in `render.normalise`, which
can glue the English around them together ("90年代alien" -> "90alien"), so this set also checks
the text with every non-ASCII character turned into a space before it sends it.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

from recommender.eval.simulator.acts import Act, Era
from recommender.eval.simulator.render import LeakageError, leaks, part_name, render_from

__all__ = ["GENRE_WORDS", "TEMPLATES", "GenreWords", "decade_names", "era_phrases", "leaks_zh", "render"]


@dataclass(frozen=True)
class GenreWords:
    """`nouns` name a kind of film ("推荐个{noun}"), `preds` are whole predicates ("最好也{pred}":
    是喜剧 / 搞笑一点 / 有科幻元素), `masses` are what one turns down ("不要{mass}", "{mass}就算了")."""

    nouns: tuple[str, ...]
    preds: tuple[str, ...]
    masses: tuple[str, ...]


GENRE_WORDS: dict[str, GenreWords] = {
    "Action": GenreWords(
        ("动作片", "动作电影", "打戏多的片子", "action片", "动作大片", "動作片"),
        ("是动作片", "有动作戏", "打斗多一点", "带点动作元素", "是动作类的"),
        ("动作片", "打打杀杀的", "动作戏", "枪战片"),
    ),
    "Adventure": GenreWords(
        ("冒险片", "冒险电影", "探险类的片子", "冒险题材的电影", "adventure片"),
        ("是冒险片", "有冒险元素", "带点探险的感觉", "是冒险类的"),
        ("冒险片", "探险的", "冒险类的", "冒险题材"),
    ),
    "Animation": GenreWords(
        ("动画片", "动画电影", "动画", "卡通片", "animation", "動畫"),
        ("是动画", "是动画片", "是卡通的", "是动画形式的"),
        ("动画片", "动画", "卡通", "卡通片"),
    ),
    "Children's": GenreWords(
        ("儿童片", "小孩看的电影", "适合全家一起看的片子", "合家欢电影", "适合孩子看的电影", "亲子片"),
        ("适合小孩看", "是儿童片", "老少皆宜", "能带孩子一起看", "是合家欢的"),
        ("儿童片", "小孩看的", "幼稚的儿童片", "合家欢的片子", "给小朋友看的"),
    ),
    "Comedy": GenreWords(
        ("喜剧", "喜剧片", "搞笑的电影", "搞笑片", "逗乐的片子", "comedy", "能让我笑出来的电影"),
        ("搞笑一点", "是喜剧", "有笑点", "轻松搞笑", "好笑一点"),
        ("喜剧", "搞笑片", "搞笑的", "喜剧片"),
    ),
    "Crime": GenreWords(
        ("犯罪片", "犯罪电影", "黑帮片", "警匪片", "讲抢劫的电影", "crime片"),
        ("是犯罪片", "跟犯罪有关", "是黑帮题材", "有黑帮元素", "带点犯罪元素"),
        ("犯罪片", "黑帮片", "警匪片", "打劫的", "黑社会的"),
    ),
    "Documentary": GenreWords(
        ("纪录片", "记录片", "documentary", "讲真实事件的纪录片", "纪实类的片子", "紀錄片"),
        ("是纪录片", "是纪实的", "是真实记录的那种", "是纪录片形式的"),
        ("纪录片", "纪实类的", "记录片", "documentary"),
    ),
    "Drama": GenreWords(
        ("剧情片", "文艺片", "剧情类的电影", "比较严肃的片子", "有深度的剧情片", "drama"),
        ("是剧情片", "偏剧情一点", "严肃一点", "有点深度", "是文艺片"),
        ("剧情片", "文艺片", "文艺腔的", "苦情戏"),
    ),
    "Fantasy": GenreWords(
        ("奇幻片", "奇幻电影", "魔幻片", "有魔法的电影", "fantasy", "奇幻类的"),
        ("是奇幻的", "有魔法元素", "带点奇幻色彩", "是魔幻题材", "奇幻一点"),
        ("奇幻片", "魔幻的", "魔法啥的", "奇幻类的"),
    ),
    "Film-Noir": GenreWords(
        ("黑色电影", "noir", "film noir", "黑色风格的电影", "黑色片", "黑色犯罪片"),
        ("是黑色电影", "是noir风格的", "有黑色电影的味道", "是黑色电影风格"),
        ("黑色电影", "noir", "黑色片"),
    ),
    "Horror": GenreWords(
        ("恐怖片", "恐怖电影", "吓人的电影", "鬼片", "horror", "恐怖電影"),
        ("吓人一点", "是恐怖片", "恐怖一点", "有点吓人", "带点恐怖元素"),
        ("恐怖片", "吓人的", "鬼片", "血腥的", "太吓人的"),
    ),
    "Musical": GenreWords(
        ("歌舞片", "音乐剧", "音乐剧电影", "有唱有跳的电影", "musical"),
        ("是歌舞片", "有唱歌跳舞的", "是音乐剧", "有很多歌"),
        ("歌舞片", "音乐剧", "唱唱跳跳的", "musical"),
    ),
    "Mystery": GenreWords(
        ("悬疑片", "推理片", "侦探片", "悬疑电影", "烧脑的推理片", "mystery"),
        ("有悬疑", "是推理类的", "悬疑一点", "带点推理", "是侦探题材"),
        ("悬疑片", "推理的", "侦探片", "悬疑的"),
    ),
    "Romance": GenreWords(
        ("爱情片", "爱情电影", "浪漫的电影", "谈恋爱的片子", "romance", "愛情片"),
        ("浪漫一点", "有爱情线", "是爱情片", "带点感情戏", "甜一点"),
        ("爱情片", "谈情说爱的", "感情戏", "爱情戏"),
    ),
    "Sci-Fi": GenreWords(
        ("科幻片", "科幻电影", "sci-fi", "太空题材的电影", "科幻", "讲未来的片子"),
        ("是科幻", "科幻一点", "有科幻元素", "是未来题材的", "带点科幻"),
        ("科幻片", "科幻", "外星人啥的", "sci-fi"),
    ),
    "Thriller": GenreWords(
        ("惊悚片", "惊悚电影", "紧张刺激的片子", "thriller", "悬念感强的惊悚片"),
        ("是惊悚片", "紧张刺激一点", "有惊悚元素", "刺激一点", "惊悚一点"),
        ("惊悚片", "太紧张的", "惊悚的", "thriller"),
    ),
    "War": GenreWords(
        ("战争片", "战争电影", "打仗的电影", "war movie", "战争题材的片子", "戰爭片"),
        ("是战争片", "跟战争有关", "是战争题材", "有战争场面"),
        ("战争片", "打仗的", "战争题材的", "战争戏"),
    ),
    "Western": GenreWords(
        ("西部片", "牛仔片", "西部牛仔电影", "western", "美国西部片"),
        ("是西部片", "是牛仔题材", "有牛仔", "带点西部风", "是西部题材的"),
        ("西部片", "牛仔片", "牛仔的", "western"),
    ),
}

# Placeholders: {noun} {pred} {mass} (a genre), {bare} (a time window: "90年代", "1990年以前").
TEMPLATES: dict[str, tuple[str, ...]] = {
    "opener": (
        "今晚看什么好？", "推荐部电影呗", "有啥好看的电影吗", "无聊，想看个电影", "帮我挑部片子",
        "求推荐电影！", "周末想看电影，有推荐吗？", "随便推荐一部好看的吧", "有什么好电影推荐么",
        "想看电影了，给点建议", "電影推薦一下", "movie night，推荐一下？", "有木有好看的片子",
    ),
    "genre": (
        "想看{noun}", "推荐个{noun}", "来点{noun}", "来部{noun}吧", "有没有好看的{noun}？",
        "今晚想看{noun}", "给我找个{noun}吧", "我想看{noun}呀", "{noun}有推荐吗", "求推荐{noun}",
        "最近想看点{noun}，有啥推荐的？", "帮我挑一部{noun}", "想找{noun}看看", "有木有{noun}推荐",
    ),
    "add_genre": (
        "最好也{pred}", "还得{pred}", "而且一定要{pred}", "如果能{pred}就更好了", "同时{pred}吧",
        "另外，最好{pred}", "得{pred}的那种", "能不能也{pred}？", "而且得是{noun}", "最好同时也是{noun}",
        "顺便也是{noun}就完美了", "再加个条件：{pred}",
    ),
    "era": (
        "想看{bare}的", "最好是{bare}的电影", "{bare}的片子有吗？", "要{bare}拍的", "{bare}出的那种",
        "限定在{bare}吧", "年份的话，{bare}比较好", "我比较喜欢{bare}的", "来点{bare}的", "{bare}的就行",
        "能不能找{bare}的？", "想看{bare}的電影",
    ),
    "exclude": (
        "不要{mass}", "别给我{mass}", "除了{mass}都行", "{mass}就算了", "不想看{mass}", "别推{mass}了",
        "{mass}不要哈", "我不太喜欢{mass}", "不要是{noun}", "最好不是{noun}", "{mass}就免了吧",
        "千万别是{noun}",
    ),
    "older": (
        "老一点的", "再老一点", "有没有更早的？", "太新了，来点老的", "年代再早一些", "往前推推",
        "早一点的吧", "这些太新了", "有没有更老的片子？", "能再早些吗", "老一點的",
    ),
    "newer": (
        "新一点的", "太老了，来点新的", "有没有近一点的？", "再新一些", "年代近一点的", "往后推推",
        "这些太旧了", "来点晚一些的", "能不能新一点？", "要更近期的", "舊了點，換新一點的",
    ),
    "other": (
        "换一批", "还有别的吗", "换几个", "都不太想看，换换", "有其他的吗？", "在来几个", "这些都不行",
        "下一批", "还有没有别的推荐", "换一拨吧", "有别的options吗？", "別的呢？",
    ),
    "no_preference": (
        "都行", "无所谓", "随便", "都可以", "没什么要求", "你看着办", "随便吧", "我不挑", "看你的",
        "隨便啦",
    ),
    "answer_genre": (
        "{noun}", "{noun}吧", "嗯…{noun}", "{noun}就行", "要{noun}", "想看{noun}", "{noun}好了",
        "来点{noun}", "那就{noun}吧", "{noun}呀",
    ),
    "answer_era": (
        "{bare}", "{bare}吧", "{bare}的", "嗯，{bare}的吧", "{bare}就好", "最好{bare}的", "我想要{bare}的",
        "应该是{bare}的吧", "{bare}的呗",
    ),
}

_NUMBER_WORDS = {1920: "二十", 1930: "三十", 1940: "四十", 1950: "五十", 1960: "六十", 1970: "七十",
                 1980: "八十", 1990: "九十"}
_DIGIT_WORDS = "零一二三四五六七八九"
_PARTS: dict[str, tuple[str, ...]] = {
    "early": ("初", "初期", "早期", "前半段"),
    "mid": ("中期", "中段", "中间那几年"),
    "late": ("末", "末期", "后期", "后半段"),
}


def decade_names(decade: int) -> tuple[str, ...]:
    """'1980年代', '80年代', '八十年代', '八零年代', '上世纪80年代', '上世纪八十年代' for 1980;
    only '1980年代'-style digits outside 1920-1990."""
    names = [f"{decade}年代"]
    if 1920 <= decade <= 1990:
        short = f"{decade % 100:02d}"
        spoken = "".join(_DIGIT_WORDS[int(d)] for d in short)
        names += [f"{short}年代", f"{_NUMBER_WORDS[decade]}年代", f"{spoken}年代", f"上世纪{short}年代",
                  f"上世纪{_NUMBER_WORDS[decade]}年代"]
    return tuple(names)


def era_phrases(era: Era, rng: random.Random) -> dict[str, str]:
    """The window as {bare}: '90年代', '八十年代末', '1970年以前', '2000年以后', '1985到1995年之间',
    '大概1990年左右'; it reads before 的 ('{bare}的') and on its own."""
    if era.form == "decade":
        bare = rng.choice(decade_names(era.a))
    elif era.form == "part":
        bare = rng.choice(decade_names(era.a)) + rng.choice(_PARTS[part_name(era)])
    elif era.form == "before":
        bare = rng.choice((f"{era.a}年以前", f"{era.a}年之前", f"{era.a}年前", f"早于{era.a}年"))
    elif era.form == "after":
        bare = rng.choice((f"{era.a}年以后", f"{era.a}年之后", f"{era.a}年后", f"晚于{era.a}年"))
    elif era.form == "between":
        bare = rng.choice((f"{era.a}到{era.b}年之间", f"{era.a}年到{era.b}年", f"{era.a}-{era.b}年",
                           f"{era.a}至{era.b}年间"))
    else:
        bare = rng.choice((f"大概{era.a}年左右", f"{era.a}年左右", f"{era.a}年前后", f"差不多{era.a}年",
                           f"{era.a}年上下"))
    return {"bare": bare}


def _genre_values(genre: str, rng: random.Random) -> dict[str, str]:
    words = GENRE_WORDS[genre]
    return {"noun": rng.choice(words.nouns), "pred": rng.choice(words.preds), "mass": rng.choice(words.masses)}


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def leaks_zh(utterance: str, title: str) -> bool:
    """`leaks`, and `leaks` again with every non-ASCII character as a space, so English words next
    to Chinese ones are not glued into one word ("90年代alien" -> "90 alien")."""
    spaced = _NON_ASCII.sub(" ", unicodedata.normalize("NFKC", utterance))
    return leaks(utterance, title) or leaks(spaced, title)


_HAN = re.compile(r"[\u4e00-\u9fff]")


def render(act: Act, rng: random.Random, title: str = "", attempts: int = 50) -> str:
    """One Chinese wording of `act`, chosen at random, that does not leak `title`. A bare answer
    that came out all English ("comedy") is drawn again: every turn of this set has Chinese in it,
    so the bot is asked to answer in Chinese throughout."""
    for _ in range(attempts):
        text = render_from(act, rng, TEMPLATES, _genre_values, era_phrases, attempts=1, wording="Chinese wording")
        if _HAN.search(text) and not (title and leaks_zh(text, title)):
            return text
    raise LeakageError(f"every Chinese wording of {act.kind} tried would name the target {title!r}")
