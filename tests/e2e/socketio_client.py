"""Talk to Rasa's socket.io channel the way web/widget.js does; print what came back as JSON.

Run with the Rasa venv's Python (it has python-socketio's client and aiohttp):
    .venv-rasa/bin/python tests/e2e/socketio_client.py http://127.0.0.1:5005 <session id> [--until=PREFIX] \
        [--origin=URL] [--claim=SESSION_ID] "<message>" ...
Prints {"session_confirm": ..., "turns": [[bot_uttered payloads of turn 1], ...]}, {"refused": "<the
server's reason>"} when the server refuses the connection, or {"no_answer": "..."} when it neither
accepts nor refuses within the connect timeout. Like the widget, messages carry the session id the server
confirmed; --claim=ID makes them claim another one instead (an attack the server must ignore), and
--origin=URL sends that Origin header, as a browser on that page would.
A turn ends when no reply came for a few seconds; with --until=PREFIX the last turn also waits (up
to a ceiling that only catches a hang) for a message whose text starts with PREFIX, such as a
follow-up that a busy machine delivers later than the quiet period.
Long-polling only: the Rasa venv's aiohttp 3.9 is too old for python-engineio's websocket client
(no aiohttp.ClientWSTimeout). The events are the same on either transport. On polling, python-socketio's
own disconnect waits for the pending long poll, which the server answers only at its next ping (about
25 s): the client closes the engine.io connection without waiting for it (the server still gets the
close packet), and learns of a refusal from the server's connect_error instead of through that wait.
"""

from __future__ import annotations

import asyncio
import json
import sys

import socketio

UNTIL_CEILING_S = 300.0


def _still_expecting(prefix: str, received: list, waited: float) -> bool:
    """Whether a message starting with `prefix` is still awaited (never past the ceiling)."""
    seen = any(str(m.get("text") or "").startswith(prefix) for m in received)
    return bool(prefix) and not seen and waited < UNTIL_CEILING_S


async def main(url: str, session_id: str, messages: list[str], quiet_seconds: float = 3.0, patience: float = 60.0,
               until: str = "", origin: str = "", claim: str = "") -> dict:
    client = socketio.AsyncClient(reconnection=False)
    loop = asyncio.get_running_loop()
    confirmed: asyncio.Future = loop.create_future()
    connected: asyncio.Future = loop.create_future()
    refused: asyncio.Future = loop.create_future()
    received: list = []

    @client.event
    async def connect():
        if not connected.done():
            connected.set_result(True)

    @client.event
    async def connect_error(data):
        if not refused.done():
            refused.set_result(data)

    @client.on("session_confirm")
    async def on_confirm(data):
        if not confirmed.done():
            confirmed.set_result(data)

    @client.on("bot_uttered")
    async def on_bot(data):
        received.append(data)

    try:
        await client.connect(url, socketio_path="/socket.io", transports=["polling"], wait=False,
                             headers={"Origin": origin} if origin else {})
    except socketio.exceptions.ConnectionError as exc:  # the engine.io handshake itself refused
        return {"refused": str(exc)}
    await asyncio.wait({connected, refused}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if not connected.done():
        await _leave(client)
        if refused.done():
            return {"refused": str(refused.result())}
        return {"no_answer": "the server neither accepted nor refused the connection within 30 s"}
    await client.emit("session_request", {"session_id": session_id})
    confirm = await asyncio.wait_for(confirmed, timeout=30)
    turns = []
    for n, message in enumerate(messages, 1):
        received.clear()
        await client.emit("user_uttered", {"message": message, "session_id": claim or confirm})
        waited, last = 0.0, -1
        expected = until if n == len(messages) else ""
        # until replies stop arriving, or `patience` seconds without any reply
        while client.connected and (
            _still_expecting(expected, received, waited)
            or (received and len(received) != last)
            or (not received and waited < patience)
        ):
            last = len(received)
            await asyncio.sleep(quiet_seconds)
            waited += quiet_seconds
        turns.append(list(received))
        if not received:
            break  # nothing came back; later turns would not tell us more
    await _leave(client)
    return {"session_confirm": confirm, "turns": turns}


async def _leave(client: socketio.AsyncClient) -> None:
    """Close the engine.io connection (the server gets its close packet) without waiting for the
    pending long poll."""
    await client.eio.disconnect(abort=True)


if __name__ == "__main__":
    args = sys.argv[3:]
    options = dict(a[2:].split("=", 1) for a in args if a.startswith("--") and "=" in a)
    texts = [a for a in args if not (a.startswith("--") and "=" in a)]
    prefix = options.get("until", "")
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2], texts, until=prefix, origin=options.get("origin", ""),
                                      claim=options.get("claim", "")))))
