"""Attacks on the running stack, each of which must fail (docs/security.md), on SQLite and on PostgreSQL.

The stack is started as `make run` starts it: action server behind a token, Rasa's HTTP API
behind its auth token with a CORS allow-list, the namespaced REST channel, signed socket.io
sessions, and the forgetful SQL tracker store. On PostgreSQL both the recommender's database and
Rasa's tracker store are fresh PostgreSQL databases.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from recommender.identity import pseudonymous_id, rest_user_key, user_key
from recommender.store import Store

pytestmark = pytest.mark.e2e

EVIL_ORIGIN = "https://evil.example"
USER_TABLES = ("feedback_events", "impressions", "recommendation_requests", "sessions", "users")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, stack_launcher: Any
           ) -> Iterator[Any]:
    """The shared SQLite stack, or a stack of its own on two fresh PostgreSQL databases."""
    if request.param == "sqlite":
        yield request.getfixturevalue("stack")
        return
    postgres_databases = request.getfixturevalue("postgres_databases")
    with postgres_databases(2) as (database, tracker_database), stack_launcher(
        tmp_path_factory.mktemp("e2e-postgres"), database_url=database, tracker_database_url=tracker_database
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def target_store(target: Any) -> Iterator[Store]:
    store = Store(target.database_url)
    yield store
    store.engine.dispose()


def _rows_about(store: Store, user_id: str) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {table: int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE user_id = :u"), {"u": user_id})
                           .scalar_one()) for table in USER_TABLES}


def _tracker(target: Any, sender_id: str, token: str | None = "") -> httpx.Response:
    """GET Rasa's /conversations/<id>/tracker with every event ever stored; `token` "" means the right one."""
    params = {"include_events": "ALL"}
    if token is not None:
        params["token"] = token or target.api_token
    return target.client.get(f"/conversations/{sender_id}/tracker", params=params)


def _user_texts(tracker: dict[str, Any]) -> list[str]:
    return [e.get("text") or "" for e in tracker.get("events", []) if e.get("event") == "user"]


def _liked(target: Any, name: str) -> tuple[Any, dict[str, Any]]:
    """A REST conversation that asked for westerns and liked the first one; (chat, that item)."""
    chat = target.chat(name)
    reply = chat.say("recommend me a western")
    assert reply.status == 200 and reply.items, chat.describe()
    item = reply.items[0]
    assert chat.say(item["feedback"]["like"]).status == 200, chat.describe()
    return chat, item


# -- the action server ------------------------------------------------------------------------------

def _forged_call(sender: str) -> dict[str, Any]:
    """What Rasa would post to run `action_forget_me` for `sender`, written by an attacker."""
    return {
        "next_action": "action_forget_me", "sender_id": sender, "version": "3.6.21", "domain": {},
        "tracker": {"sender_id": sender, "slots": {}, "events": [], "paused": False, "followup_action": None,
                    "active_loop": {}, "latest_action_name": "action_listen", "latest_input_channel": "rest",
                    "latest_message": {"text": "yes", "intent": {"name": "affirm", "confidence": 1.0},
                                       "entities": []}},
    }


@pytest.mark.parametrize("auth", [{}, {"headers": {"Authorization": "Bearer wrong"}}, {"params": {"token": "wrong"}}],
                         ids=["no-token", "wrong-bearer", "wrong-query-token"])
def test_a_forged_tracker_posted_to_the_action_server_is_refused(target: Any, target_store: Store,
                                                                 auth: dict[str, Any]) -> None:
    chat, _ = _liked(target, "forged-victim")
    victim = pseudonymous_id(rest_user_key(chat.sender), target.user_id_secret)
    before = _rows_about(target_store, victim)
    assert before["feedback_events"] == 1, before

    forged = httpx.post(f"{target.action_url}/webhook", json=_forged_call(f"rest:{chat.sender}"), timeout=30, **auth)
    assert forged.status_code == 401, forged.text
    assert _rows_about(target_store, victim) == before  # nothing was forgotten
    for path in ("/actions", "/metrics"):
        assert httpx.get(f"{target.action_url}{path}", timeout=30, **auth).status_code == 401, path
    assert httpx.get(f"{target.action_url}/health", timeout=30).status_code == 200  # liveness stays open


