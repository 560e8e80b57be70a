"""A fake Telegram Bot API on loopback: records every call the bot makes and answers like Telegram.

`POST /bot<token>/<method>` with urlencoded or JSON parameters (aiogram sends forms; `reply_markup` is a
JSON string in them). Nothing leaves the machine. Standard library only, so both the tests
(Python 3.11) and a script run with Rasa's Python (3.10) can use it.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class FakeTelegramAPI:
    """`calls` holds (method, params) in arrival order; `url` is the base to give TELEGRAM_API_URL."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._message_id = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:  # http.server calls it by this name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                prefix = f"/bot{api.token}/"
                if not self.path.startswith(prefix):
                    self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                method = self.path[len(prefix):].split("?", 1)[0]
                params = api._parse(self.headers.get("Content-Type") or "", body)
                with api._lock:
                    api.calls.append((method, params))
                self._reply(200, {"ok": True, "result": api._result(method, params)})

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeTelegramAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    @staticmethod
    def _parse(content_type: str, body: bytes) -> dict[str, Any]:
        if content_type.startswith("application/json"):
            data = json.loads(body or b"{}")
            return data if isinstance(data, dict) else {}
        return {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        lowered = method.lower()
        if lowered == "getme":
            return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Recs",
                    "username": "recs_test_bot"}
        if lowered.startswith("send"):
            with self._lock:
                self._message_id += 1
                message_id = self._message_id
            chat_id = params.get("chat_id")
            return {"message_id": message_id, "date": int(time.time()),
                    "chat": {"id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id, "type": "private"},
                    "text": params.get("text", "")}
        return True

    def sent(self, chat_id: int | str, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Parameters of the calls of `method` to this chat, oldest first (`reply_markup` parsed)."""
        with self._lock:
            calls = list(self.calls)
        found = []
        for name, params in calls:
            if name == method and str(params.get("chat_id")) == str(chat_id):
                params = dict(params)
                if isinstance(params.get("reply_markup"), str):
                    params["reply_markup"] = json.loads(params["reply_markup"])
                found.append(params)
        return found

    def of(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call of `method`."""
        with self._lock:
            return [params for name, params in self.calls if name == method]
