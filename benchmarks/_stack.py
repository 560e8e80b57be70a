"""A live stack for benchmarks: fresh MovieLens 100K database, action server and Rasa on loopback.

The same processes `make run` and the e2e fixtures start (`python -m recommender.actionserver`,
`rasa run --enable-api`), on free ports, with their logs under the work folder.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Self

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_PYTHON = Path(os.environ.get("APP_VENV", REPO_ROOT / ".venv")) / "bin" / "python"
RASA_BIN = Path(os.environ.get("RASA_VENV", REPO_ROOT / ".venv-rasa")) / "bin" / "rasa"
RASA_MODEL = Path(os.environ.get("RASA_MODEL", REPO_ROOT / "models" / "recommender.tar.gz"))
USER_ID_SECRET = "bench-user-id-secret"
ACTION_TOKEN = "bench-action-token"  # the secrets `make run` generates into var/secrets.env, fixed here
RASA_API_TOKEN = "bench-rasa-api-token"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveStack:
    """Context manager: `with LiveStack(workdir) as stack: stack.rasa_url ...`."""

    def __init__(self, workdir: Path, database_url: str | None = None, env: dict[str, str] | None = None,
                 startup_timeout: float = 600.0) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.fresh = database_url is None
        self.database_url = database_url or f"sqlite:///{workdir / 'bench.db'}"
        self.startup_timeout = startup_timeout
        self.env = {
            **os.environ, "RECSYS_DATABASE_URL": self.database_url, "RECSYS_USER_ID_SECRET": USER_ID_SECRET,
            "RASA_TELEMETRY_ENABLED": "false", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "RECSYS_ACTION_TOKEN": ACTION_TOKEN, "RECSYS_RASA_AUTH_TOKEN": RASA_API_TOKEN, "PYTHONUNBUFFERED": "1",
            # these benchmarks measure the swap and the learning loop, not the LLM (benchmarks/llm_bench.py
            # does): no LLM unless the caller's environment names a backend
            "RECSYS_LLM_BACKEND": os.environ.get("RECSYS_LLM_BACKEND", "none"), **(env or {}),
        }
        self.procs: list[subprocess.Popen[bytes]] = []
        self.action_port, self.rasa_port = free_port(), free_port()
        self.action_url = f"http://127.0.0.1:{self.action_port}"
        self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"
        self.timings: dict[str, float] = {}

    def _start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        with (self.workdir / f"{name}.log").open("wb") as out:
            proc = subprocess.Popen(argv, cwd=REPO_ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs.append(proc)
        return proc

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def __enter__(self) -> Self:
        for path, what in ((APP_PYTHON, "app venv"), (RASA_BIN, "rasa venv"), (RASA_MODEL, "Rasa model")):
            if not path.exists():
                raise SystemExit(f"{what} not found at {path} (make setup / make rasa-model, or set the env var)")
        try:
            if self.fresh:
                started = time.perf_counter()
                subprocess.run([str(APP_PYTHON), "-m", "recommender", "ingest", "movielens100k", "--no-progress",
                                "--database-url", self.database_url], cwd=REPO_ROOT, env=self.env, check=True,
                               stdout=subprocess.DEVNULL)
                self.timings["ingest_seconds"] = round(time.perf_counter() - started, 1)
            endpoints = self.workdir / "endpoints.yml"
            endpoints.write_text(
                f'action_endpoint:\n  url: "{self.action_url}/webhook"\n'
                '  headers:\n    Authorization: Bearer ${RECSYS_ACTION_TOKEN}\n'
                "tracker_store:\n  type: rasa_addons.tracker_store.ForgetfulSQLTrackerStore\n"
                f'  dialect: "sqlite"\n  db: "{self.workdir / "rasa_tracker.db"}"\n'
            )
            started = time.perf_counter()
            actions = self._start("actions", [str(APP_PYTHON), "-m", "recommender.actionserver", "--actions",
                                              "recommender.actions", "--port", str(self.action_port)])
            rasa = self._start("rasa", [str(RASA_BIN), "run", "--enable-api", "--auth-token", RASA_API_TOKEN, "--model", str(RASA_MODEL),
                                        "--endpoints", str(endpoints), "--port", str(self.rasa_port),
                                        "--credentials", "credentials.yml", "-i", "127.0.0.1"])
            deadline = time.monotonic() + self.startup_timeout
            ready = {"rasa": False, "actions": False}
            with httpx.Client(timeout=2.0) as probe:
                while not all(ready.values()):
                    for name, proc in (("rasa", rasa), ("actions", actions)):
                        if proc.poll() is not None:
                            raise RuntimeError(f"{name} exited ({proc.returncode}):\n{self.log_tail(name)}")
                    for name, url in (("rasa", f"{self.rasa_url}/"), ("actions", f"{self.action_url}/health")):
                        if not ready[name]:
                            try:
                                ready[name] = probe.get(url).status_code == 200
                            except httpx.HTTPError:
                                pass
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"servers not ready after {self.startup_timeout:.0f}s: {ready}")
                    time.sleep(0.5)
            self.timings["startup_seconds"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
            reply = self.say("bench-warmup", "recommend me a movie", timeout=600)
            if not any(m.get("custom") for m in reply):
                raise RuntimeError(f"warm-up recommendation failed: {reply}\n{self.log_tail('actions')}")
            self.timings["warmup_seconds"] = round(time.perf_counter() - started, 1)
        except BaseException:
            self.stop()
            raise
        return self

    def say(self, sender: str, message: str, timeout: float = 120.0) -> list[dict[str, Any]]:
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message},
                              timeout=timeout)
        response.raise_for_status()
        body = response.json()
        return body if isinstance(body, list) else [body]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        self.procs.clear()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
