"""A fake platform API on loopback (Telegram's Bot API, Slack's Web API): records every call the bot
makes and answers as the platform would. Nothing leaves the machine. Standard library only, so both
the tests (Python 3.11) and a script run with Rasa's Python (3.10) can use it.

A subclass says how a request names its method (`method_of`, None: unauthorised) and what the
platform answers (`result`).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class RecordingAPI:
    """`calls` holds (method, params) in arrival order; `url` is the base URL to give the bot."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:  # http.server calls it by this name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                method = api.method_of(self.path, self.headers)
                if method is None:
                    self._reply(401, api.unauthorised())
                    return
                params = api._parse(self.headers.get("Content-Type") or "", body)
                with api._lock:
                    api.calls.append((method, params))
                self._reply(200, api.answer(method, params))

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

    def __enter__(self) -> RecordingAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def method_of(self, path: str, headers: Any) -> str | None:
        raise NotImplementedError

    def unauthorised(self) -> dict[str, Any]:
        return {"ok": False}

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def _parse(content_type: str, body: bytes) -> dict[str, Any]:
        if content_type.startswith("application/json"):
            data = json.loads(body or b"{}")
            return data if isinstance(data, dict) else {}
        return {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}

    def of(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call of `method`, oldest first."""
        with self._lock:
            return [params for name, params in self.calls if name == method]
