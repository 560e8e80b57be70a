"""Grounding of reasons written in Chinese: as strict as English ones (recommender/llm/grounding.py)."""

from __future__ import annotations

import pytest
from llm_helpers import BY_ID, CATALOG

from recommender.llm.grounding import CatalogVocabulary, check_reason
from recommender.llm.query import QuerySummary

VOCAB = CatalogVocabulary.from_items(CATALOG)
QUERY = QuerySummary(request="推荐一部90年代的喜剧，不要恐怖片", genres=("Comedy",), exclude_genres=("Horror",),
                     year_from=1990, year_to=1999, language="zh")
TOY, GROUNDHOG, BABE = BY_ID["1"], BY_ID["6"], BY_ID["11"]


@pytest.mark.parametrize("text", [
    "1995年的动画喜剧，适合全家一起看",
    "Toy Story 是一部90年代的儿童喜剧，正合你的口味",
    "没有恐怖元素，轻松的1995年动画片",
    "剧情紧凑又好笑",  # "剧情" alone is "the plot", not the genre Drama
])
def test_grounded_chinese_reasons_pass(text: str) -> None:
    assert check_reason(text, TOY, [GROUNDHOG, BABE], QUERY, VOCAB) == ()


@pytest.mark.parametrize(("text", "problem"), [
    ("1997年的动画喜剧", "wrong_year"),
    ("一部八十年代的经典喜剧", "wrong_decade"),
    ("80年代的喜剧", "wrong_decade"),
    ("一部恐怖喜剧", "wrong_genre"),
    ("惊险的科幻片", "wrong_genre"),
    ("和《玩具总动员2》一样好看", "unknown_title"),
    ("汤姆·汉克斯配音的动画", "unsupported_name"),
])
def test_ungrounded_chinese_reasons_are_rejected_with_the_cause(text: str, problem: str) -> None:
    assert problem in check_reason(text, TOY, [GROUNDHOG, BABE], QUERY, VOCAB)
