"""Strict parsing of LLM output: one JSON object of the asked shape, or a ParseError with a reason."""

from __future__ import annotations

import pytest

from recommender.llm.parsing import (
    ParseError,
    parse_explanation,
    parse_json_object,
    parse_ranking,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "not_json"),
        ("Sure! Here is the ranking: {\"ranking\": [\"1\"]}", "not_json"),
        ('{"ranking": ["1"]} I hope this helps', "trailing_text"),
        ('{"ranking": ["1",]}', "bad_json"),
        ("[1, 2]", "not_json"),
        ('{"ranking": "1, 2"}', "bad_shape"),
        ('{"ranking": []}', "empty"),
        ('{"ranking": [null, true, {}]}', "empty"),
        ("{" * 30_000, "too_long"),
    ],
)
def test_rankings_that_break_the_format_are_rejected_with_a_reason(text: str, code: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_ranking(text)
    assert info.value.code == code


def test_a_ranking_keeps_order_drops_duplicates_and_counts_junk() -> None:
    parsed = parse_ranking('```json\n{"ranking": ["12", 1, "id=5", "12", false, " 7 "]}\n```')
    assert parsed.ids == ("12", "1", "5", "7")
    assert parsed.malformed == 2


def test_parse_json_object_accepts_only_an_object() -> None:
    assert parse_json_object('  {"a": 1}\n') == {"a": 1}
    with pytest.raises(ParseError):
        parse_json_object('"just a string"')


def test_explanations_accept_a_dict_or_a_list_of_reasons() -> None:
    as_dict = parse_explanation('{"reply": " Here you go. ", "reasons": {"1": "Funny.", "2": " "}}')
    assert as_dict.reply == "Here you go."
    assert as_dict.reasons == {"1": "Funny."}
    assert as_dict.malformed == 1
    as_list = parse_explanation('{"reasons": [{"id": 1, "reason": "Funny."}, {"id": "x"}, "junk"]}')
    assert as_list.reply is None
    assert as_list.reasons == {"1": "Funny."}
    assert as_list.malformed == 2


@pytest.mark.parametrize("text", ['{"reply": 3, "reasons": {}}', '{"reply": "hi", "reasons": "all good"}', '{"reply": "hi"}'])
def test_explanations_of_the_wrong_shape_are_rejected(text: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_explanation(text)
    assert info.value.code == "bad_shape"
