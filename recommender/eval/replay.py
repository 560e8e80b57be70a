"""Replay: MovieLens interactions the models never saw, sent as real feedback through Rasa's REST webhook.

Proof that the feedback loop learns. Users of ml-latest-small (never in the MovieLens 100K
models) are mapped onto the 100K catalog by title and year. Per user, the ratings are split by
time: the older part is **replayed** as a user would give it in a chat, the newest part is
**held out** (its items rated >= `like_threshold` are what a good recommender should find).

One replayed user is one conversation (sender `replay-<run>-<user>`) over
`POST /webhooks/rest/webhook`:
  "recommend me a movie, surprise me"  -> the bot's list (asked again every `ask_every` events)
  an item of that list the data says they rated -> a click first (they opened it)
  each replayed rating, oldest first -> the bot's own button payloads:
     >= like_threshold: `/feedback{"item_id":"50","kind":"like"}`
     <= dislike_below:  `/feedback{"item_id":"50","kind":"dislike"}`
     otherwise:         `/feedback{"item_id":"50","kind":"rating","rating":"3.5"}`
Afterwards every sent feedback event is checked against `feedback_events` (same items, kinds and
values, in order, under the user's pseudonymous id): sent == stored, or the run fails.

`measure` computes held-out NDCG@10 and hit rate@10 of the replayed users with what the service
would serve them right now: the newest published model version (or the popularity/kNN
fallback before the first publish), their stored profile, the service's own ranking. It runs
the real `RecommenderService` in this process on the same database, with turn logging switched
off so that measuring adds nothing to the log the retrain job reads.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from recommender import feedback as fb
from recommender.config import Settings
from recommender.errors import DataSourceError, RecommenderError
from recommender.identity import pseudonymous_id
from recommender.store.repository import Store
from recommender.types import Item

logger = logging.getLogger(__name__)

ASK_TEXT = "recommend me a movie, surprise me"  # a list at once: a vague opener alone gets a question
WEBHOOK = "/webhooks/rest/webhook"
_TITLE_YEAR = re.compile(r"\s*\((\d{4})\)\s*$")
_ARTICLE = re.compile(r"^(.*), (the|a|an|les|la|le|il|das|der|die|el)$", re.IGNORECASE)


class ReplayError(RecommenderError):
    """The replay could not run or its checks failed (the message says which)."""


@dataclass(frozen=True)
class ReplayEvent:
    """One rating of the source data, on a catalog item."""

    item_id: str
    rating: float
    timestamp: float


@dataclass(frozen=True)
class ReplayUser:
    """A source user: the events to replay (oldest first) and the held-out relevant items."""

    source_id: str
    events: tuple[ReplayEvent, ...]
    held_out: frozenset[str]
    sender: str = ""


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


# -- source data ---------------------------------------------------------------------------------
def title_key(title: str) -> tuple[str, int | None]:
    """'American President, The (1995)' -> ('the american president', 1995): how both MovieLens
    releases spell a title, normalised so they can be joined."""
    year = None
    match = _TITLE_YEAR.search(title)
    if match:
        year = int(match.group(1))
        title = title[: match.start()]
    title = title.strip()
    # "Seven (Se7en)" / "City of Lost Children, The (Cité des enfants perdus, La)": drop the aka part
    title = re.sub(r"\s*\([^)]*\)\s*$", "", title).strip() or title
    article = _ARTICLE.match(title)
    if article:
        title = f"{article.group(2)} {article.group(1)}"
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip(), year


def map_to_catalog(source_titles: dict[str, str], items: Sequence[Item]) -> dict[str, str]:
    """source movie id -> catalog item id, where the normalised title and the year agree (unique)."""
    by_key: dict[tuple[str, int | None], list[str]] = {}
    for item in items:
        key = title_key(item.title)
        by_key.setdefault((key[0], key[1] or item.year), []).append(item.item_id)
    mapping = {}
    for movie_id, title in source_titles.items():
        found = by_key.get(title_key(title), [])
        if len(found) == 1:
            mapping[movie_id] = found[0]
    return mapping


def load_ml_latest_small_users(
    folder: Path,
    items: Sequence[Item],
    *,
    n_users: int,
    seed: int,
    holdout: float = 0.2,
    min_events: int = 10,
    max_events: int = 30,
    like_threshold: float = 4.0,
) -> list[ReplayUser]:
    """`n_users` users of ml-latest-small (a seeded sample of those with >= `min_events` ratings on
    catalog items and at least one liked held-out item); each replays at most `max_events` of its
    older ratings (the most recent ones before the held-out part)."""
    import pandas as pd

    movies_path, ratings_path = folder / "movies.csv", folder / "ratings.csv"
    for path in (movies_path, ratings_path):
        if not path.is_file():
            raise DataSourceError(f"{path} not found; set RECSYS_SHARED_DATA_DIR to the folder holding ml-latest-small")
    movies = pd.read_csv(movies_path, dtype={"movieId": str, "title": str})
    mapping = map_to_catalog(dict(zip(movies["movieId"], movies["title"], strict=True)), items)
    if not mapping:
        raise DataSourceError("no ml-latest-small movie matches a catalog title; is MovieLens 100K ingested?")
    ratings = pd.read_csv(ratings_path, dtype={"userId": str, "movieId": str})
    ratings = ratings[ratings["movieId"].isin(mapping)]
    ratings = ratings.assign(item_id=ratings["movieId"].map(mapping)).sort_values(["userId", "timestamp", "item_id"])
    users: list[ReplayUser] = []
    for user, frame in ratings.groupby("userId", sort=True):
        frame = frame.drop_duplicates("item_id", keep="last")
        if len(frame) < min_events:
            continue
        cut = len(frame) - max(1, round(len(frame) * holdout))
        replayed, held = frame.iloc[:cut], frame.iloc[cut:]
        liked = frozenset(held.loc[held["rating"] >= like_threshold, "item_id"]) - set(replayed["item_id"])
        if not liked:
            continue
        events = tuple(
            ReplayEvent(str(i), float(r), float(t))
            for i, r, t in zip(replayed["item_id"], replayed["rating"], replayed["timestamp"], strict=True)
        )[-max_events:]
        users.append(ReplayUser(str(user), events, liked))
    random.Random(seed).shuffle(users)
    return sorted(users[:n_users], key=lambda u: int(u.source_id) if u.source_id.isdigit() else 0)


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


def with_senders(users: Sequence[ReplayUser], run_id: str) -> list[ReplayUser]:
    """Give every user a unique sender id for this run (a re-run never mixes with an old one)."""
    return [replace(u, sender=f"replay-{run_id}-{u.source_id}") for u in users]


def verify_stored(store: Store, secret: str, sent: dict[str, list[SentFeedback]]) -> dict[str, Any]:
    """Compare every sender's sent feedback with its `feedback_events` rows, in order."""
    stored_total = 0
    sent_total = 0
    mismatched: list[str] = []
    for sender, events in sent.items():
        rows = store.user_feedback(pseudonymous_id(sender, secret))
        stored_total += len(rows)
        sent_total += len(events)
        expected = [(e.item_id, e.kind, e.value) for e in events]
        got = [(item, kind, None if value is None else float(value)) for item, kind, value in rows]
        if expected != got:
            mismatched.append(sender)
    return {"sent": sent_total, "stored": stored_total, "mismatched_users": len(mismatched),
            "ok": sent_total == stored_total and not mismatched, "examples": mismatched[:5]}


