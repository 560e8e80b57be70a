"""Importing the actions package must stay cheap: rasa-sdk imports it in every worker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("torch", "transformers", "sentence_transformers", "sqlalchemy", "numpy", "recommender.service")

CHECK = f"""
import importlib, json, pkgutil, sys
import recommender.actions
for module in pkgutil.iter_modules(recommender.actions.__path__, "recommender.actions."):
    importlib.import_module(module.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r} or m in {HEAVY!r})))
"""


def test_importing_actions_loads_no_heavy_modules():
    out = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"importing actions pulled in {loaded}"


def test_rasa_sdk_registers_exactly_our_actions():
    code = (
        "from rasa_sdk.executor import ActionExecutor\n"
        "e = ActionExecutor()\n"
        "e.register_package('recommender.actions')\n"
        "print(sorted(e.actions))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == str(sorted([
        "action_confirm_forget", "action_explain", "action_fallback", "action_forget_me", "action_recommend",
        "action_record_feedback", "action_refine", "action_show_saved",
    ]))
