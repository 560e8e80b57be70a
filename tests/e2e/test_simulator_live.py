"""Simulated users against the live stack over REST: the bot must find a share of hidden targets
and never show an item the catalog does not have.

Uses the session's `stack` fixture (fresh MovieLens 100K database, both servers on loopback); the
yardstick runs on the same users in the same test, so a failure message shows both.
"""

from __future__ import annotations

import json
import os

import pytest

from recommender.config import get_settings
from recommender.eval.simulator.catalog import load_movielens100k_catalog
from recommender.eval.simulator.client import RestBot
from recommender.eval.simulator.run import SimConfig, simulate_pool

pytestmark = pytest.mark.e2e

USERS = int(os.environ.get("E2E_SIM_USERS", "20"))
SEED = 42
# SR@15 the live bot must reach on these 20 popular-pool users (seed 42). Measured on 2026-12-06 with
# the working tree of 2ef47e4 (LLM off, as in every e2e test): bot 0.95 (19/20, Wilson 95% 0.76-0.99,
# 5.3 turns on average), yardstick 1.0. Set below the interval's lower end so that noise does not fail
# it while a real regression in understanding does; raise it as the bot improves. The same users writing
# Chinese (phrasings_zh.py, issue 16) must reach the same bar: the 200-user runs measured 0.955 in
# English and 0.960 in Chinese (docs/chinese.md).
MIN_SR_AT_15 = 0.75


@pytest.mark.parametrize("phrasings", ["default", "zh"])
def test_simulated_users_find_their_targets(stack, phrasings: str) -> None:  # type: ignore[no-untyped-def]
    catalog = load_movielens100k_catalog(get_settings())
    bot = RestBot(stack.rasa_url)
    try:
        bot.probe()
        result = simulate_pool(bot, catalog, SimConfig(pool="popular", users=USERS, seed=SEED, concurrency=2,
                                                       progress=False, phrasings=phrasings))
    finally:
        bot.close()
    section = result.section
    shown = json.dumps({who: {k: section[who][k] for k in ("sr@5", "sr@10", "sr@15", "avg_turns_all",
                                                           "out_of_catalog", "violations", "errors")}
                        for who in ("bot", "yardstick")})
    failures = [d.as_dict() for d in result.bot if not d.success][:2]
    assert section["bot"]["errors"] == 0, f"HTTP errors: {shown}\n{stack.log_tails()}"
    assert section["bot"]["out_of_catalog"] == 0, shown
    assert section["bot"]["title_leaks"] == 0 and section["yardstick"]["title_leaks"] == 0, shown
    assert section["yardstick"]["sr@15"] >= 0.9, shown  # the user policy itself can reach its targets
    assert section["bot"]["sr@15"] >= MIN_SR_AT_15, (
        f"bot SR@15 {section['bot']['sr@15']} < {MIN_SR_AT_15}: {shown}\n"
        f"first failures: {json.dumps(failures, ensure_ascii=False)[:4000]}"
    )
