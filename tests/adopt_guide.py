"""docs/adopt.md as the tests run it: its `tested` blocks, read from the file, run in bash.

Importable from every test folder (`from adopt_guide import ...`). The wheel is built and
installed once per test session (the `installed_recommender` fixture in tests/conftest.py) by the
guide's own `build` and `install` blocks; tests/packaging checks that install, and
tests/e2e/test_adopt_stock_bot.py runs the rest of the guide on Rasa's stock bot with it.

What the blocks get from here, and nowhere else (`guide_env`):
  RECOMMENDER    a copy of this repository's package sources (pyproject.toml, README.md, recommender/,
                 requirements/app.txt), so the build writes nothing into the working tree
  PATH           `python3.11` (this interpreter's base Python) and the Rasa venv's `rasa` first
  PIP_FIND_LINKS /opt/wheels where it exists: the CPU build of torch (the guide tells users the
                 PyTorch CPU index instead, which this machine cannot reach)
  ports          the guide's 5055 (action server) and 5005 (Rasa) become free loopback ports
  RASA_CACHE_DIRECTORY
                 Rasa's own training cache, kept per machine (`rasa_training_cache`): the second run of
                 `rasa init` or `rasa train` on the same bot, config and data restores each component
                 Rasa finds unchanged by its fingerprints instead of training it again; the first run
                 on a machine trains everything (RECSYS_MODEL_CACHE=off: every run does)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
GUIDE = REPO_ROOT / "docs" / "adopt.md"
RASA_VENV = Path(os.environ.get("RASA_VENV", REPO_ROOT / ".venv-rasa"))
WHEELS_DIR = Path("/opt/wheels")
GUIDE_PORTS = {"action": 5055, "rasa": 5005}

_BLOCK = re.compile(r"<!-- tested: (?P<name>[\w-]+)[^>]*-->\s*```bash\n(?P<body>.*?)```", re.S)


def guide_blocks() -> dict[str, str]:
    """name -> shell text of every block of docs/adopt.md marked `<!-- tested: name -->`."""
    blocks = {m["name"]: m["body"] for m in _BLOCK.finditer(GUIDE.read_text(encoding="utf-8"))}
    for port in GUIDE_PORTS.values():
        assert any(str(port) in body for body in blocks.values()), f"docs/adopt.md no longer uses port {port}"
    return blocks


def with_ports(text: str, ports: dict[str, int] | None) -> str:
    """The guide's default ports replaced by `ports` ({"action": n, "rasa": m})."""
    for name, port in (ports or {}).items():
        text = re.sub(rf"\b{GUIDE_PORTS[name]}\b", str(port), text)
    return text


def rasa_training_cache() -> Path | None:
    """Where Rasa keeps trained components between the tests' runs on this machine (beside the bot's
    model cache of the Makefile, with the same switch); None when RECSYS_MODEL_CACHE is "off"."""
    setting = os.environ.get("RECSYS_MODEL_CACHE", "")
    if setting == "off":
        return None
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache_home / "recsys-rasa-training"


def _python311() -> str:
    base = getattr(sys, "_base_executable", sys.executable)
    if sys.version_info[:2] == (3, 11):
        return str(base)
    found = subprocess.run([str(REPO_ROOT / "scripts" / "find_python.sh"), "3.11"], capture_output=True,
                           text=True, check=True)
    return found.stdout.strip()


def guide_env(workdir: Path, source: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every block runs in (see the module docstring); `extra` is added last."""
    shims = workdir / "bin"
    shims.mkdir(parents=True, exist_ok=True)
    if not (shims / "python3.11").exists():
        (shims / "python3.11").symlink_to(_python311())
    # the recommender's settings are the guide's to make (a developer's RECSYS_DATABASE_URL must not leak
    # in), except the LLM backend tests/conftest.py chooses for every test
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("RECSYS_") or k == "RECSYS_LLM_BACKEND"}
    env = {
        **inherited,
        "PATH": os.pathsep.join([str(shims), str(RASA_VENV / "bin"), os.environ.get("PATH", "")]),
        "RECOMMENDER": str(source),
        "RASA_TELEMETRY_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    for key in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(key, None)  # the blocks choose their Python themselves
    if WHEELS_DIR.is_dir():
        env["PIP_FIND_LINKS"] = str(WHEELS_DIR)
    if (training_cache := rasa_training_cache()) is not None:
        training_cache.mkdir(parents=True, exist_ok=True)
        env["RASA_CACHE_DIRECTORY"] = str(training_cache)
    env.update(extra or {})
    return env


def run_block(name: str, cwd: Path, env: dict[str, str], ports: dict[str, int] | None = None,
              timeout: float = 1800) -> tuple[str, float]:
    """Run one tested block with bash (stop at the first failing command); its output and seconds."""
    script = with_ports(guide_blocks()[name], ports)
    started = time.monotonic()
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    seconds = time.monotonic() - started
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise AssertionError(f"docs/adopt.md block {name!r} failed (exit {done.returncode}) in {cwd}:\n"
                             f"{script}\n--- output (last 6000 chars) ---\n{output[-6000:]}")
    return done.stdout, seconds


def start_block(name: str, cwd: Path, env: dict[str, str], ports: dict[str, int], log: Path) -> subprocess.Popen[bytes]:
    """Start a server block in its own process group (stop it with `os.killpg`), output to `log`."""
    script = with_ports(guide_blocks()[name], ports)
    with log.open("wb") as out:
        return subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def copy_sources(dest: Path) -> Path:
    """What the wheel is built from, copied (the build writes build/ and *.egg-info beside it)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, dest / name)
    shutil.copytree(REPO_ROOT / "recommender", dest / "recommender", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (dest / "requirements").mkdir(exist_ok=True)
    shutil.copy2(REPO_ROOT / "requirements" / "app.txt", dest / "requirements" / "app.txt")
    return dest


@dataclass(frozen=True)
class InstalledRecommender:
    """The wheel built by the guide's `build` block and the venv its `install` block made."""

    source: Path  # $RECOMMENDER
    wheel: Path
    home: Path  # where `install` ran: `.venv-actions` is here
    env: dict[str, str]
    build_seconds: float
    install_seconds: float

    @property
    def venv(self) -> Path:
        return self.home / ".venv-actions"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def build_and_install(workdir: Path) -> InstalledRecommender:
    """Run the guide's `build` block on a copy of the sources, then its `install` block in `workdir/home`."""
    source = copy_sources(workdir / "source")
    env = guide_env(workdir, source)
    _, build_seconds = run_block("build", source, env, timeout=900)
    wheels = sorted((source / "dist").glob("rasa_recommender-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {source / 'dist'}, found {wheels}"
    home = workdir / "home"
    home.mkdir()
    _, install_seconds = run_block("install", home, env, timeout=1800)
    print(f"docs/adopt.md: wheel build {build_seconds:.0f} s, clean venv + install {install_seconds:.0f} s")
    return InstalledRecommender(source, wheels[0], home, env, build_seconds, install_seconds)
