"""Telegram end to end (issue 14): real-format Bot API updates posted to the running Rasa server's
webhook, with the bot's replies captured by a fake Bot API on loopback (nothing leaves the machine).

- the webhook sets itself with the secret token when the server starts;
- an update with the right `X-Telegram-Bot-Api-Secret-Token` is answered, a recommendation as a
  card per item, each with an inline keyboard in short rows whose every `callback_data` is at most
  64 bytes; without the secret (401) or with a wrong one (403) nothing is processed;
- pressing "like" (a callback query) is answered and stores the feedback row under the
  pseudonymous id of `telegram:<chat id>`;
- Telegram's retry of an update (same `update_id`) is not processed twice;
- a late LLM message through Rasa's `trigger_intent` reaches the chat (RasaHQ/rasa#13040 fixed).
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from fake_telegram_api import FakeTelegramAPI
from platforms import TELEGRAM_PUBLIC_URL, TELEGRAM_SECRET, post_telegram, trigger_followup, user_events
from platforms import feedback_rows as channel_feedback
from platforms import telegram_message as message_update
from platforms import telegram_press as callback_update

_chat_ids = itertools.count(7_000_000_001)


def post(stack: Any, update: dict[str, Any], secret: str | None = TELEGRAM_SECRET) -> httpx.Response:
    return post_telegram(stack.client, update, secret)


def feedback_rows(stack: Any, chat_id: int) -> list[tuple[str, str]]:
    return [(item, kind) for item, kind, _ in channel_feedback(stack, "telegram", str(chat_id))]


def keyboards(sent: list[dict[str, Any]]) -> list[list[list[dict[str, Any]]]]:
    return [m["reply_markup"]["inline_keyboard"] for m in sent if isinstance(m.get("reply_markup"), dict)]


@pytest.mark.e2e
def test_the_webhook_is_set_with_the_secret_at_start(channels_stack: Any, fake_telegram: FakeTelegramAPI) -> None:
    calls = fake_telegram.of("setWebhook")
    assert calls, channels_stack.log_tails()
    assert calls[-1]["url"] == TELEGRAM_PUBLIC_URL and calls[-1]["secret_token"] == TELEGRAM_SECRET


@pytest.mark.e2e
def test_updates_without_the_right_secret_are_rejected_and_not_processed(
    channels_stack: Any, fake_telegram: FakeTelegramAPI
) -> None:
    chat_id = next(_chat_ids)
    assert post(channels_stack, message_update(chat_id, "recommend me a comedy"), secret=None).status_code == 401
    assert post(channels_stack, message_update(chat_id, "recommend me a comedy"), secret="guessed").status_code == 403
    assert post(channels_stack, callback_update(chat_id, "cb-forged", "f:like:50"), secret="").status_code == 401
    assert fake_telegram.sent(chat_id) == []
    assert all(c["callback_query_id"] != "cb-forged" for c in fake_telegram.of("answerCallbackQuery"))
    assert user_events(channels_stack, chat_id) == []
    assert feedback_rows(channels_stack, chat_id) == []


@pytest.mark.e2e
def test_a_recommendation_gets_cards_with_64_byte_buttons_and_a_like_press_is_stored(
    channels_stack: Any, fake_telegram: FakeTelegramAPI
) -> None:
    chat_id = next(_chat_ids)
    response = post(channels_stack, message_update(chat_id, "recommend me a comedy from the 90s"))
    assert response.status_code == 200, response.text
    sent = fake_telegram.sent(chat_id)
    cards = [m for m in sent if m.get("reply_markup")]
    assert len(cards) >= 2, f"{sent}\n{channels_stack.log_tails()}"
    boards = keyboards(sent)
    datas = [b["callback_data"] for board in boards for row in board for b in row]
    assert datas and all(len(d.encode("utf-8")) <= 64 for d in datas), datas
    assert all(len(row) <= 5 for board in boards for row in board)  # short rows
    first = boards[0]
    assert [b["text"] for b in first[0]] == ["👍 Like", "👎 Dislike", "☆ Save"]
    assert [b["text"] for b in first[1]] == ["★1", "★2", "★3", "★4", "★5"]
    assert [b["text"] for b in boards[-1][0]] == ["Other options", "Why these?"]
    assert sent[0]["text"] and not sent[0].get("reply_markup")  # the text first, readable alone

    like = first[0][0]["callback_data"]
    assert like.startswith("f:like:")
    item_id = like.split(":", 2)[2]
    response = post(channels_stack, callback_update(chat_id, "cb-like-1", like))
    assert response.status_code == 200, response.text
    answered = [c for c in fake_telegram.of("answerCallbackQuery") if c["callback_query_id"] == "cb-like-1"]
    assert len(answered) == 1
    assert (item_id, "like") in feedback_rows(channels_stack, chat_id), channels_stack.log_tails()
    assert len(fake_telegram.sent(chat_id)) > len(sent)  # the bot acknowledged the press in the chat

    # a token from before a restart (or made up) is answered as expired and changes nothing
    rows = feedback_rows(channels_stack, chat_id)
    assert post(channels_stack, callback_update(chat_id, "cb-stale", "t:AAAAAAAAAAAAAAAAAAAAAA")).status_code == 200
    (stale,) = [c for c in fake_telegram.of("answerCallbackQuery") if c["callback_query_id"] == "cb-stale"]
    assert "expired" in stale.get("text", "")
    assert feedback_rows(channels_stack, chat_id) == rows


@pytest.mark.e2e
def test_a_retried_update_is_not_processed_twice(channels_stack: Any, fake_telegram: FakeTelegramAPI) -> None:
    chat_id = next(_chat_ids)
    update = message_update(chat_id, "hello")
    assert post(channels_stack, update).status_code == 200
    replies = len(fake_telegram.sent(chat_id))
    assert replies >= 1
    assert post(channels_stack, update).status_code == 200  # Telegram's retry of the same update_id
    assert len(fake_telegram.sent(chat_id)) == replies
    assert [e.get("text") for e in user_events(channels_stack, chat_id)] == ["hello"]


@pytest.mark.e2e
def test_a_late_llm_message_reaches_the_chat_through_trigger_intent(
    channels_stack: Any, fake_telegram: FakeTelegramAPI
) -> None:
    chat_id = next(_chat_ids)
    assert post(channels_stack, message_update(chat_id, "hi")).status_code == 200
    text = "A follow-up written after the turn answered."
    response = trigger_followup(channels_stack, str(chat_id), text)
    assert response.status_code == 200, f"{response.text}\n{channels_stack.log_tails()}"
    assert text in [m.get("text") for m in fake_telegram.sent(chat_id)], channels_stack.log_tails()
