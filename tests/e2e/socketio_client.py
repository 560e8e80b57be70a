"""Talk to Rasa's socket.io channel the way web/widget.js does; print what came back as JSON.

Run with the Rasa venv's Python (it has python-socketio's client and aiohttp):
    .venv-rasa/bin/python tests/e2e/socketio_client.py http://127.0.0.1:5005 <session id> "<message>" ...
Prints {"session_confirm": ..., "turns": [[bot_uttered payloads of turn 1], ...]}.
Long-polling only: the Rasa venv's aiohttp 3.9 is too old for python-engineio's websocket client
(no aiohttp.ClientWSTimeout). The events are the same on either transport.
"""

from __future__ import annotations

import asyncio
import json
import sys

import socketio


async def main(url: str, session_id: str, messages: list[str], quiet_seconds: float = 3.0, patience: float = 60.0) -> dict:
    client = socketio.AsyncClient(reconnection=False)
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
    received: list = []

    @client.on("session_confirm")
    async def on_confirm(data):
        if not confirmed.done():
            confirmed.set_result(data)

    @client.on("bot_uttered")
    async def on_bot(data):
        received.append(data)

    await client.connect(url, socketio_path="/socket.io", transports=["polling"], wait_timeout=30)
    await client.emit("session_request", {"session_id": session_id})
    confirm = await asyncio.wait_for(confirmed, timeout=30)
    turns = []
    for message in messages:
        received.clear()
        await client.emit("user_uttered", {"message": message, "session_id": session_id})
        waited, last = 0.0, -1
        # until replies stop arriving, or `patience` seconds without any reply
        while client.connected and ((received and len(received) != last) or (not received and waited < patience)):
            last = len(received)
            await asyncio.sleep(quiet_seconds)
            waited += quiet_seconds
        turns.append(list(received))
        if not received:
            break  # nothing came back; later turns would not tell us more
    if client.connected:
        await client.disconnect()
    return {"session_confirm": confirm, "turns": turns}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))))