def test_the_action_server_listens_on_loopback_only(target: Any) -> None:
    """rasa-sdk binds 0.0.0.0; ours binds 127.0.0.1 unless RECSYS_ACTION_HOST says otherwise."""
    port = target.action_url.rsplit(":", 1)[1]
    listening = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=False)
    if listening.returncode != 0:
        pytest.skip("ss (iproute2) is not available here")
    addresses = {line.split()[3].rsplit(":", 1)[0] for line in listening.stdout.splitlines() if line.strip()}
    assert addresses and addresses <= {"127.0.0.1", "[::1]"}, listening.stdout


# -- Rasa's HTTP API --------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "wrong"], ids=["no-token", "wrong-token"])
def test_rasa_api_refuses_calls_without_the_token(target: Any, token: str | None) -> None:
    chat, _ = _liked(target, "api")
    sender = f"rest:{chat.sender}"
    assert _tracker(target, sender, token).status_code == 401
    params = {"token": token} if token else {}
    event = {"event": "user", "text": "injected by an attacker", "parse_data": {"intent": {"name": "greet"}}}
    assert target.client.post(f"/conversations/{sender}/tracker/events", json=event, params=params).status_code == 401
    assert target.client.delete("/model", params=params).status_code == 401
    # the model is still loaded and the conversation untouched
    assert chat.say("recommend me a comedy").items, chat.describe()
    assert "injected by an attacker" not in _user_texts(_tracker(target, sender).json())