# -- measuring -----------------------------------------------------------------------------------
class _UnloggedStore(Store):
    """The store with turn logging switched off: measuring must not add impressions to the log."""

    def log_recommendation(self, **kwargs: Any) -> None:  # type: ignore[override]
        return None

    def ensure_user_session(self, user_id: str, session_id: str | None) -> None:
        return None


def measure(settings: Settings, users: Sequence[ReplayUser], k: int = 10) -> dict[str, Any]:
    """Held-out NDCG@k and hit rate@k of `users` with the model version the service serves now.

    A fresh `RecommenderService` on the same database: the newest published version (or the
    fallback ranking before the first), the users' stored feedback as their profile, and the
    service's own filters and ranking; exactly `k` items per user (the Markov policy that may
    change the list length is not consulted here).
    """
    from recommender.eval.metrics import hit_rate_at_k_sets, ndcg_at_k_sets
    from recommender.service import RecommenderService
    from recommender.types import ConversationContext

    class _FixedK(RecommenderService):
        def _policy_decision(self, bundle: Any, session_id: str) -> None:
            return None

    started = time.perf_counter()
    service = _FixedK(_UnloggedStore(settings.resolved_database_url), settings.model_copy(update={"default_k": k}))
    ranked: list[list[str]] = []
    for user in users:
        result = service.recommend(ConversationContext(user=user.sender, text=ASK_TEXT))
        ranked.append([ri.item.item_id for ri in result.items])
    relevant: list[set[object]] = [set(u.held_out) for u in users]
    per_user = [ndcg_at_k_sets([r], [w], k) for r, w in zip(ranked, relevant, strict=True)]
    return {
        "model_version": service.bundle.version,
        "learned_model": service.bundle.preference is not None,
        "users": len(users),
        f"ndcg@{k}": round(ndcg_at_k_sets(ranked, relevant, k), 4),
        f"ndcg@{k}_se": round(float(np.std(per_user, ddof=1) / np.sqrt(len(per_user))), 4) if len(per_user) > 1
        else None,
        f"hit_rate@{k}": round(hit_rate_at_k_sets(ranked, relevant, k), 4),
        "seconds": round(time.perf_counter() - started, 1),
        "per_user_ndcg": [round(x, 5) for x in per_user],
    }


def paired_difference(after: dict[str, Any], before: dict[str, Any]) -> dict[str, float | int]:
    """Mean per-user NDCG difference of two `measure` results on the same users, with its standard error."""
    a, b = np.asarray(after["per_user_ndcg"]), np.asarray(before["per_user_ndcg"])
    diff = a - b
    se = float(np.std(diff, ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")
    return {"mean": round(float(diff.mean()), 4), "se": round(se, 4), "users": len(diff),
            "better": int((diff > 0).sum()), "worse": int((diff < 0).sum())}


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
