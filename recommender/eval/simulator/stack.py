"""`--start-stack`: a fresh stack on loopback for one simulation, started the way the benchmarks do.

Reuses `benchmarks/_stack.py`'s `LiveStack` (fresh MovieLens 100K SQLite database, action server,
Rasa on free ports, LLM off unless RECSYS_LLM_BACKEND names one), loaded by path because
`benchmarks/` is not a package.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from recommender.config import PROJECT_ROOT
from recommender.eval.simulator.catalog import SimulatorError


@contextmanager
def started_stack(workdir: Path) -> Iterator[str]:
    """Start the stack under `workdir`, yield its Rasa URL, stop it."""
    path = PROJECT_ROOT / "benchmarks" / "_stack.py"
    spec = importlib.util.spec_from_file_location("_recommender_bench_stack", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise SimulatorError(f"{path} not found: --start-stack needs the repository checkout")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stack = module.LiveStack(workdir)
    try:
        stack.__enter__()  # stops what it started when it fails
    except (RuntimeError, SystemExit, subprocess.CalledProcessError) as exc:
        raise SimulatorError(f"could not start the stack: {exc} (logs under {workdir})") from None
    try:
        yield str(stack.rasa_url)
    finally:
        stack.stop()


def commit() -> str:
    """The checkout's short commit, "+dirty" when the working tree differs from it (the stack runs
    the working tree), for the report."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}+dirty" if dirty else sha


def relative(path: Path) -> str:
    """`path` relative to the repository when it is inside it (reports name no home folders)."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def rasa_model() -> str:
    """The Rasa model the stack serves (RASA_MODEL, else the one `make rasa-model` trains)."""
    return os.environ.get("RASA_MODEL", "models/recommender.tar.gz")
