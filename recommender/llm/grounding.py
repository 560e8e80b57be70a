"""Checks that an LLM-written sentence says only what the catalog and the user said.

A reason may name its own item and other shown items, the item's real year, genres and people, and
the user's stated preferences. Anything else (a title outside the shown set, a year, genre or person
the item does not have, a name from nowhere, the system prompt) rejects the sentence, and the
template reason takes its place. The checks are lexical and deliberately conservative: a false
rejection costs a plainer sentence, a false acceptance costs the user's trust.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from recommender.context import normalise_title
from recommender.dialogue.chinese import decade_start
from recommender.llm.query import QuerySummary, short_title
from recommender.phrases import GENRE_NAMES, has_chinese
from recommender.types import Item

MAX_REASON_CHARS = 300
MAX_REPLY_CHARS = 500
_MAX_TITLE_WORDS = 10
_LEAK_SHINGLE = 6
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_YEAR = re.compile(r"(?<![\d-])(1[89]\d\d|20\d\d)(?!\d)")
_DECADE = re.compile(r"(?<![\w'])(?:(1[89]|20)(\d)0|'?(\d)0)['’]?s\b")
_QUOTED = re.compile(r"[\"“”«»]([^\"“”«»\n]{2,80})[\"“”«»]|\*{1,2}([^*\n]{2,80})\*{1,2}")
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_SENTENCE_BREAK = set(".!?\n\"“”«»(*[:;")
_NEGATIONS = {"no", "not", "without", "non", "never", "nor", "avoid", "avoids", "skip", "free", "zero", "less"}
_ARTICLES = {"the", "a", "an"}
_META = re.compile(
    r"system prompt|my instructions|these rules|my rules|as an ai\b|language model|i cannot comply|ignore (?:all|your|previous)",
    re.IGNORECASE,
)
_GENRE_SYNONYMS = {
    "Sci-Fi": ("science fiction", "scifi", "sci fi"),
    "Animation": ("animated", "cartoon", "animations"),
    "Romance": ("romantic", "romances", "rom com", "romcom"),
    "Children's": ("kids", "children", "childrens", "children s"),
    "Film-Noir": ("noir", "film noir"),
    "Comedy": ("comedies", "comedic"),
    "Thriller": ("thrillers",),
    "Western": ("westerns",),
    "Musical": ("musicals",),
    "Drama": ("dramas", "dramatic"),
    "Documentary": ("documentaries",),
    "Mystery": ("mysteries",),
    "Horror": ("horrors",),
    "Adventure": ("adventures",),
    "Fantasy": ("fantasies",),
}
# Capitalised words that are not names even in the middle of a sentence.
_NOT_NAMES = {
    "i", "you", "your", "the", "a", "an", "and", "or", "of", "in", "it", "its", "this", "these", "if", "for",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "english", "american", "french", "british", "oscar", "oscars",
}


# Chinese checks (a reason written for a person writing in Chinese): the same facts, Chinese words.
# "剧情" alone also means "plot", so only "剧情片" names Drama.
_GENRES_ZH: dict[str, str] = {}
for _genre, _name in GENRE_NAMES.items():  # the first genre of a name wins ("儿童": Children's, not Children)
    if _name != _genre:
        _GENRES_ZH.setdefault("剧情片" if _name == "剧情" else _name, _genre)
_GENRES_ZH.update({"科幻片": "Sci-Fi", "动漫": "Animation", "卡通": "Animation", "鬼片": "Horror", "纪录": "Documentary",
                   "音乐剧": "Musical", "悬疑片": "Mystery", "推理": "Mystery", "警匪": "Crime", "黑帮": "Crime",
                   "言情": "Romance", "恋爱": "Romance", "魔幻": "Fantasy", "牛仔": "Western", "探险": "Adventure"})
_NEGATIONS_ZH = ("不", "没", "无", "非", "别", "除了")
_DECADE_ZH = re.compile(r"(?:(1[89]|20)?(\d)0|([一二三四五六七八九])十)\s*年代")
_BOOK_TITLE = re.compile(r"《([^》]{1,80})》")
_FOREIGN_NAME_ZH = re.compile(r"[\u4e00-\u9fff]{1,6}[·•][\u4e00-\u9fff]{1,8}")  # 汤姆·汉克斯


def chinese_problems(text: str, scope: Scope, allowed_titles: set[str]) -> list[str]:
    """What a Chinese sentence may not say: a genre its item lacks, a decade none of its years is in,
    a 《title》 outside the shown items, a transliterated name (no catalog has Chinese people names)."""
    problems: list[str] = []
    allowed_genres = {g for it in scope.items for g in it.genres}
    excluded = set(scope.query.exclude_genres)
    for word, genre in _GENRES_ZH.items():
        for match in re.finditer(re.escape(word), text):
            if genre in allowed_genres:
                continue
            before = text[max(0, match.start() - 4) : match.start()]
            if genre in excluded and any(n in before for n in _NEGATIONS_ZH):
                continue
            problems.append("wrong_genre")
    years = scope.years
    for match in _DECADE_ZH.finditer(text):
        if match.group(1):
            start: int | None = int(match.group(1) + match.group(2) + "0")
        else:
            start = decade_start(match.group(3) + "十" if match.group(3) else match.group(2) + "0")
        if start is not None and not any(start <= y < start + 10 for y in years):
            problems.append("wrong_decade")
    for match in _BOOK_TITLE.finditer(text):
        quoted = key(match.group(1))
        if has_chinese(match.group(1)) or not any(fuzz.ratio(quoted, t) >= 85 for t in allowed_titles):
            problems.append("unknown_title")
    if _FOREIGN_NAME_ZH.search(text):
        problems.append("unsupported_name")
    return problems


def fold(text: str) -> str:
    """Accents removed, case kept, same word boundaries: 'Amélie' -> 'Amelie'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def key(text: str) -> str:
    """Lowercase words joined by single spaces: the form every lookup here compares."""
    return " ".join(t.lower() for t in _TOKEN.findall(fold(text)))


