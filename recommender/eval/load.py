"""Load on the running bot: N concurrent multi-turn conversations over Rasa's REST webhook.

Each conversation is a person's visit, with real button presses, then the next visit as a new
person (a new sender id):

    "recommend me a <genre> from the <decade>"   (recommend)
    a critique: "something older", "funnier" ... (refine)
    the 👍 button of the first item               (feedback: the card's `/feedback{...}` payload)
    the "Other options" button                   (other: `/refine{"refinement":"other options"}`)

with a think time between a reply and the next message (uniform in [0.5, 1.5] x `think_s`; 0 is a
saturation test). Bounded in conversations (<= 1,000) and time (<= 1 hour), loopback only.

Measured: turns per second, p50/p95/p99 per turn kind, errors (transport, HTTP != 200, empty reply,
the bot's "something went wrong", a recommendation turn without items), where the time goes (the
action server's own histogram of each action, scraped from its `/metrics` before and after: what
is left of a turn is Rasa, NLU and policies and the HTTP between them), and every 👍 sent compared
with the rows stored (`recommender.eval.replay.verify_stored`).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from recommender import feedback as fb
from recommender.errors import RecommenderError
from recommender.eval.replay import SentFeedback
from recommender.eval.simulator.client import check_loopback

WEBHOOK = "/webhooks/rest/webhook"
MAX_CONVERSATIONS = 1000
MAX_DURATION_S = 3600.0
FAILURE_TEXTS = ("something went wrong",)
GENRES = ("comedy", "drama", "thriller", "romance", "action movie", "sci-fi film", "horror film", "documentary",
          "animation", "crime movie", "western", "musical", "war film", "mystery", "adventure")
DECADES = ("the 50s", "the 60s", "the 70s", "the 80s", "the 90s")
ASKS = ("recommend me a {genre} from {decade}", "any good {genre} from {decade}?",
        "I'd like to watch a {genre} from {decade}", "show me a {genre} from {decade}")
CRITIQUES = ("something older", "more recent please", "funnier", "something darker", "less violent",
             "shorter and lighter", "more popular ones", "something less known")
OTHER_OPTIONS = '/refine{"refinement":"other options"}'
# turn kind -> the custom action that answers it (the stage the action server measures)
ACTION_OF_KIND = {"recommend": "action_recommend", "refine": "action_refine", "feedback": "action_record_feedback",
                  "other": "action_refine"}
QUANTILES = (0.5, 0.95, 0.99)


class LoadError(RecommenderError):
    """The load run cannot start (bad bounds, no server)."""


@dataclass(frozen=True)
class Turn:
    """One message and its answer."""

    kind: str
    started: float  # seconds since the run started
    seconds: float
    ok: bool
    error: str | None = None


@dataclass
class LoadRun:
    """What happened: every turn, and every 👍 sent (per sender) for the stored-vs-sent check."""

    turns: list[Turn] = field(default_factory=list)
    sent: dict[str, list[SentFeedback]] = field(default_factory=dict)
    conversations: int = 0
    visits: int = 0
    seconds: float = 0.0


def quantile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (linear interpolation between order statistics), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary(seconds: Sequence[float]) -> dict[str, Any]:
    """count, mean and p50/p95/p99 in seconds (3 decimals)."""
    out: dict[str, Any] = {"count": len(seconds), "mean": round(sum(seconds) / len(seconds), 3) if seconds else None}
    for q in QUANTILES:
        value = quantile(seconds, q)
        out[f"p{int(q * 100)}"] = None if value is None else round(value, 3)
    return out


def _failure(status: int, body: Any, kind: str) -> str | None:
    """Why this answer is a failure, or None."""
    if status != 200:
        return f"HTTP {status}"
    if not isinstance(body, list) or not body:
        return "empty reply"
    text = " ".join(str(m.get("text") or "") for m in body if isinstance(m, dict)).lower()
    if any(phrase in text for phrase in FAILURE_TEXTS):
        return "the bot's fallback"
    if kind in ("recommend", "other") and not _first_item(body) and not _asked(body):
        return "no items"
    return None


def _first_item(body: Any) -> str | None:
    for message in body if isinstance(body, list) else []:
        custom = message.get("custom") if isinstance(message, dict) else None
        if isinstance(custom, dict) and custom.get("type") == "recommendations" and custom.get("items"):
            return str(custom["items"][0]["item_id"])
    return None


def _asked(body: Any) -> bool:
    """A question instead of a list (a legitimate answer to a vague request)."""
    return any(isinstance(m, dict) and isinstance(m.get("custom"), dict) and m["custom"].get("type") == "question"
               for m in body if isinstance(body, list))


class LoadDriver:
    """Runs the conversations against one Rasa server."""

    def __init__(self, rasa_url: str, *, conversations: int, duration_s: float, think_s: float = 5.0,
                 seed: int = 42, timeout_s: float = 120.0, rest_token: str | None = None,
                 run_id: str | None = None) -> None:
        if not 1 <= conversations <= MAX_CONVERSATIONS:
            raise LoadError(f"--conversations {conversations}: between 1 and {MAX_CONVERSATIONS}")
        if not 0 < duration_s <= MAX_DURATION_S:
            raise LoadError(f"--duration {duration_s:g}: more than 0 and at most {MAX_DURATION_S:g} seconds")
        if think_s < 0:
            raise LoadError(f"--think {think_s:g}: not negative")
        self.rasa_url = check_loopback(rasa_url)
        self.conversations = conversations
        self.duration_s = duration_s
        self.think_s = think_s
        self.seed = seed
        self.timeout_s = timeout_s
        self.headers = {"Authorization": f"Bearer {rest_token}"} if rest_token else {}
        self.run_id = run_id or uuid.uuid4().hex[:8]

    async def _post(self, client: httpx.AsyncClient, sender: str, text: str, kind: str,
                    run: LoadRun, t0: float) -> Any:
        started = time.perf_counter()
        try:
            response = await client.post(WEBHOOK, json={"sender": sender, "message": text}, headers=self.headers)
            body = response.json() if response.status_code == 200 else None
            error = _failure(response.status_code, body, kind)
        except (httpx.HTTPError, ValueError) as exc:
            body, error = None, f"{exc.__class__.__name__}"
        run.turns.append(Turn(kind, started - t0, time.perf_counter() - started, error is None, error))
        return body

    async def _think(self, rng: random.Random) -> None:
        if self.think_s > 0:
            await asyncio.sleep(self.think_s * rng.uniform(0.5, 1.5))

    async def _conversation(self, number: int, client: httpx.AsyncClient, run: LoadRun, t0: float,
                            deadline: float) -> None:
        rng = random.Random(self.seed * 100_003 + number)
        await asyncio.sleep(rng.uniform(0, min(self.think_s, 5.0)))  # people do not all arrive at once
        visit = 0
        while time.perf_counter() < deadline:
            sender = f"load-{self.run_id}-{number}-{visit}"
            visit += 1
            run.visits += 1
            ask = rng.choice(ASKS).format(genre=rng.choice(GENRES), decade=rng.choice(DECADES))
            last: Any = None
            for kind in ("recommend", "refine", "feedback", "other"):
                if time.perf_counter() >= deadline:
                    return
                text = self._message(kind, ask, last, rng)
                if text is None:
                    continue  # nothing to like: the last answer had no items
                body = await self._post(client, sender, text, kind, run, t0)
                if kind == "feedback" and body is not None:
                    item = json.loads(text[len("/feedback"):])["item_id"]
                    run.sent.setdefault(sender, []).append(SentFeedback(item, fb.LIKE, None, text))
                if kind != "feedback":
                    last = body
                await self._think(rng)

    @staticmethod
    def _message(kind: str, ask: str, last: Any, rng: random.Random) -> str | None:
        """What the person sends for this step of the visit (None: nothing to press)."""
        if kind == "recommend":
            return ask
        if kind == "refine":
            return rng.choice(CRITIQUES)
        if kind == "feedback":
            item = _first_item(last)
            return None if item is None else "/feedback" + json.dumps({"item_id": item, "kind": fb.LIKE},
                                                                      separators=(",", ":"))
        return OTHER_OPTIONS

    async def run_async(self) -> LoadRun:
        """Probe the server, then run every conversation until the time is up."""
        run = LoadRun(conversations=self.conversations)
        limits = httpx.Limits(max_connections=self.conversations + 4, max_keepalive_connections=self.conversations)
        async with httpx.AsyncClient(base_url=self.rasa_url, timeout=self.timeout_s, limits=limits) as client:
            try:
                probe = await client.get("/", timeout=5.0)
            except httpx.HTTPError as exc:
                raise LoadError(f"the Rasa server at {self.rasa_url} is unreachable ({exc.__class__.__name__}); "
                                "start it with `make run`") from None
            if probe.status_code != 200:
                raise LoadError(f"the Rasa server at {self.rasa_url} answered HTTP {probe.status_code} on /")
            t0 = time.perf_counter()
            deadline = t0 + self.duration_s
            await asyncio.gather(*(self._conversation(n, client, run, t0, deadline) for n in range(self.conversations)))
            run.seconds = time.perf_counter() - t0
        return run

    def run(self) -> LoadRun:
        """Run every conversation until the time is up (the last turns finish after it)."""
        return asyncio.run(self.run_async())


# -- where the time goes: the action server's histograms ------------------------------------------

Buckets = dict[str, list[tuple[float, float]]]  # action -> [(upper bound, cumulative count)]


def scrape_action_histograms(action_url: str, token: str | None, timeout: float = 10.0) -> tuple[Buckets, dict[str, float]]:
    """`recsys_action_latency_seconds` from the action servers' /metrics (`action_url` may name several,
    comma-separated: replicas are added up): cumulative buckets and sums per action, every outcome together."""
    from prometheus_client.parser import text_string_to_metric_families

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    texts = []
    for url in (u.strip() for u in action_url.split(",") if u.strip()):
        response = httpx.get(f"{check_loopback(url)}/metrics", headers=headers, timeout=timeout)
        if response.status_code != 200:
            raise LoadError(f"{url}/metrics answered HTTP {response.status_code} (is RECSYS_ACTION_TOKEN set?)")
        texts.append(response.text)
    buckets: dict[str, dict[float, float]] = {}
    sums: dict[str, float] = {}
    for family in (f for text in texts for f in text_string_to_metric_families(text)):
        if family.name != "recsys_action_latency_seconds":
            continue
        for sample in family.samples:
            action = sample.labels.get("action", "")
            if sample.name.endswith("_bucket"):
                bound = float(sample.labels["le"])
                buckets.setdefault(action, {})
                buckets[action][bound] = buckets[action].get(bound, 0.0) + sample.value
            elif sample.name.endswith("_sum"):
                sums[action] = sums.get(action, 0.0) + sample.value
    return {a: sorted(b.items()) for a, b in buckets.items()}, sums


def _bucket_quantile(cumulative: Sequence[tuple[float, float]], q: float) -> float | None:
    """Prometheus' histogram_quantile: linear within the bucket that holds the q-th observation."""
    total = cumulative[-1][1] if cumulative else 0.0
    if total <= 0:
        return None
    rank = q * total
    previous_bound, previous_count = 0.0, 0.0
    for bound, count in cumulative:
        if count >= rank:
            if math.isinf(bound):
                return previous_bound
            inside = count - previous_count
            return previous_bound + (bound - previous_bound) * ((rank - previous_count) / inside if inside else 1.0)
        previous_bound, previous_count = bound, count
    return previous_bound


