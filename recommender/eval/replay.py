"""Replay: unseen users' ratings sent as real chat feedback through Rasa's REST webhook.

The users and their split come from `recommender.eval.replay_data`. One replayed user is one
conversation (sender `replay-<run>-<user>`) over `POST /webhooks/rest/webhook`, as a person
using the web widget would have it:
  "recommend me a movie, surprise me"  -> the bot's list (asked again every `ask_every` events)
  an item of that list the data says they rated -> a click first (they opened it)
  each replayed rating, oldest first -> the bot's own button payloads:
     >= like_threshold: `/feedback{"item_id":"50","kind":"like"}`
     <= dislike_below:  `/feedback{"item_id":"50","kind":"dislike"}`
     otherwise:         `/feedback{"item_id":"50","kind":"rating","rating":"3.5"}`
Afterwards every sent feedback event is checked against the store (`Store.user_feedback`: same
items, kinds and values, in order, under the user's pseudonymous id): sent == stored, or the run
fails. `wait_until_served` asks the live bot until its logged request names a given version.
What the models make of the feedback is measured by `recommender.eval.replay_measure`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import httpx

from recommender import feedback as fb
from recommender.eval.replay_data import ReplayEvent, ReplayUser
from recommender.identity import pseudonymous_id, rest_user_key
from recommender.store.repository import Store

logger = logging.getLogger(__name__)

ASK_TEXT = "recommend me a movie, surprise me"  # a list at once: a vague opener alone gets a question
WEBHOOK = "/webhooks/rest/webhook"


@dataclass(frozen=True)
class SentFeedback:
    """One feedback message as sent, and the row it must produce."""

    item_id: str
    kind: str
    value: float | None
    message: str


@dataclass
class ReplayStats:
    """What the replay sent and how it went."""

    users: int = 0
    messages: int = 0
    recommendation_turns: int = 0
    feedback_sent: int = 0
    http_errors: int = 0
    shown_and_rated: int = 0
    seconds: float = 0.0
    sent: dict[str, list[SentFeedback]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The numbers, without the per-user lists."""
        return {
            "users": self.users, "messages": self.messages, "recommendation_turns": self.recommendation_turns,
            "feedback_sent": self.feedback_sent, "http_errors": self.http_errors,
            "shown_and_rated": self.shown_and_rated, "seconds": round(self.seconds, 1),
            "messages_per_second": round(self.messages / self.seconds, 2) if self.seconds else 0.0,
        }


# -- the conversation ----------------------------------------------------------------------------
def feedback_for(event: ReplayEvent, like_threshold: float = 4.0, dislike_below: float = 2.0) -> SentFeedback:
    """The button payload a user who gave this rating would send, and the row it must produce."""
    extra: dict[str, str] = {}
    value: float | None = None
    if event.rating >= like_threshold:
        kind = fb.LIKE
    elif event.rating <= dislike_below:
        kind = fb.DISLIKE
    else:
        value = min(5.0, max(1.0, event.rating))
        kind, extra = fb.RATING, {"rating": f"{value:g}"}
    body = json.dumps({"item_id": event.item_id, "kind": kind, **extra}, separators=(",", ":"))
    return SentFeedback(event.item_id, kind, value, f"/feedback{body}")


def planned_feedback(user: ReplayUser, like_threshold: float = 4.0) -> list[SentFeedback]:
    """The feedback events replaying `user` would send (without the clicks on shown items)."""
    return [feedback_for(event, like_threshold) for event in user.events]


def click_for(item_id: str) -> SentFeedback:
    """An 'opened it' click on a shown item."""
    body = json.dumps({"item_id": item_id, "kind": fb.CLICK}, separators=(",", ":"))
    return SentFeedback(item_id, fb.CLICK, None, f"/feedback{body}")


def shown_items(messages: list[dict[str, Any]]) -> list[str]:
    """Item ids of the recommendation payload in a REST reply (empty when there is none)."""
    for message in messages:
        custom = message.get("custom") or {}
        if custom.get("type") == "recommendations":
            return [str(item["item_id"]) for item in custom.get("items", [])]
    return []


