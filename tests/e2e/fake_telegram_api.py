"""A fake Telegram Bot API on loopback: `POST /bot<token>/<method>` with urlencoded or JSON parameters
(aiogram sends forms; `reply_markup` is a JSON string in them), answered like Telegram."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from fake_platform_api import RecordingAPI


class FakeTelegramAPI(RecordingAPI):
    """`calls` holds (method, params); `url` is the base to give TELEGRAM_API_URL."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self._message_id = 0
        self._ids = threading.Lock()

    def method_of(self, path: str, headers: Any) -> str | None:
        prefix = f"/bot{self.token}/"
        return path[len(prefix):].split("?", 1)[0] if path.startswith(prefix) else None

    def unauthorised(self) -> dict[str, Any]:
        return {"ok": False, "error_code": 401, "description": "Unauthorized"}

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "result": self._result(method, params)}

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        lowered = method.lower()
        if lowered == "getme":
            return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Recs",
                    "username": "recs_test_bot"}
        if lowered.startswith("send"):
            with self._ids:
                self._message_id += 1
                message_id = self._message_id
            chat_id = params.get("chat_id")
            return {"message_id": message_id, "date": int(time.time()),
                    "chat": {"id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id, "type": "private"},
                    "text": params.get("text", "")}
        return True

    def sent(self, chat_id: int | str, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Parameters of the calls of `method` to this chat, oldest first (`reply_markup` parsed)."""
        found = []
        for params in self.of(method):
            if str(params.get("chat_id")) == str(chat_id):
                params = dict(params)
                if isinstance(params.get("reply_markup"), str):
                    params["reply_markup"] = json.loads(params["reply_markup"])
                found.append(params)
        return found