def action_stages(before: tuple[Buckets, dict[str, float]], after: tuple[Buckets, dict[str, float]]) -> dict[str, Any]:
    """Per action, what this run added: count, mean, p50/p95/p99 (from the buckets, Prometheus-style)."""
    stages: dict[str, Any] = {}
    for action, cumulative in after[0].items():
        earlier = dict(before[0].get(action, []))
        delta = [(bound, count - earlier.get(bound, 0.0)) for bound, count in cumulative]
        total = delta[-1][1] if delta else 0.0
        if total <= 0:
            continue
        seconds = after[1].get(action, 0.0) - before[1].get(action, 0.0)
        stage: dict[str, Any] = {"count": int(total), "mean": round(seconds / total, 3)}
        for q in QUANTILES:
            value = _bucket_quantile(delta, q)
            stage[f"p{int(q * 100)}"] = None if value is None else round(value, 3)
        stages[action] = stage
    return stages


def summarize(run: LoadRun, stages: Mapping[str, Any] | None = None,
              stored: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report: throughput, latency per kind, errors by reason, the stages, sent vs stored."""
    ok = [t for t in run.turns if t.ok]
    errors: dict[str, int] = {}
    for turn in run.turns:
        if not turn.ok:
            errors[str(turn.error)] = errors.get(str(turn.error), 0) + 1
    kinds = sorted({t.kind for t in run.turns})
    per_kind = {kind: latency_summary([t.seconds for t in run.turns if t.kind == kind]) for kind in kinds}
    report: dict[str, Any] = {
        "conversations": run.conversations, "visits": run.visits, "seconds": round(run.seconds, 1),
        "turns": len(run.turns), "turns_ok": len(ok), "errors": sum(errors.values()), "errors_by_reason": errors,
        "turns_per_second": round(len(run.turns) / run.seconds, 2) if run.seconds else 0.0,
        "latency": latency_summary([t.seconds for t in run.turns]), "latency_by_kind": per_kind,
        "feedback_sent": sum(len(v) for v in run.sent.values()),
    }
    if stages is not None:
        report["action_server"] = dict(stages)
        rasa: dict[str, Any] = {}
        for kind in kinds:
            action = stages.get(ACTION_OF_KIND.get(kind, ""))
            turn_mean = per_kind[kind]["mean"]
            if action and turn_mean is not None:
                # the action's mean over every kind that runs it (refine and "other" share action_refine)
                rasa[kind] = {"turn_mean": turn_mean, "action_mean": action["mean"],
                              "rest_of_turn_mean": round(max(0.0, turn_mean - action["mean"]), 3)}
        report["where_the_time_goes"] = rasa
    if stored is not None:
        report["feedback_stored"] = dict(stored)
    return report


def markdown(report: Mapping[str, Any], title: str = "Load") -> str:
    """A short table of the report."""
    lines = [f"### {title}", "",
             f"{report['conversations']} conversations, {report['seconds']} s: {report['turns']} turns, "
             f"**{report['turns_per_second']} turns/s**, {report['errors']} errors, "
             f"{report['feedback_sent']} 👍 sent"
             + (f", {report['feedback_stored']['stored']} stored" if "feedback_stored" in report else "") + ".", "",
             "| turn | count | mean s | p50 s | p95 s | p99 s | action server mean s | rest of turn mean s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    where = report.get("where_the_time_goes") or {}
    rows = [("all", report["latency"]), *sorted(report["latency_by_kind"].items())]
    for kind, lat in rows:
        split = where.get(kind, {})
        lines.append(f"| {kind} | {lat['count']} | {lat['mean']} | {lat['p50']} | {lat['p95']} | {lat['p99']} | "
                     f"{split.get('action_mean', '')} | {split.get('rest_of_turn_mean', '')} |")
    return "\n".join(lines) + "\n"