def test_a_page_on_another_origin_cannot_use_rasa(target: Any) -> None:
    evil = {"Origin": EVIL_ORIGIN}
    preflight = target.client.options(
        "/conversations/anyone/tracker", headers={**evil, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.headers.get("access-control-allow-origin") not in (EVIL_ORIGIN, "*"), preflight.headers
    # a "simple" cross-site POST needs no preflight: the channel itself refuses it (CSRF)
    chat = target.chat("csrf")
    forged = target.client.post("/webhooks/rest/webhook", content=json.dumps({"sender": chat.sender, "message": "hi"}),
                                headers={**evil, "Content-Type": "text/plain"})
    assert forged.status_code == 403, forged.text
    assert _user_texts(_tracker(target, f"rest:{chat.sender}").json()) == []
    # the web chat's own page is allowed
    allowed = target.client.options(
        "/conversations/anyone/tracker", headers={"Origin": target.web_origin, "Access-Control-Request-Method": "GET"}
    )
    assert allowed.headers.get("access-control-allow-origin") == target.web_origin, allowed.headers
    assert target.client.post("/webhooks/rest/webhook", json={"sender": chat.sender, "message": "hi"},
                              headers={"Origin": target.web_origin}).status_code == 200


# -- identity bound to the channel ------------------------------------------------------------------

def test_a_rest_caller_cannot_act_as_a_slack_user(target: Any, target_store: Store) -> None:
    slack_sender = f"U{uuid.uuid4().hex[:10].upper()}"
    slack_user = pseudonymous_id(user_key("slack", slack_sender), target.user_id_secret)
    saved = target_store.get_item("50")
    assert saved is not None
    target_store.add_feedback(user_id=slack_user, item_id=saved.item_id, kind="bookmark", value=4.0)
    secret_words = f"my private words {uuid.uuid4().hex[:6]}"
    said = {"event": "user", "text": secret_words, "input_channel": "slack",
            "parse_data": {"intent": {"name": "greet", "confidence": 1.0}, "entities": [], "text": secret_words}}
    added = target.client.post(f"/conversations/{slack_sender}/tracker/events", json=said,
                               params={"token": target.api_token})
    assert added.status_code == 200, added.text
    before = _rows_about(target_store, slack_user)

    for body in ({"sender": slack_sender}, {"sender": slack_sender, "input_channel": "slack"}):
        def post(message: str, body: dict[str, str] = body) -> list[dict[str, Any]]:
            return list(target.client.post("/webhooks/rest/webhook", json={**body, "message": message}).json())

        shown = json.dumps(post("show me my saved items"))
        assert saved.title not in shown and secret_words not in shown, shown
        reply = post("recommend me a western")
        items = [m["custom"] for m in reply if m.get("custom", {}).get("type") == "recommendations"]
        assert items and items[0]["items"], reply
        post(items[0]["items"][0]["feedback"]["like"])
        post("delete my data")
        post("yes")

    assert _rows_about(target_store, slack_user) == before  # not forgotten, nothing added
    assert target_store.user_feedback(slack_user) == [(saved.item_id, "bookmark", 4.0)]
    slack_tracker = _tracker(target, slack_sender).json()
    assert _user_texts(slack_tracker) == [secret_words]  # the REST messages went to rest:<id>, not here
    assert {e.get("input_channel") for e in slack_tracker["events"] if e.get("event") == "user"} == {"slack"}


# -- the web widget's socket.io channel -------------------------------------------------------------

def _socketio(target: Any, session_id: str, *messages: str, **options: str) -> dict[str, Any]:
    argv = [str(target.rasa_python), "tests/e2e/socketio_client.py", target.rasa_url, session_id,
            *(f"--{k}={v}" for k, v in options.items()), *messages]
    result = subprocess.run(argv, cwd=target.repo_root, capture_output=True, text=True, timeout=400, check=False)
    assert result.returncode == 0, f"{result.stderr[-3000:]}\n{target.log_tails()}"
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_a_socketio_client_can_neither_choose_nor_claim_a_session(target: Any) -> None:
    victim = _socketio(target, uuid.uuid4().hex, "recommend me a western", origin=target.web_origin)
    victim_session = victim["session_confirm"]
    assert victim["turns"] and victim["turns"][0], victim

    unsigned = victim_session.rsplit(".", 1)[0]  # the id without its signature: a guess or a made-up id
    attacker = _socketio(target, unsigned, "recommend me a comedy from the 80s", claim=victim_session)
    assert attacker["session_confirm"] not in (unsigned, victim_session)
    assert attacker["turns"] and attacker["turns"][0], attacker  # answered in its own session
    assert "recommend me a comedy from the 80s" not in _user_texts(_tracker(target, victim_session).json())
    assert "recommend me a comedy from the 80s" in _user_texts(_tracker(target, attacker["session_confirm"]).json())

    # the victim's own (signed) id still brings them back to their conversation
    back = _socketio(target, victim_session, "something older", origin=target.web_origin)
    assert back["session_confirm"] == victim_session
    assert "something older" in _user_texts(_tracker(target, victim_session).json())


def test_a_socketio_connection_from_another_origin_is_refused(target: Any) -> None:
    refused = _socketio(target, uuid.uuid4().hex, "recommend me a western", origin=EVIL_ORIGIN)
    assert "refused" in refused, refused


# -- forget me --------------------------------------------------------------------------------------

def test_after_forget_me_neither_rasa_nor_the_database_holds_anything_of_the_user(target: Any,
                                                                                  target_store: Store) -> None:
    chat, _ = _liked(target, "forget-all")
    sender = f"rest:{chat.sender}"
    user = pseudonymous_id(rest_user_key(chat.sender), target.user_id_secret)
    assert _rows_about(target_store, user)["feedback_events"] == 1
    assert "recommend me a western" in _user_texts(_tracker(target, sender).json())

    assert chat.say("delete my data").status == 200
    assert chat.say("yes").status == 200, chat.describe()

    assert _rows_about(target_store, user) == dict.fromkeys(USER_TABLES, 0), chat.describe()
    events = _tracker(target, sender).json()["events"]
    said = [e for e in events if e.get("event") in ("user", "bot")]
    assert said == [], f"Rasa still holds {said}"
    tracker_db = create_engine(target.tracker_database_url)
    try:
        with tracker_db.connect() as conn:
            rows = conn.execute(text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                                {"s": sender}).all()
    finally:
        tracker_db.dispose()
    assert rows and rows[0][0] == "restart", rows[:3]
    assert not any("western" in data or "delete my data" in data for _, data in rows), rows
    # and the conversation goes on
    assert chat.say("recommend me a comedy").items, chat.describe()
