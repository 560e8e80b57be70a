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
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_telegram_api import FakeTelegramAPI

from recommender.identity import pseudonymous_id, user_key

REPO_ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "123456789:e2e-FAKE-bot-token"
SECRET = "e2e-telegram-webhook-secret"
WEBHOOK = "/webhooks/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PUBLIC_WEBHOOK_URL = "https://bot.example.org/webhooks/telegram/webhook"  # only told to the fake API
_update_ids = itertools.count(1000)
_chat_ids = itertools.count(7_000_000_001)


def _credentials(workdir: Path) -> Path:
    """The repository's credentials.yml plus this project's Telegram channel (as docs/channels.md says)."""
    path = workdir / "credentials.yml"
    path.write_text(
        (REPO_ROOT / "credentials.yml").read_text(encoding="utf-8")
        + "\nrasa_addons.telegram_channel.RecommenderTelegramInput:\n"
        "  access_token: ${TELEGRAM_ACCESS_TOKEN}\n"
        f"  webhook_url: {PUBLIC_WEBHOOK_URL}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeTelegramAPI]:
    with FakeTelegramAPI(BOT_TOKEN) as api:
        yield api


@pytest.fixture(scope="module")
def telegram_stack(stack_launcher: Any, fake_api: FakeTelegramAPI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    workdir = tmp_path_factory.mktemp("telegram")
    env = {"TELEGRAM_ACCESS_TOKEN": BOT_TOKEN, "TELEGRAM_SECRET_TOKEN": SECRET, "TELEGRAM_API_URL": fake_api.url}
    with stack_launcher(workdir, extra_env=env, credentials=_credentials(workdir)) as stack:
        yield stack


def _user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": "en"}


def message_update(chat_id: int, text: str) -> dict[str, Any]:
    """A private-chat text message as Telegram posts it to a webhook."""
    return {"update_id": next(_update_ids), "message": {
        "message_id": next(_update_ids), "date": int(time.time()), "from": _user(chat_id),
        "chat": {"id": chat_id, "type": "private", "first_name": "Test"}, "text": text}}


def callback_update(chat_id: int, query_id: str, data: str, message_id: int = 1) -> dict[str, Any]:
    """A press on an inline button of the bot's message `message_id`."""
    return {"update_id": next(_update_ids), "callback_query": {
        "id": query_id, "from": _user(chat_id), "chat_instance": "-42", "data": data,
        "message": {"message_id": message_id, "date": int(time.time()), "text": "…",
                    "from": {"id": 123456789, "is_bot": True, "first_name": "Recs"},
                    "chat": {"id": chat_id, "type": "private", "first_name": "Test"}}}}


def post(stack: Any, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return stack.client.post(WEBHOOK, json=update, headers=headers)


def user_events(stack: Any, chat_id: int) -> list[dict[str, Any]]:
    response = stack.client.get(f"/conversations/{chat_id}/tracker", params={"token": stack.api_token})
    assert response.status_code == 200, response.text
    return [e for e in response.json().get("events") or [] if e.get("event") == "user"]


def feedback_rows(stack: Any, chat_id: int) -> list[tuple[str, str]]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from recommender.store import Store
    from recommender.store.models import FeedbackEventRow

    uid = pseudonymous_id(user_key("telegram", str(chat_id)), stack.user_id_secret)
    with Session(Store(stack.database_url).engine) as session:
        stmt = select(FeedbackEventRow.item_id, FeedbackEventRow.kind).where(FeedbackEventRow.user_id == uid)
        return [(str(r[0]), str(r[1])) for r in session.execute(stmt).all()]


def keyboards(sent: list[dict[str, Any]]) -> list[list[list[dict[str, Any]]]]:
    return [m["reply_markup"]["inline_keyboard"] for m in sent if isinstance(m.get("reply_markup"), dict)]


@pytest.mark.e2e
def test_the_webhook_is_set_with_the_secret_at_start(telegram_stack: Any, fake_api: FakeTelegramAPI) -> None:
    calls = fake_api.of("setWebhook")
    assert calls, telegram_stack.log_tails()
    assert calls[-1]["url"] == PUBLIC_WEBHOOK_URL and calls[-1]["secret_token"] == SECRET


@pytest.mark.e2e
def test_updates_without_the_right_secret_are_rejected_and_not_processed(
    telegram_stack: Any, fake_api: FakeTelegramAPI
) -> None:
    chat_id = next(_chat_ids)
    assert post(telegram_stack, message_update(chat_id, "recommend me a comedy"), secret=None).status_code == 401
    assert post(telegram_stack, message_update(chat_id, "recommend me a comedy"), secret="guessed").status_code == 403
    assert post(telegram_stack, callback_update(chat_id, "cb-forged", "f:like:50"), secret="").status_code == 401
    assert fake_api.sent(chat_id) == []
    assert all(c["callback_query_id"] != "cb-forged" for c in fake_api.of("answerCallbackQuery"))
    assert user_events(telegram_stack, chat_id) == []
    assert feedback_rows(telegram_stack, chat_id) == []


@pytest.mark.e2e
def test_a_recommendation_gets_cards_with_64_byte_buttons_and_a_like_press_is_stored(
    telegram_stack: Any, fake_api: FakeTelegramAPI
) -> None:
    chat_id = next(_chat_ids)
    response = post(telegram_stack, message_update(chat_id, "recommend me a comedy from the 90s"))
    assert response.status_code == 200, response.text
    sent = fake_api.sent(chat_id)
    cards = [m for m in sent if m.get("reply_markup")]
    assert len(cards) >= 2, f"{sent}\n{telegram_stack.log_tails()}"
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
    response = post(telegram_stack, callback_update(chat_id, "cb-like-1", like))
    assert response.status_code == 200, response.text
    answered = [c for c in fake_api.of("answerCallbackQuery") if c["callback_query_id"] == "cb-like-1"]
    assert len(answered) == 1
    assert (item_id, "like") in feedback_rows(telegram_stack, chat_id), telegram_stack.log_tails()
    assert len(fake_api.sent(chat_id)) > len(sent)  # the bot acknowledged the press in the chat

    # a token from before a restart (or made up) is answered as expired and changes nothing
    rows = feedback_rows(telegram_stack, chat_id)
    assert post(telegram_stack, callback_update(chat_id, "cb-stale", "t:AAAAAAAAAAAAAAAAAAAAAA")).status_code == 200
    (stale,) = [c for c in fake_api.of("answerCallbackQuery") if c["callback_query_id"] == "cb-stale"]
    assert "expired" in stale.get("text", "")
    assert feedback_rows(telegram_stack, chat_id) == rows


@pytest.mark.e2e
def test_a_retried_update_is_not_processed_twice(telegram_stack: Any, fake_api: FakeTelegramAPI) -> None:
    chat_id = next(_chat_ids)
    update = message_update(chat_id, "hello")
    assert post(telegram_stack, update).status_code == 200
    replies = len(fake_api.sent(chat_id))
    assert replies >= 1
    assert post(telegram_stack, update).status_code == 200  # Telegram's retry of the same update_id
    assert len(fake_api.sent(chat_id)) == replies
    assert [e.get("text") for e in user_events(telegram_stack, chat_id)] == ["hello"]


@pytest.mark.e2e
def test_a_late_llm_message_reaches_the_chat_through_trigger_intent(
    telegram_stack: Any, fake_api: FakeTelegramAPI
) -> None:
    chat_id = next(_chat_ids)
    assert post(telegram_stack, message_update(chat_id, "hi")).status_code == 200
    text = "A follow-up written after the turn answered."
    response = telegram_stack.client.post(
        f"/conversations/{chat_id}/trigger_intent",
        params={"output_channel": "latest", "token": telegram_stack.api_token},
        json={"name": "EXTERNAL_llm_followup", "entities": {"llm_text": text}},
    )
    assert response.status_code == 200, f"{response.text}\n{telegram_stack.log_tails()}"
    assert text in [m.get("text") for m in fake_api.sent(chat_id)], telegram_stack.log_tails()