def title_keys(item: Item) -> set[str]:
    """The ways a title is written: 'the godfather', 'godfather' (article dropped)."""
    base = key(normalise_title(item.title))
    keys = {base, key(short_title(item))}
    for article in ("the ", "a ", "an "):
        if base.startswith(article) and len(base) > len(article) + 3:
            keys.add(base[len(article) :])
    return {k for k in keys if k}


@dataclass(frozen=True)
class Token:
    """One word of the checked text: its lookup form, the original, and whether a sentence starts with it."""

    key: str
    text: str
    start: int
    end: int
    sentence_start: bool

    @property
    def capitalised(self) -> bool:
        """Starts with an upper-case letter or a digit (titles like '12 Monkeys')."""
        return self.text[:1].isupper() or self.text[:1].isdigit()


def tokenize(text: str) -> list[Token]:
    """Words with positions; a word starts a sentence after . ! ? a newline, a quote or the text start."""
    folded = fold(text)
    tokens = []
    for match in _TOKEN.finditer(folded):
        before = folded[: match.start()].rstrip()
        tokens.append(
            Token(match.group().lower(), match.group(), match.start(), match.end(), not before or before[-1] in _SENTENCE_BREAK)
        )
    return tokens


@dataclass
class CatalogVocabulary:
    """Title, genre and people lookups over the whole catalog, built once per catalog version."""

    titles: dict[str, set[str]] = field(default_factory=dict)  # title key -> item ids
    genres: dict[str, str] = field(default_factory=dict)  # genre or synonym key -> catalog genre
    people: dict[str, str] = field(default_factory=dict)  # person key -> name

    @classmethod
    def from_items(cls, items: Iterable[Item]) -> CatalogVocabulary:
        """Index every item's title keys, genres (with common synonyms) and people."""
        vocab = cls()
        for item in items:
            for k in title_keys(item):
                vocab.titles.setdefault(k, set()).add(item.item_id)
            for genre in item.genres:
                vocab.genres.setdefault(key(genre), genre)
            for person in item.people:
                if len(key(person).split()) >= 2:
                    vocab.people.setdefault(key(person), person)
        for genre, synonyms in _GENRE_SYNONYMS.items():
            if key(genre) in vocab.genres:
                for synonym in synonyms:
                    vocab.genres.setdefault(key(synonym), genre)
        return vocab


