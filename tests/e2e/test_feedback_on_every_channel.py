"""One person's feedback on each of the four channels — REST, the web widget (a real browser), Telegram
and Slack (their real webhook formats, their APIs faked on loopback) — lands in the same tables and
in the next retrain (issue 14).

On each channel a user asks for a recommendation and presses like on the first item, 4 stars on the
second and save on the third, with the buttons that channel shows. Then the retrain job runs once
(`python -m recommender retrain`, as the scheduler's job does) on the stack's database and its own
model folder, and the version it publishes was trained on all four users.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from browser_visit import PHONE, Visit
from platforms import (
    feedback_rows,
    post_slack,
    post_telegram,
    slack_action,
    slack_event,
    telegram_message,
    telegram_press,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_PYTHON = Path(os.environ.get("APP_VENV", REPO_ROOT / ".venv")) / "bin" / "python"
ASK = "recommend me a comedy from the 90s"


def _item(payload: str) -> str:
    """The item id of a `/feedback{...}` button payload."""
    return str(json.loads(payload[payload.index("{"):])["item_id"])


def on_rest(stack: Any) -> tuple[str, list[tuple[str, str, float | None]]]:
    chat = stack.chat("every-channel")
    items = chat.say(ASK).items
    assert len(items) >= 3, chat.describe()
    for payload in (items[0]["feedback"]["like"], items[1]["ratings"][3], items[2]["feedback"]["bookmark"]):
        assert chat.say(payload).status == 200, chat.describe()
    return chat.sender, [(items[0]["item_id"], "like", None), (items[1]["item_id"], "rating", 4.0),
                         (items[2]["item_id"], "bookmark", None)]


def on_widget(stack: Any, web_server: str, browser: Any) -> tuple[str, list[tuple[str, str, float | None]]]:
    visit = Visit(browser, web_server, stack.rasa_url, PHONE)
    try:
        visit.open()
        visit.say(ASK)
        cards = visit.wait_for_cards().locator("li.recsys-card")
        assert cards.count() >= 3
        ids = [str(cards.nth(i).get_attribute("data-item-id")) for i in range(3)]
        cards.nth(0).locator("button.recsys-fb-like").click()
        visit.bot_said("Noted: you like")
        cards.nth(1).get_by_role("button", name="4 of 5 stars").click()
        visit.bot_said("4/5")
        cards.nth(2).locator("button.recsys-fb-bookmark").click()
        visit.bot_said("Saved")
        return visit.session_id(), [(ids[0], "like", None), (ids[1], "rating", 4.0), (ids[2], "bookmark", None)]
    finally:
        visit.close()


def on_telegram(stack: Any, api: Any) -> tuple[str, list[tuple[str, str, float | None]]]:
    chat_id = 7_100_000_000 + int(uuid.uuid4().int % 1_000_000)
    assert post_telegram(stack.client, telegram_message(chat_id, ASK)).status_code == 200
    boards = [m["reply_markup"]["inline_keyboard"] for m in api.sent(chat_id) if isinstance(m.get("reply_markup"), dict)]
    assert len(boards) >= 4, api.sent(chat_id)  # three cards and "Other options" / "Why these?"
    presses = [boards[0][0][0]["callback_data"], boards[1][1][3]["callback_data"], boards[2][0][2]["callback_data"]]
    for number, data in enumerate(presses):
        assert post_telegram(stack.client, telegram_press(chat_id, f"cb-every-{chat_id}-{number}", data)).status_code == 200
    ids = [data.split(":", 3)[-1] if data.startswith("r:") else data.split(":", 2)[-1] for data in presses]
    return str(chat_id), [(ids[0], "like", None), (ids[1], "rating", 4.0), (ids[2], "bookmark", None)]


def on_slack(stack: Any, api: Any) -> tuple[str, list[tuple[str, str, float | None]]]:
    tag = uuid.uuid4().hex[:8].upper()
    user, channel = f"U{tag}", f"D{tag}"
    assert post_slack(stack.client, slack_event(user, channel, ASK)).status_code == 200
    cards = wait_for(lambda: [m for m in api.posted(channel) if len(m.get("blocks") or []) > 3], stack, "Slack's cards")[0]
    rows = [b["elements"] for b in cards["blocks"] if b["type"] == "actions" and b["block_id"].startswith("feedback-")]
    assert len(rows) >= 3, cards
    like, rate, save = rows[0][0], rows[1][3], rows[2][2]
    four = rate["options"][3]
    for element, option in ((like, None), (rate, four), (save, None)):
        press = slack_action(user, channel, element, cards["answered_ts"], option=option)
        assert post_slack(stack.client, press, interactive=True).status_code == 200
        time.sleep(0.5)  # a person's presses come one after another; Slack's turns run in the background
    ids = [_item(like["value"]), _item(four["value"]), _item(save["value"])]
    return user, [(ids[0], "like", None), (ids[1], "rating", 4.0), (ids[2], "bookmark", None)]


def test_feedback_pressed_on_every_channel_reaches_the_same_tables_and_the_next_retrain(
    channels_stack: Any, web_server: str, browser: Any, fake_telegram: Any, fake_slack: Any
) -> None:
    stack = channels_stack
    pressed = {
        "rest": on_rest(stack),
        "socketio": on_widget(stack, web_server, browser),
        "telegram": on_telegram(stack, fake_telegram),
        "slack": on_slack(stack, fake_slack),
    }
    for channel, (sender, expected) in pressed.items():
        stored = wait_for(lambda c=channel, s=sender, e=expected: (
            rows if sorted(rows := feedback_rows(stack, c, s), key=str) == sorted(e, key=str) else None),
            stack, f"{channel}'s three feedback rows")
        assert len(stored) == 3

    from recommender.identity import channel_user_key, pseudonymous_id
    from recommender.store import Store
    from recommender.training.artifacts import load_version

    users = {channel: pseudonymous_id(channel_user_key(channel, sender), stack.user_id_secret)
             for channel, (sender, _) in pressed.items()}
    var = Path(stack.database_url.removeprefix("sqlite:///")).parent / "var"
    env = {**os.environ, "RECSYS_DATABASE_URL": stack.database_url, "RECSYS_VAR_DIR": str(var),
           "RECSYS_USER_ID_SECRET": stack.user_id_secret, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    run = subprocess.run([str(APP_PYTHON), "-m", "recommender", "retrain"], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=1800, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    print(json.dumps({k: outcome.get(k) for k in ("status", "reason", "version", "events", "seconds")}))  # -s: the run
    assert outcome["status"] == "published", outcome
    store = Store(stack.database_url)
    try:
        published = store.latest_published_version()
        assert published is not None and published.version == outcome["version"]
        trained = set(load_version(Path(published.path)).user_ids)
    finally:
        store.engine.dispose()
    assert {channel: user in trained for channel, user in users.items()} == dict.fromkeys(users, True)
