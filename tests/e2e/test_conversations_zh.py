"""Conversations in Chinese, and one that switches language, over Rasa's REST channel (issue 16).

The same live stack as test_conversations.py; every sentence here is unseen by the NLU training
data (data/nlu/zh.yml). The bot must answer in the language of the latest message, keep the
dialogue state across a switch of language, and store Chinese feedback like any other.
"""

from __future__ import annotations

import re

import pytest
from feedback_checks import assert_stored_feedback
from test_conversations import assert_in_catalog, assert_polite, recommend

pytestmark = pytest.mark.e2e

HAN = re.compile(r"[\u4e00-\u9fff]")


def chinese(reply) -> bool:
    """The bot's words are Chinese (titles stay as the catalog writes them)."""
    return bool(HAN.search(reply.text))


def test_recommend_refine_negate_and_explain_in_chinese(stack, store):
    chat = stack.chat("zh")
    reply = recommend(chat, "帮我找一部九十年代的喜剧片吧")
    assert chinese(reply), chat.describe()
    state = reply.payload("recommendations")["state"]
    assert state["genres"] == ["Comedy"] and (state["year_from"], state["year_to"]) == (1990, 1999), chat.describe()
    assert "喜剧" in state["summary"] and "1990年代" in state["summary"], chat.describe()
    found = assert_in_catalog(reply.items, store)
    assert all(1990 <= item.year <= 1999 and "Comedy" in item.genres for item in found.values()), chat.describe()

    reply = recommend(chat, "最好别有爱情戏，也不要动画")
    state = reply.payload("recommendations")["state"]
    assert set(state["exclude_genres"]) == {"Romance", "Animation"}, chat.describe()
    assert state["genres"] == ["Comedy"], chat.describe()  # kept across turns
    found = assert_in_catalog(reply.items, store)
    assert not any({"Romance", "Animation"} & set(item.genres) for item in found.values()), chat.describe()
    assert any(b["title"] == "换一批" for b in reply.buttons), chat.describe()

    why = chat.say("这几部为啥推荐给我")
    assert_polite(why, chat)
    assert chinese(why) and "年" in why.text, chat.describe()


def test_feedback_saved_and_forget_me_in_chinese(stack, store, user_id, feedback_rows, user_row_counts):
    chat = stack.chat("zh-feedback")
    items = recommend(chat, "推荐几部八十年代的科幻电影").items
    liked = chat.say("第二部我很喜欢")
    assert_polite(liked, chat)
    assert chinese(liked), chat.describe()
    rated = chat.say("第一部给个五星")
    assert_polite(rated, chat)
    saved = chat.say("把第三部加到收藏")
    assert_polite(saved, chat)
    assert_stored_feedback(store, [
        (user_id(chat.sender), items[1]["item_id"], "like", None),
        (user_id(chat.sender), items[0]["item_id"], "rating", 5.0),
        (user_id(chat.sender), items[2]["item_id"], "bookmark", None),
    ])
    listed = chat.say("看看我的收藏夹")
    assert_polite(listed, chat)
    assert chinese(listed) and items[2]["title"].split(" (")[0][:12] in listed.text, chat.describe()
    confirm = chat.say("请把我的记录全部删掉")
    assert_polite(confirm, chat)
    assert chinese(confirm) and "/affirm" in {b["payload"] for b in confirm.buttons}, chat.describe()
    assert_polite(chat.say("是的，删吧"), chat)
    after = user_row_counts(chat.sender)
    assert after == dict.fromkeys(after, 0), f"rows left after forget: {after}\n{chat.describe()}"


def test_the_state_survives_a_switch_of_language(stack, store):
    chat = stack.chat("zh-mixed")
    reply = recommend(chat, "got any war movies from the sixties?")
    assert not chinese(reply), chat.describe()
    reply = recommend(chat, "不要太老的，七十年代以后的吧")
    assert chinese(reply), chat.describe()
    state = reply.payload("recommendations")["state"]
    assert "War" in state["genres"], chat.describe()  # what was said in English is kept
    assert state["year_from"] is not None and state["year_from"] >= 1970, chat.describe()
    reply = recommend(chat, "and no dramas")
    assert not chinese(reply), chat.describe()
    state = reply.payload("recommendations")["state"]
    assert "War" in state["genres"] and "Drama" in state["exclude_genres"], chat.describe()
    found = assert_in_catalog(reply.items, store)
    assert all("War" in item.genres and "Drama" not in item.genres for item in found.values()), chat.describe()