@dataclass(frozen=True)
class Scope:
    """What a sentence may talk about: its items, and the user's stated preferences."""

    items: tuple[Item, ...]
    query: QuerySummary

    @property
    def ids(self) -> set[str]:
        """Ids of the items in scope."""
        return {it.item_id for it in self.items}

    @property
    def user_title_keys(self) -> set[str]:
        """Titles the user named (liked, disliked), in lookup form."""
        return {key(normalise_title(t)) for t in self.query.liked_titles + self.query.disliked_titles if t.strip()}

    @property
    def years(self) -> set[int]:
        """Years of the items in scope plus the bounds the user asked for."""
        years = {it.year for it in self.items if it.year is not None}
        return years | {y for y in (self.query.year_from, self.query.year_to) if y is not None}


def _ngrams(tokens: list[Token], n: int) -> Iterable[tuple[int, str]]:
    for i in range(len(tokens) - n + 1):
        yield i, " ".join(t.key for t in tokens[i : i + n])


def _looks_like_title_mention(span: list[Token]) -> bool:
    """Avoid reading 'a big night in' as the film 'Big Night': a title mention is capitalised."""
    if len(span) == 1:
        t = span[0]
        return t.capitalised and not t.sentence_start and len(t.key) >= 4
    later_caps = sum(1 for t in span[1:] if t.capitalised)
    return later_caps >= 1 or (span[0].capitalised and not span[0].sentence_start)


def _covered(covered: list[bool], i: int, n: int) -> bool:
    return any(covered[i : i + n])


