"""The LLM wired into the live stack: on socket.io the items come at once with template reasons, and
the LLM-written message follows through Rasa's trigger_intent API, the domain's
EXTERNAL_llm_followup rule and utter_llm_followup, to the same socket.io session.

The LLM is a protocol-correct OpenAI-compatible server on loopback whose explanations are slow and
grounded; the action server reaches Rasa through a recording loopback proxy (Rasa's port is chosen
when the stack starts, after the action server's environment is fixed).
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

EXPLAIN_DELAY_S = 2.5  # longer than the 1 s turn budget: the explanation always comes late
HANG_CEILING_S = 300.0  # waits for what the machine may deliver late end here only on a hang
CANDIDATE = re.compile(r"^id=(\S+) \| ([^|]+) \| (\S+) \| ([^|]+) \|", re.MULTILINE)
REPLY = "Here are some picks for you."
# While HOLD is set, explanations are written only once RELEASE is set (instead of after the delay),
# so a test can see a turn answer before the explanation exists, at any machine speed.
HOLD, RELEASE = threading.Event(), threading.Event()
ASKED: list[str] = []  # one entry per explanation request received ...
WRITTEN: list[str] = []  # ... and per explanation answered


def grounded_reason(year: str, genres: str) -> str:
    return f"A {genres.split(',')[0].strip().lower()} from {year}, picked for you"


def chat_completion(content: str) -> bytes:
    return json.dumps({
        "id": "chatcmpl-e2e", "object": "chat.completion", "created": 0, "model": "e2e",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }).encode()


class _Server:
    """A loopback HTTP server calling `handle(method, path, headers, body) -> (status, body)`."""

    def __init__(self, handle: Any) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload = handle(self.command, self.path, dict(self.headers), raw)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def llm(method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, bytes]:
    """Ranks candidates in the given order at once; writes grounded reasons after a delay."""
    body = json.loads(raw)
    found = CANDIDATE.findall(body["messages"][-1]["content"])
    if '"ranking"' in body["messages"][0]["content"]:
        return 200, chat_completion(json.dumps({"ranking": [c[0] for c in found]}))
    ASKED.append(path)
    if HOLD.is_set():
        RELEASE.wait(HANG_CEILING_S)
    else:
        time.sleep(EXPLAIN_DELAY_S)
    reasons = {i: grounded_reason(year, genres) for i, _, year, genres in found}
    WRITTEN.append(path)
    return 200, chat_completion(json.dumps({"reply": REPLY, "reasons": reasons}))


class RasaProxy:
    """Forwards the action server's calls to Rasa (its URL set once known) and records them."""

    def __init__(self) -> None:
        self.target = ""
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.server = _Server(self.forward)

    def forward(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, bytes]:
        self.requests.append((method, path, json.loads(raw) if raw else {}))
        response = httpx.request(method, f"{self.target}{path}", content=raw,
                                 headers={"Content-Type": "application/json"}, timeout=60)
        return response.status_code, response.content


@pytest.fixture(scope="module")
def llm_stack(tmp_path_factory: pytest.TempPathFactory, stack_launcher: Any) -> Iterator[tuple[Any, RasaProxy]]:
    """A stack of its own with the LLM on (OpenAI-compatible loopback server), follow-ups via the proxy."""
    server, proxy = _Server(llm), RasaProxy()
    env = {
        "RECSYS_LLM_BACKEND": "openai", "RECSYS_LLM_BASE_URL": f"{server.url}/v1", "RECSYS_LLM_MODEL": "e2e",
        "RECSYS_LLM_MAX_RETRIES": "0", "RECSYS_LLM_TIMEOUT_S": "30", "RECSYS_TURN_BUDGET_MS": "1000",
        "RECSYS_RASA_URL": proxy.server.url,
    }
    try:
        with stack_launcher(tmp_path_factory.mktemp("llm"), extra_env=env) as stack:
            proxy.target = stack.rasa_url
            yield stack, proxy
    finally:
        proxy.server.close()
        server.close()


def test_on_socketio_the_llm_message_follows_the_items(llm_stack: tuple[Any, RasaProxy], tmp_path: Path) -> None:
    stack, proxy = llm_stack
    session_id = uuid.uuid4().hex
    result = subprocess.run(
        [str(stack.rasa_python), "tests/e2e/socketio_client.py", stack.rasa_url, session_id, f"--until={REPLY}",
         "recommend me a funny movie from the 90s"],
        cwd=stack.repo_root, capture_output=True, text=True, timeout=400, check=False,
    )
    assert result.returncode == 0, f"{result.stderr[-3000:]}\n{stack.log_tails()}"
    out = json.loads(result.stdout.strip().splitlines()[-1])
    session_id = out["session_confirm"]  # the server issues the session id (its signature, not ours)
    (turn,) = out["turns"]
    texts = [m["text"] for m in turn if m.get("text")]
    cards = [m for m in turn if m.get("type") == "recommendations"]
    assert len(cards) == 1 and cards[0]["items"], turn
    items = cards[0]["items"]
    # first the items with the template reasons (the LLM missed the 1 s budget) ...
    assert all(not i["reason"].endswith("picked for you") for i in items), items
    # ... then, through Rasa, the LLM's message with its grounded reasons for the same items
    followups = [t for t in texts if t.startswith(REPLY)]
    assert len(followups) == 1, f"no follow-up message in {texts}\n{stack.log_tails()}"
    for item in items:
        assert grounded_reason(str(item["year"]), ", ".join(item["genres"])) in followups[0]
    assert texts.index(followups[0]) > 0
    posts = [(m, p, b) for m, p, b in proxy.requests if "/trigger_intent" in p]
    assert len(posts) == 1 and posts[0][1].startswith(f"/conversations/{session_id}/trigger_intent")
    assert posts[0][2]["name"] == "EXTERNAL_llm_followup"


def test_on_rest_there_is_no_follow_up_and_the_turn_keeps_its_budget(llm_stack: tuple[Any, RasaProxy]) -> None:
    stack, proxy = llm_stack
    before, written = len(proxy.requests), len(WRITTEN)
    chat = stack.chat("llm-rest")
    HOLD.set()
    RELEASE.clear()
    try:
        reply = chat.say("recommend me a funny movie from the 90s")
        assert reply.status == 200 and reply.customs, chat.describe()
        # the turn kept its budget: it answered before any explanation was written (the one asked
        # for, if any, is still held; after the socket.io turn the model is known to be too slow
        # and none is asked for at all)
        assert len(WRITTEN) == written, chat.describe()
    finally:
        RELEASE.set()
        HOLD.clear()
    deadline = time.monotonic() + HANG_CEILING_S
    while len(WRITTEN) < len(ASKED) and time.monotonic() < deadline:  # every held explanation is out
        time.sleep(0.2)
    time.sleep(1.0)  # a follow-up would be on its way now
    assert len(proxy.requests) == before  # REST has nobody to push to
