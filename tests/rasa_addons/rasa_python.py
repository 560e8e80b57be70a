"""Run a script in Rasa's own Python (3.10, `.venv-rasa`), where the channels of rasa_addons/ live:
the tests here are Python 3.11 and cannot import Rasa."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = REPO_ROOT / ".venv-rasa" / "bin" / "python"


def run_in_rasa(script: str, env: dict[str, str]) -> dict[str, Any]:
    """The JSON object the script prints last, run from the repository root with `env` added."""
    if not RASA_PYTHON.exists():
        pytest.fail(f"Rasa's venv not found at {RASA_PYTHON}: run `make setup`", pytrace=False)
    done = subprocess.run([str(RASA_PYTHON), "-c", script], cwd=REPO_ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "RASA_TELEMETRY_ENABLED": "false", **env},
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report
