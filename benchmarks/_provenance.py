"""What a benchmark result was measured on: the commit, uncommitted changes to the code, the machine's load.

Every results file records this, so a number can be traced to the code that produced it and a
result taken before a change is recognisable as such.
"""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()


def cpu_model() -> str:
    """The processor's name: the same code and seed can train to slightly different models on another CPU."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def provenance(*paths: str) -> dict[str, Any]:
    """Commit, files under `paths` (default recommender/ and benchmarks/) that differ from it, Python, CPU, load, date."""
    watched = paths or ("recommender", "benchmarks")
    changed = _git("status", "--porcelain", "--untracked-files=no", *watched).splitlines()
    return {
        "commit": _git("rev-parse", "--short", "HEAD") or "unknown",
        "uncommitted": changed,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
    }


def commit_label(info: dict[str, Any]) -> str:
    """`abc1234`, or `abc1234 + uncommitted changes` when the code differed from the commit."""
    return info["commit"] + (" + uncommitted changes" if info["uncommitted"] else "")