def check_text(
    text: str,
    scope: Scope,
    vocab: CatalogVocabulary,
    *,
    system_prompt: str = "",
    max_chars: int = MAX_REASON_CHARS,
) -> tuple[str, ...]:
    """Problem codes for `text` about `scope` (empty when it is grounded)."""
    problems: list[str] = []
    if not text.strip():
        return ("empty",)
    if len(text) > max_chars:
        problems.append("too_long")
    if _URL.search(text):
        problems.append("url")
    if _META.search(text):
        problems.append("meta_talk")
    if system_prompt and leaks(text, system_prompt):
        problems.append("prompt_leak")

    tokens = tokenize(text)
    covered = [False] * len(tokens)
    allowed_titles = set().union(*(title_keys(it) for it in scope.items)) | scope.user_title_keys
    allowed_people = {key(p) for it in scope.items for p in it.people} | {key(p) for p in scope.query.people}
    allowed_genres = {g for it in scope.items for g in it.genres}
    excluded_genres = {key(g) for g in scope.query.exclude_genres}
    if has_chinese(text):
        problems += chinese_problems(text, scope, allowed_titles)

    # 1. Titles, longest first: allowed ones cover their words; any other catalog title is foreign.
    for n in range(min(_MAX_TITLE_WORDS, len(tokens)), 0, -1):
        for i, gram in _ngrams(tokens, n):
            if _covered(covered, i, n):
                continue
            if gram in allowed_titles or gram in allowed_people:
                covered[i : i + n] = [True] * n
            elif gram in vocab.titles and _looks_like_title_mention(tokens[i : i + n]) and gram not in vocab.genres:
                problems.append("foreign_title")
                covered[i : i + n] = [True] * n

    # 2. Quoted or emphasised titles must be ones in scope (catches titles that exist nowhere).
    for match in _QUOTED.finditer(fold(text)):
        quoted = key(match.group(1) or match.group(2) or "")
        if not quoted or not (match.group(1) or match.group(2) or "").strip()[:1].isupper():
            continue
        known = any(fuzz.ratio(quoted, t) >= 85 for t in allowed_titles) or quoted in allowed_people
        if not known and quoted not in vocab.genres:
            problems.append("unknown_title")

    # 3. Years and decades.
    allowed_years = scope.years
    for match in _YEAR.finditer(text):
        if int(match.group(1)) not in allowed_years:
            problems.append("wrong_year")
    for match in _DECADE.finditer(text):
        if match.group(1):
            start = int(match.group(1) + match.group(2) + "0")
        else:
            digit = int(match.group(3))
            start = (1900 if digit >= 2 else 2000) + digit * 10
        if not any(start <= y < start + 10 for y in allowed_years):
            problems.append("wrong_decade")

    # 4. Genres (outside covered titles): the item must have it, or the user excluded it and it is negated.
    for n in (3, 2, 1):
        for i, gram in _ngrams(tokens, n):
            if _covered(covered, i, n) or gram not in vocab.genres:
                continue
            genre = vocab.genres[gram]
            covered[i : i + n] = [True] * n
            if genre in allowed_genres:
                continue
            negated = any(t.key in _NEGATIONS for t in tokens[max(0, i - 4) : i])
            if negated and key(genre) in excluded_genres:
                continue
            problems.append("wrong_genre")

    # 5. People: a known person outside the scope, or a name-like phrase that nothing supports.
    for n in (4, 3, 2):
        for i, gram in _ngrams(tokens, n):
            if not _covered(covered, i, n) and gram in vocab.people:
                problems.append("foreign_person")
                covered[i : i + n] = [True] * n
    run: list[int] = []
    for i, token in enumerate([*tokens, Token("", "", 0, 0, True)]):
        name_like = (
            i < len(tokens) and not covered[i] and token.text[:1].isupper() and token.key not in _NOT_NAMES
        )
        if name_like and (not run or not token.sentence_start):
            run.append(i)
            continue
        # One capitalised word after an article is a title as well ("watch the Matrix instead"):
        # a film outside the catalog is in no lookup, so only its shape gives it away.
        article_led = len(run) == 1 and run[0] > 0 and tokens[run[0] - 1].key in _ARTICLES
        if len(run) >= 2 or article_led:
            phrase = " ".join(tokens[j].key for j in run)
            if not any(phrase in t for t in allowed_titles | allowed_people):
                problems.append("unsupported_name")
        run = [i] if name_like else []
    return tuple(dict.fromkeys(problems))


def leaks(text: str, system_prompt: str, shingle: int = _LEAK_SHINGLE) -> bool:
    """Whether `text` repeats any run of `shingle` consecutive words of the system prompt."""
    prompt_words = key(system_prompt).split()
    text_key = f" {key(text)} "
    grams = {" ".join(prompt_words[i : i + shingle]) for i in range(len(prompt_words) - shingle + 1)}
    return any(f" {g} " in text_key for g in grams)


def check_reason(
    text: str, item: Item, others: Sequence[Item], query: QuerySummary, vocab: CatalogVocabulary, system_prompt: str = ""
) -> tuple[str, ...]:
    """A reason about `item`: its own facts only. Naming another item, even a shown one, is rejected:
    small models were seen writing one item's reason about another ("Toy Story — The Full Monty is
    a funny 90s movie"). `others` is kept for callers; it widens nothing."""
    return check_text(text, Scope((item,), query), vocab, system_prompt=system_prompt)


def check_reply(
    text: str, items: Sequence[Item], query: QuerySummary, vocab: CatalogVocabulary, system_prompt: str = ""
) -> tuple[str, ...]:
    """The introductory reply: it may talk about any shown item and the user's request."""
    return check_text(text, Scope(tuple(items), query), vocab, system_prompt=system_prompt, max_chars=MAX_REPLY_CHARS)
