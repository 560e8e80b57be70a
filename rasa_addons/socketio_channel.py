"""socket.io input channel for Rasa 3.6 with python-socketio >= 5.10 (RasaHQ/rasa#13027).

Rasa 3.6's `session_request` handler calls `sio.enter_room(...)` without `await`; since
python-socketio 5.10 that is a coroutine, so with `session_persistence: true` the client never
joins its session room and receives no replies. This subclass re-registers that one handler.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

logger = logging.getLogger(__name__)


class RecommenderSocketIOInput(SocketIOInput):
    """Rasa's SocketIOInput with an awaited `enter_room`."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio

        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            data = data or {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, data["session_id"])
                if inspect.isawaitable(entered):
                    await entered
            await sio.emit("session_confirm", data["session_id"], room=sid)

        sio.on("session_request", handler=session_request, namespace=self.namespace)
        return blueprint
