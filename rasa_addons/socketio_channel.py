"""socket.io input channel for Rasa 3.6: server-issued session ids, an origin allow-list, and RasaHQ/rasa#13027.

Rasa's stock channel lets the client choose its session id, and takes the sender id of every
message from the message itself: a page that learns or guesses another visitor's session id
reads and writes that visitor's conversation. Here:

- session ids are issued by the server and signed (`<random>.<hmac>`, key RECSYS_SOCKETIO_SECRET);
  a session id a client brings back is kept only if its signature holds, else a new one is issued;
- the sender of a message is the session this connection was given, never what the message says;
- with RECSYS_CORS_ORIGINS set, a browser connection from any other origin is refused;
- `session_request` awaits `enter_room` (a coroutine since python-socketio 5.10; without the
  await the client never joined its room and received no replies, RasaHQ/rasa#13027);
- a message is cut to RECSYS_MAX_MESSAGE_CHARS without control characters before Rasa sees it,
  and engine.io refuses a packet over `limits.max_body_bytes()` (rasa_addons/limits.py).
"""

from __future__ import annotations

import inspect
import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from rasa_addons.limits import capped, max_body_bytes, max_message_chars
from rasa_addons.security import allowed_origins, origin_allowed, sign, signing_key, verified

logger = logging.getLogger(__name__)


class RecommenderSocketIOInput(SocketIOInput):
    """Rasa's SocketIOInput with signed, server-issued sessions and an awaited `enter_room`."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        limit = max_message_chars()
        on_new_message = capped(on_new_message, limit)  # cut, no control characters (limits.py)
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        sio.eio.max_http_buffer_size = max_body_bytes(limit)  # engine.io's own default is 1,000,000
        key = signing_key("RECSYS_SOCKETIO_SECRET", "web-widget sessions will not survive a restart of Rasa")
        origins = allowed_origins()
        sessions: Dict[Text, Text] = {}  # socket id -> the session id this server gave it

        async def connect(sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
            if not origin_allowed(environ.get("HTTP_ORIGIN"), origins):
                logger.warning("socket.io connection from a disallowed origin refused")
                return False
            if self.jwt_key:
                from rasa.core.channels.channel import decode_bearer_token

                token = (auth or {}).get("token")
                return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))
            return True

        async def disconnect(sid: Text) -> None:
            sessions.pop(sid, None)

        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            session_id = verified((data or {}).get("session_id"), key) or sign(uuid.uuid4().hex, key)
            sessions[sid] = session_id
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id)
                if inspect.isawaitable(entered):
                    await entered
            await sio.emit("session_confirm", session_id, room=sid)

        async def handle_message(sid: Text, data: Dict) -> None:
            data = data if isinstance(data, dict) else {}
            if self.session_persistence:
                sender_id = sessions.get(sid)
                if sender_id is None:
                    logger.warning("socket.io message before session_request ignored")
                    return
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            message = data.get("message", "")
            await on_new_message(UserMessage(
                message if isinstance(message, str) else "",
                SocketIOOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else {},
            ))

        for event, handler in (("connect", connect), ("disconnect", disconnect),
                               ("session_request", session_request), (self.user_message_evt, handle_message)):
            sio.on(event, handler=handler, namespace=self.namespace)
        return blueprint
