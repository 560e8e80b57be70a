"""A fake Slack Web API on loopback: `POST /api/<method>` with `Authorization: Bearer <bot token>` and
a JSON or form body (slack_sdk sends `chat.postMessage` as JSON), answered like Slack."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from fake_platform_api import RecordingAPI


class FakeSlackAPI(RecordingAPI):
    """`calls` holds (method, params); `api_url` is what to give SLACK_API_URL."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.api_url = f"{self.url}/api/"
        self._ts = itertools.count(1)
        self._ids = threading.Lock()

    def method_of(self, path: str, headers: Any) -> str | None:
        if headers.get("Authorization") != f"Bearer {self.token}" or not path.startswith("/api/"):
            return None
        return path[len("/api/"):].split("?", 1)[0]

    def unauthorised(self) -> dict[str, Any]:
        return {"ok": False, "error": "invalid_auth"}

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            with self._ids:
                ts = f"1700000000.{next(self._ts):06d}"
            params["answered_ts"] = ts  # the recorded call learns the message's ts (a test presses its buttons)
            return {"ok": True, "channel": params.get("channel"), "ts": ts,
                    "message": {"text": params.get("text", ""), "ts": ts, "bot_id": "B0BOT"}}
        if method == "auth.test":
            return {"ok": True, "user_id": "U0BOT", "bot_id": "B0BOT"}
        return {"ok": True}

    def posted(self, channel: str) -> list[dict[str, Any]]:
        """`chat.postMessage` calls to this channel, oldest first."""
        return [params for params in self.of("chat.postMessage") if params.get("channel") == channel]