class Replayer:
    """Sends the users' conversations to Rasa, `concurrency` conversations at a time."""

    def __init__(
        self,
        rasa_url: str,
        *,
        concurrency: int = 4,
        ask_every: int = 10,
        like_threshold: float = 4.0,
        timeout: float = 120.0,
    ) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.concurrency = concurrency
        self.ask_every = ask_every
        self.like_threshold = like_threshold
        self.timeout = timeout
        self._lock = threading.Lock()

    def _post(self, client: httpx.Client, sender: str, text: str, stats: ReplayStats) -> list[dict[str, Any]] | None:
        try:
            response = client.post(WEBHOOK, json={"sender": sender, "message": text}, timeout=self.timeout)
        except httpx.HTTPError as exc:
            logger.warning("replay: %s failed for %s: %s", text[:40], sender, exc)
            with self._lock:
                stats.messages += 1
                stats.http_errors += 1
            return None
        with self._lock:
            stats.messages += 1
            if response.status_code != 200:
                stats.http_errors += 1
        if response.status_code != 200:
            logger.warning("replay: HTTP %s for %s: %s", response.status_code, sender, response.text[:200])
            return None
        body = response.json()
        return body if isinstance(body, list) else [body]

    def _conversation(
        self, client: httpx.Client, user: ReplayUser, stats: ReplayStats, progress: Callable[[int], None]
    ) -> list[SentFeedback]:
        sent: list[SentFeedback] = []
        shown: set[str] = set()
        for n, event in enumerate(user.events):
            if n % self.ask_every == 0:
                reply = self._post(client, user.sender, ASK_TEXT, stats)
                with self._lock:
                    stats.recommendation_turns += 1
                shown = set(shown_items(reply or []))
            plan = [feedback_for(event, self.like_threshold)]
            if event.item_id in shown:
                plan.insert(0, click_for(event.item_id))
                with self._lock:
                    stats.shown_and_rated += 1
            for feedback in plan:
                if self._post(client, user.sender, feedback.message, stats) is not None:
                    sent.append(feedback)
                    with self._lock:
                        stats.feedback_sent += 1
            progress(1)
        return sent

    def run(self, users: Sequence[ReplayUser], *, show_progress: bool = True) -> ReplayStats:
        """Replay every user's events; returns what was sent (per sender) and the counts."""
        from tqdm import tqdm

        stats = ReplayStats(users=len(users))
        started = time.perf_counter()
        total = sum(len(u.events) for u in users)
        with (
            httpx.Client(base_url=self.rasa_url, limits=httpx.Limits(max_connections=self.concurrency + 2)) as client,
            tqdm(total=total, unit="event", desc="replay", disable=not show_progress) as bar,
            ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="replay") as pool,
        ):
            lock = threading.Lock()

            def progress(n: int) -> None:
                with lock:
                    bar.update(n)

            futures = {pool.submit(self._conversation, client, user, stats, progress): user for user in users}
            for future in as_completed(futures):
                stats.sent[futures[future].sender] = future.result()
        stats.seconds = time.perf_counter() - started
        return stats



def verify_stored(store: Store, secret: str, sent: dict[str, list[SentFeedback]]) -> dict[str, Any]:
    """Compare every sender's sent feedback with its `feedback_events` rows, in order."""
    stored_total = 0
    sent_total = 0
    mismatched: list[str] = []
    for sender, events in sent.items():
        rows = store.user_feedback(pseudonymous_id(rest_user_key(sender), secret))
        stored_total += len(rows)
        sent_total += len(events)
        expected = [(e.item_id, e.kind, e.value) for e in events]
        got = [(item, kind, None if value is None else float(value)) for item, kind, value in rows]
        if expected != got:
            mismatched.append(sender)
    return {"sent": sent_total, "stored": stored_total, "mismatched_users": len(mismatched),
            "ok": sent_total == stored_total and not mismatched, "examples": mismatched[:5]}


def served_version(store: Store, rasa_url: str, sender: str, timeout: float = 120.0) -> str | None:
    """Ask the live bot for recommendations once; the model version its logged request names."""
    with httpx.Client(base_url=rasa_url.rstrip("/"), timeout=timeout) as client:
        response = client.post(WEBHOOK, json={"sender": sender, "message": ASK_TEXT})
    response.raise_for_status()
    for message in response.json():
        custom = message.get("custom") or {}
        if custom.get("type") == "recommendations" and custom.get("request_id"):
            return store.request_model_version(str(custom["request_id"]))
    return None


def wait_until_served(
    store: Store, rasa_url: str, sender: str, version: str, timeout: float = 120.0, every: float = 2.0
) -> tuple[bool, str | None, float]:
    """Poll the live bot until a recommendation is answered by `version` (the action server looks for
    new versions every `model_check_seconds` and swaps in the background)."""
    started = time.monotonic()
    seen = None
    while time.monotonic() - started < timeout:
        seen = served_version(store, rasa_url, sender)
        if seen == version:
            return True, seen, time.monotonic() - started
        time.sleep(every)
    return False, seen, time.monotonic() - started


def new_run_id() -> str:
    """A short unique id for the senders of one run."""
    return uuid.uuid4().hex[:8]
