"""The follow-up queue is bounded (the oldest not started is dropped, and counted), and a follow-up
for a user who said "forget me" after the turn is never sent.

A backend held at a closed gate keeps the two LLM workers busy, so the backlog builds up exactly as
it does when push turns come faster than the model writes.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from llm_helpers import CATALOG, HANG_CEILING_S, ScriptedBackend, chat_completion, wait_until

from recommender.config import Settings
from recommender.llm import Deadline, ExplainItem, FollowUp, LLMPipeline, QuerySummary
from recommender.llm.followup import FollowUpBacklog
from recommender.llm.metrics import COUNTERS, LLMCounters, PrometheusCollector
from recommender.observability.metrics import exposition
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.types import ConversationContext

QUERY = QuerySummary(request="something funny from the 90s", understood="comedy from 1990-1999", genres=("comedy",))
ITEMS = [ExplainItem(item, f"template reason {item.item_id}") for item in CATALOG[:3]]
GOOD = json.dumps({"reply": "Three funny picks.", "reasons": {i.item.item_id: "A comedy, as you asked" for i in ITEMS}})


def test_the_backlog_keeps_the_newest_follow_ups_and_counts_the_dropped_oldest(
    tmp_path: Path, gate: threading.Event
) -> None:
    counters = LLMCounters()
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="llm-test")
    settings = Settings(var_dir=tmp_path, llm_backend="none", llm_timeout_s=HANG_CEILING_S,
                        llm_followup_max_backlog=3)
    llm = LLMPipeline(settings, ScriptedBackend(GOOD, gate=gate), counters=counters, executor=executor)
    delivered: list[str | None] = []
    sizes: list[int] = []

    def sink(followup: FollowUp) -> None:
        delivered.append(followup.request_id)

    for n in range(8):  # eight push turns while the model is busy with the first two
        llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v", request_id=f"r{n}",
                    deadline=Deadline.after_ms(50), on_followup=sink)
        sizes.append(len(llm.followups))
    assert max(sizes) <= 3
    assert counters.get("followup", "dropped_oldest") == 5  # r2..r6, each dropped for a newer one
    gate.set()
    wait_until(lambda: len(delivered) == 3, "the kept follow-ups were not delivered")
    executor.shutdown(wait=True)
    assert sorted(delivered) == ["r0", "r1", "r7"]  # the two already running, and the newest
    assert counters.get("followup", "sent") == 3
    collected = {(s.labels["event"], s.labels["reason"]): s.value
                 for family in PrometheusCollector(counters).collect() for s in family.samples}
    assert collected[("followup", "dropped_oldest")] == 5


def test_dropped_follow_ups_are_in_the_action_servers_metrics(gate: threading.Event) -> None:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llm-test")
    backlog = FollowUpBacklog(2, lambda: COUNTERS)
    before = COUNTERS.get("followup", "dropped_oldest")
    running = executor.submit(gate.wait, HANG_CEILING_S)
    queued, newest = executor.submit(lambda: None), executor.submit(lambda: None)
    assert backlog.add(running, "a") and backlog.add(queued, "b") and backlog.add(newest, "c")
    assert queued.cancelled() and not newest.cancelled() and len(backlog) == 2
    gate.set()
    executor.shutdown(wait=True)
    line = f'recsys_llm_events_total{{event="followup",reason="dropped_oldest"}} {float(before + 1)}'
    assert line in exposition().decode()


def test_with_every_other_entry_running_the_newest_is_refused(tmp_path: Path, gate: threading.Event) -> None:
    counters = LLMCounters()
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="llm-test")
    settings = Settings(var_dir=tmp_path, llm_backend="none", llm_timeout_s=HANG_CEILING_S,
                        llm_followup_max_backlog=1)
    llm = LLMPipeline(settings, ScriptedBackend(GOOD, gate=gate), counters=counters, executor=executor)
    delivered: list[str | None] = []
    results = [
        llm.explain(QUERY, ITEMS, catalog=CATALOG, catalog_version="v", request_id=f"r{n}",
                    deadline=Deadline.after_ms(50), on_followup=lambda f: delivered.append(f.request_id))
        for n in range(3)
    ]
    assert [r.pending for r in results] == [True, False, False]
    assert counters.get("followup", "refused_backlog_full") + counters.get("followup", "dropped_oldest") == 2
    gate.set()
    executor.shutdown(wait=True)
    assert "r0" in delivered and "r2" not in delivered


# -- "forget me" after the turn ----------------------------------------------------------------------
CANDIDATE = re.compile(r"^id=(\S+) \| ([^|]+) \| (\S+) \| ([^|]+) \|", re.MULTILINE)


def grounded_when_open(gate: threading.Event) -> Callable[[str, str, dict[str, Any] | None], Any]:
    """An OpenAI-style server that writes grounded reasons, but only once `gate` opens."""

    def handle(method: str, path: str, body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        assert body is not None
        found = CANDIDATE.findall(body["messages"][-1]["content"])
        if '"ranking"' in body["messages"][0]["content"]:
            return 200, {}, chat_completion(json.dumps({"ranking": [c[0] for c in found]}))
        gate.wait(HANG_CEILING_S)
        reasons = {i: f"A {genres.split(',')[0].strip().lower()} from {year}" for i, _, year, genres in found}
        return 200, {}, chat_completion(json.dumps({"reply": "Here you go.", "reasons": reasons}))

    return handle


@pytest.mark.parametrize("where", ["this process", "another process"])
def test_a_follow_up_for_a_user_forgotten_after_the_turn_is_never_sent(
    where: str, llm_service: Callable[..., RecommenderService], loopback_server: Any, store: Store,
    gate: threading.Event,
) -> None:
    server = loopback_server(grounded_when_open(gate))
    service = llm_service(f"{server.url}/v1", turn_budget_ms=600, llm_timeout_s=HANG_CEILING_S, llm_rerank=False)
    alice = ConversationContext(user="alice", text="a funny movie from the 90s")
    sent: list[FollowUp] = []
    result = service.recommend(alice, on_followup=sent.append)
    assert result.items and not sent
    if where == "this process":
        service.forget_user(alice)
    else:  # `python -m recommender forget` or another replica: only the database knows
        store.forget_user(service.user_id(alice))
    gate.set()
    wait_until(lambda: service.llm.counters.get("followup", "forgotten") == 1, "the follow-up was not withheld")
    assert sent == [] and service.llm.counters.get("followup", "sent") == 0


def test_a_follow_up_for_a_user_still_known_is_sent(
    llm_service: Callable[..., RecommenderService], loopback_server: Any, gate: threading.Event
) -> None:
    server = loopback_server(grounded_when_open(gate))
    service = llm_service(f"{server.url}/v1", turn_budget_ms=600, llm_timeout_s=HANG_CEILING_S, llm_rerank=False)
    sent: list[FollowUp] = []
    service.recommend(ConversationContext(user="bob", text="a funny movie from the 90s"), on_followup=sent.append)
    gate.set()
    wait_until(lambda: len(sent) == 1, "the follow-up never came")
    assert service.llm.counters.get("followup", "forgotten") == 0
