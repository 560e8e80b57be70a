"""The real bot over Rasa's REST channel: POST {"sender", "message"} to /webhooks/rest/webhook.

Loopback only (the simulator is a measurement of a local stack, never traffic to anyone else's
server). Each dialogue gets its own sender id (a uuid), so every simulated user is a new user.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx

from recommender.eval.simulator.acts import Act, BotReply
from recommender.eval.simulator.catalog import SimulatorError

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
WEBHOOK = "/webhooks/rest/webhook"
DEFAULT_TIMEOUT = 120.0


def check_loopback(url: str) -> str:
    """The URL without a trailing slash; an error for anything that is not http(s) on loopback."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or (parts.hostname or "") not in LOOPBACK_HOSTS:
        raise SimulatorError(f"--rasa-url {url!r}: the simulator only talks to a local stack "
                             f"(http://127.0.0.1:PORT); start one with `make run` or use --start-stack")
    return url.rstrip("/")


def parse_reply(messages: list[dict[str, Any]], latency_ms: float = 0.0) -> BotReply:
    """Rasa's list of {text?, buttons?, custom?} as the user sees it: the recommended ids (every
    recommendations payload), what the bot says it relaxed, and whether it asked a question."""
    items: list[str] = []
    relaxed: list[str] = []
    question: str | None = None
    texts = [str(m["text"]) for m in messages if isinstance(m, dict) and m.get("text")]
    for message in messages:
        custom = message.get("custom") if isinstance(message, dict) else None
        if not isinstance(custom, dict):
            continue
        if custom.get("type") == "recommendations":
            items += [str(i["item_id"]) for i in custom.get("items") or [] if isinstance(i, dict) and "item_id" in i]
            relaxed += [str(r) for r in custom.get("relaxed") or []]
        elif custom.get("type") == "question":
            question = str(custom.get("attribute") or "")
    if question is None and not items and texts and texts[-1].rstrip().endswith(("?", "？")):
        question = ""  # a question in words only; the user guesses the attribute from them
    return BotReply(item_ids=tuple(items), relaxed=tuple(relaxed), question=question, text="\n".join(texts),
                    latency_ms=latency_ms, raw=messages)


class RestBot:
    """Factory of REST conversations sharing one connection pool."""

    name = "bot"

    def __init__(self, rasa_url: str, timeout: float = DEFAULT_TIMEOUT, run_id: str | None = None) -> None:
        self.rasa_url = check_loopback(rasa_url)
        self.run_id = run_id or uuid.uuid4().hex[:8]
        self.client = httpx.Client(base_url=self.rasa_url, timeout=timeout,
                                   limits=httpx.Limits(max_connections=16))

    def probe(self) -> None:
        """A clear error when the Rasa server does not answer (before any dialogue starts)."""
        try:
            response = self.client.get("/", timeout=5.0)
        except httpx.HTTPError as exc:
            raise SimulatorError(f"the Rasa server at {self.rasa_url} is unreachable ({exc.__class__.__name__}: "
                                 f"{exc}); start it with `make run`, or pass --start-stack") from None
        if response.status_code != 200:
            raise SimulatorError(f"the Rasa server at {self.rasa_url} answered HTTP {response.status_code} on /")

    def conversation(self, sender: str = "") -> RestConversation:
        """A new REST conversation (a fresh sender id unless one is given)."""
        return RestConversation(self.client, sender or f"sim-{self.run_id}-{uuid.uuid4().hex[:12]}")

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


class RestConversation:
    """One simulated user's dialogue with the running bot."""

    def __init__(self, client: httpx.Client, sender: str) -> None:
        self.client = client
        self.sender = sender

    def send(self, text: str, act: Act) -> BotReply:
        """Post the words (the act is for the yardstick only); errors become a reply with `error`."""
        started = time.perf_counter()
        try:
            response = self.client.post(WEBHOOK, json={"sender": self.sender, "message": text})
            latency = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            latency = (time.perf_counter() - started) * 1000
            return BotReply(latency_ms=latency, error=f"{exc.__class__.__name__}: {exc}"[:300])
        return parse_reply(body if isinstance(body, list) else [body], latency)
