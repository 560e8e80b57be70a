"""rasa_addons/fast_load.py in Rasa's own Python: this bot's trained model loads with the eager
weight-building step and predicts exactly what Rasa's own (traced) load predicts.

Costly: it loads models/recommender.tar.gz twice, once the stock way (about 95 s on 2 cores).
"""

from __future__ import annotations

import pytest
from rasa_python import REPO_ROOT, run_in_rasa

pytestmark = pytest.mark.slow

MODEL = REPO_ROOT / "models" / "recommender.tar.gz"

SCRIPT = r"""
import asyncio, json, sys, time
import rasa_addons  # installs fast_load unless RECSYS_RASA_TRACED_LOAD=1
from rasa.core.agent import Agent
from rasa_addons import fast_load

started = time.perf_counter()
agent = Agent.load(sys.argv[1] if len(sys.argv) > 1 else "models/recommender.tar.gz")
seconds = time.perf_counter() - started
texts = ["hello", "recommend a western from the sixties", "nothing too scary, a comedy", "why the second one",
         "给我推荐一部九十年代的喜剧", "like Back to the Future", "rate the first one 4 stars"]

async def parse():
    out = []
    for text in texts:
        r = await agent.parse_message(text)
        out.append([r["intent"]["name"], round(r["intent"]["confidence"], 5),
                    sorted([e["entity"], e.get("role") or "", e["value"]] for e in r["entities"])])
    return out

print(json.dumps({"installed": fast_load._installed, "seconds": seconds, "parsed": asyncio.run(parse())}))
"""


def test_the_model_loads_without_tracing_and_predicts_the_same() -> None:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} not found: run `make rasa-model`", pytrace=False)
    fast = run_in_rasa(SCRIPT, {})
    stock = run_in_rasa(SCRIPT, {"RECSYS_RASA_TRACED_LOAD": "1"})
    assert fast["installed"] and not stock["installed"]
    assert fast["parsed"] == stock["parsed"]
    assert fast["parsed"][0][0] == "greet" and fast["parsed"][4][0] == "request_recommendation"
    print(f"load: {stock['seconds']:.1f} s traced, {fast['seconds']:.1f} s eager")  # timings are not asserted
