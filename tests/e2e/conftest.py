"""Live end-to-end harness: a fresh MovieLens 100K database, the action server and the Rasa server
on loopback ports, and a small REST client. Every test here talks HTTP to the real servers.

Environment:
  APP_VENV    venv with the recommender and rasa-sdk (default <repo>/.venv)
  RASA_VENV   venv with rasa 3.6 (default <repo>/.venv-rasa)
  RASA_MODEL  trained model (default <repo>/models/recommender.tar.gz; `make rasa-model` builds it)
  E2E_STARTUP_TIMEOUT  seconds to wait for both servers (default 300)
  E2E_DATABASE_URL     reuse this already ingested database instead of a fresh one (faster reruns;
                       the tests add chat feedback rows to it under their own unique sender ids)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_VENV = Path(os.environ.get("APP_VENV", REPO_ROOT / ".venv"))
RASA_VENV = Path(os.environ.get("RASA_VENV", REPO_ROOT / ".venv-rasa"))
RASA_MODEL = Path(os.environ.get("RASA_MODEL", REPO_ROOT / "models" / "recommender.tar.gz"))
STARTUP_TIMEOUT = float(os.environ.get("E2E_STARTUP_TIMEOUT", "300"))
USER_ID_SECRET = "e2e-user-id-secret"
# the secrets `make run` generates into var/secrets.env, fixed here (docs/security.md)
ACTION_TOKEN = "e2e-action-token"
RASA_API_TOKEN = "e2e-rasa-api-token"
SOCKETIO_SECRET = "e2e-socketio-secret"
WEB_ORIGIN = "http://127.0.0.1:8080"  # the only origin a browser may call Rasa from
TURN_TIMEOUT = 120.0  # seconds for one REST round trip once the servers are warm
WARMUP_TIMEOUT = 600.0  # the first recommendation builds the model bundle


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: live end-to-end tests against real Rasa and action servers")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(line if len(line) <= 400 else f"{line[:400]}… ({len(line)} chars)" for line in text[-lines:])


@dataclass
class Reply:
    """The bot's answer to one REST message: Rasa's list of {recipient_id, text?, buttons?, custom?}."""

    status: int
    messages: list[dict[str, Any]]

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if m.get("text")]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [b for m in self.messages for b in m.get("buttons") or []]

    @property
    def customs(self) -> list[dict[str, Any]]:
        return [m["custom"] for m in self.messages if m.get("custom")]

    def payload(self, kind: str = "recommendations") -> dict[str, Any]:
        """The one custom payload of this type (fails the test when there is none or several)."""
        found = [c for c in self.customs if c.get("type") == kind]
        assert len(found) == 1, f"expected one {kind!r} payload, got {len(found)}; reply: {self.messages}"
        return found[0]

    @property
    def items(self) -> list[dict[str, Any]]:
        return self.payload("recommendations")["items"]

    @property
    def item_ids(self) -> list[str]:
        return [i["item_id"] for i in self.items]


@dataclass
class Chat:
    """One conversation (one sender id) over POST /webhooks/rest/webhook."""

    client: httpx.Client
    sender: str
    transcript: list[tuple[str, Reply]] = field(default_factory=list)

    def say(self, message: str, timeout: float = TURN_TIMEOUT) -> Reply:
        response = self.client.post(
            "/webhooks/rest/webhook", json={"sender": self.sender, "message": message}, timeout=timeout
        )
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else []
        reply = Reply(response.status_code, body if isinstance(body, list) else [body])
        self.transcript.append((message[:200], reply))
        return reply

    def describe(self) -> str:
        """The transcript so far, for assertion messages."""
        return "\n".join(
            f"> {said}\n< {json.dumps(reply.messages, ensure_ascii=False)[:800]}" for said, reply in self.transcript
        )


@dataclass
class Stack:
    """The running servers and the databases they use (the recommender's, and Rasa's tracker store)."""

    rasa_url: str
    action_url: str
    database_url: str
    rasa_log: Path
    action_log: Path
    client: httpx.Client
    tracker_database_url: str = ""
    rasa_python: Path = RASA_VENV / "bin" / "python"
    repo_root: Path = REPO_ROOT
    action_token: str = ACTION_TOKEN
    api_token: str = RASA_API_TOKEN
    user_id_secret: str = USER_ID_SECRET
    web_origin: str = WEB_ORIGIN
    action_server: Any = None  # ActionServerControl: stop and start the action server mid-test

    @property
    def action_headers(self) -> dict[str, str]:
        """What Rasa sends the action server with every call (endpoints.yml's headers)."""
        return {"Authorization": f"Bearer {self.action_token}"}

    def chat(self, name: str = "chat") -> Chat:
        """A conversation with a fresh, unique sender id."""
        return Chat(self.client, f"e2e-{name}-{uuid.uuid4().hex[:10]}")

    @property
    def action_logs(self) -> list[Path]:
        """Every action server's log in start order: a restart (test_action_server_restart) writes a new file."""
        return list(self.action_server.logs) if self.action_server is not None else [self.action_log]

    def action_log_text(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.action_logs if log.exists())

    def logs(self) -> str:
        """Both servers' logs so far."""
        return self.action_log_text() + "\n" + self.rasa_log.read_text(errors="replace")

    def log_tails(self, lines: int = 40) -> str:
        action_log = self.action_logs[-1]
        return (f"--- action server log ({action_log}) ---\n{_tail(action_log, lines)}\n"
                f"--- rasa server log ({self.rasa_log}) ---\n{_tail(self.rasa_log, lines)}")


class _Servers:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                argv, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.procs.append(proc)
        self.logs.append(log)
        return proc, log

    def tails(self) -> str:
        return "\n".join(f"--- {log.name} ---\n{_tail(log)}" for log in self.logs)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)  # the process group we started (sanic forks workers)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 20
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)


class ActionServerControl:
    """Stop the stack's action server (SIGKILL, as a crash) and start it again on the same port."""

    def __init__(self, servers: _Servers, argv: list[str], env: dict[str, str], url: str,
                 proc: subprocess.Popen[bytes], log: Path) -> None:
        self.servers, self.argv, self.env, self.url, self.proc = servers, argv, env, url, proc
        self.logs: list[Path] = [log]

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def start(self, timeout: float = STARTUP_TIMEOUT) -> float:
        """Start it again; returns the seconds until /health answered."""
        started = time.monotonic()
        self.proc, log = self.servers.start(f"actions-restarted-{len(self.logs)}", self.argv, self.env)
        self.logs.append(log)
        with httpx.Client(timeout=2.0) as probe:
            while time.monotonic() - started < timeout:
                if self.proc.poll() is not None:
                    pytest.fail(f"the restarted action server exited with {self.proc.returncode}\n{self.servers.tails()}")
                try:
                    if probe.get(f"{self.url}/health").status_code == 200:
                        return time.monotonic() - started
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
        pytest.fail(f"the restarted action server did not answer in {timeout:.0f} s\n{self.servers.tails()}")


def _require(path: Path, what: str, fix: str) -> None:
    if not path.exists():
        pytest.fail(f"{what} not found at {path}. {fix}", pytrace=False)


def _ingest(app_python: Path, database_url: str, env: dict[str, str]) -> None:
    """Import MovieLens 100K into the fresh database with the project's own CLI."""
    command = [str(app_python), "-m", "recommender", "ingest", "movielens100k", "--database-url", database_url]
    ingest = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    if ingest.returncode != 0:
        pytest.fail(
            f"`{' '.join(command[1:])}` failed (exit {ingest.returncode}):\n{(ingest.stdout + ingest.stderr)[-4000:]}",
            pytrace=False,
        )


def _tracker_store(database_url: str) -> str:
    """endpoints.yml's tracker_store for a SQLAlchemy URL (sqlite:///file or postgresql+psycopg://user@host:port/db):
    the forgetful SQL store of rasa_addons/tracker_store.py, as `make run` configures it."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    lines = ["tracker_store:", "  type: rasa_addons.tracker_store.ForgetfulSQLTrackerStore"]
    if url.get_backend_name() == "sqlite":
        lines += ['  dialect: "sqlite"', f'  db: "{url.database}"']
    else:
        lines += ['  dialect: "postgresql"', f'  url: "{url.host}"', f"  port: {url.port or 5432}",
                  f'  db: "{url.database}"', f'  username: "{url.username}"']
        if url.password:
            lines.append(f'  password: "{url.password}"')
    return "\n".join(lines) + "\n"


@contextmanager
def launch_stack(workdir: Path, reuse_database: str = "", extra_env: dict[str, str] | None = None,
                 database_url: str = "", tracker_database_url: str = "", web_origin: str = WEB_ORIGIN,
                 prepare: Callable[[str], None] | None = None, credentials: Path | None = None) -> Iterator[Stack]:
    """Ingest MovieLens 100K into a fresh database (a SQLite file under `workdir`, or the empty
    `database_url`; none with `reuse_database`), start both servers as `make run` does (tokens, the
    forgetful tracker store in a SQLite file under `workdir` or `tracker_database_url`, the CORS
    allow-list: `web_origin` is the one origin browsers may call from) with `extra_env` added to their
    environment, warm up, yield, stop. `prepare(database_url)` runs after the ingest and before the
    servers start (a test's own catalog items are then in the first model bundle). `credentials` is the
    credentials file Rasa reads (default: the repository's credentials.yml)."""
    app_python = APP_VENV / "bin" / "python"
    rasa_bin = RASA_VENV / "bin" / "rasa"
    _require(RASA_MODEL, "The trained Rasa model", "Run `make rasa-model` (or set RASA_MODEL).")
    _require(app_python, "The app venv's python", "Run `make setup` (or set APP_VENV).")
    _require(rasa_bin, "The rasa executable", "Run `make setup` (or set RASA_VENV).")

    reuse = reuse_database
    database_url = reuse or database_url or f"sqlite:///{workdir / 'e2e.db'}"
    tracker_database_url = tracker_database_url or f"sqlite:///{workdir / 'rasa_tracker.db'}"
    env = {
        **os.environ,
        "RECSYS_DATABASE_URL": database_url,
        "RECSYS_USER_ID_SECRET": USER_ID_SECRET,
        "RECSYS_ACTION_TOKEN": ACTION_TOKEN,
        "RECSYS_RASA_AUTH_TOKEN": RASA_API_TOKEN,
        "RECSYS_SOCKETIO_SECRET": SOCKETIO_SECRET,
        "RECSYS_CORS_ORIGINS": web_origin,
        "RASA_TELEMETRY_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }

    action_port, rasa_port = _free_port(), _free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        '  headers:\n    Authorization: Bearer ${RECSYS_ACTION_TOKEN}\n' + _tracker_store(tracker_database_url),
        encoding="utf-8",
    )

    servers = _Servers(workdir)
    try:
        # Rasa loads its model (tens of seconds) while the catalog is imported: it needs neither the
        # recommender's database nor the action server until the first message
        rasa_proc, rasa_log = servers.start(
            "rasa",
            [str(rasa_bin), "run", "--enable-api", "--auth-token", RASA_API_TOKEN, "--cors", web_origin,
             "--model", str(RASA_MODEL), "--endpoints", str(endpoints),
             "--port", str(rasa_port), "--credentials", str(credentials or "credentials.yml"), "-i", "127.0.0.1"],
            env,
        )
        if not reuse:
            _ingest(app_python, database_url, env)
        if prepare is not None:
            prepare(database_url)
        action_argv = [str(app_python), "-m", "recommender.actionserver", "--actions", "recommender.actions",
                       "--port", str(action_port)]
        action_proc, action_log = servers.start("actions", action_argv, env)
        rasa_url, action_url = f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}"
        deadline = time.monotonic() + STARTUP_TIMEOUT
        ready = {"rasa": False, "actions": False}
        with httpx.Client(timeout=2.0) as probe:
            while not all(ready.values()):
                for name, proc in (("rasa", rasa_proc), ("actions", action_proc)):
                    if proc.poll() is not None:
                        pytest.fail(f"the {name} server exited with code {proc.returncode} during startup\n"
                                    f"{servers.tails()}", pytrace=False)
                for name, url in (("rasa", f"{rasa_url}/"), ("actions", f"{action_url}/health")):
                    if not ready[name]:
                        try:
                            ready[name] = probe.get(url).status_code == 200
                        except httpx.HTTPError:
                            pass
                if time.monotonic() > deadline:
                    pytest.fail(f"servers not ready after {STARTUP_TIMEOUT:.0f}s (ready: {ready})\n"
                                f"{servers.tails()}", pytrace=False)
                time.sleep(0.5)

        with httpx.Client(base_url=rasa_url, timeout=TURN_TIMEOUT) as client:
            result = Stack(rasa_url, action_url, database_url, rasa_log, action_log, client, tracker_database_url,
                           web_origin=web_origin,
                           action_server=ActionServerControl(servers, action_argv, env, action_url, action_proc,
                                                             action_log))
            warmup = result.chat("warmup").say("recommend me a movie", timeout=WARMUP_TIMEOUT)
            if warmup.status != 200 or not warmup.customs:
                pytest.fail(f"warm-up recommendation failed: HTTP {warmup.status} {warmup.messages}\n"
                            f"{servers.tails()}", pytrace=False)
            yield result
    finally:
        servers.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Fresh database with MovieLens 100K, action server and Rasa server on free loopback ports."""
    with launch_stack(tmp_path_factory.mktemp("e2e"), os.environ.get("E2E_DATABASE_URL", "")) as result:
        yield result


@pytest.fixture(scope="session")
def stack_launcher() -> Any:
    """`launch_stack(workdir, extra_env=...)`, for a test that needs a stack of its own."""
    return launch_stack


@pytest.fixture(scope="session")
def store(stack: Stack) -> Any:
    """The recommender's Store on the e2e database (the catalog and the feedback the servers wrote)."""
    from recommender.store import Store

    return Store(stack.database_url)


@pytest.fixture(scope="session")
def user_id() -> Any:
    """REST sender id -> the pseudonymous user id the service stores rows under."""
    from recommender.identity import pseudonymous_id, rest_user_key

    return lambda sender: pseudonymous_id(rest_user_key(sender), USER_ID_SECRET)


@pytest.fixture(scope="session")
def feedback_rows(store: Any, user_id: Any) -> Any:
    """sender id -> [(item_id, kind, value)] in feedback_events, oldest first."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from recommender.store.models import FeedbackEventRow

    def rows(sender: str) -> list[tuple[str, str, float | None]]:
        stmt = (
            select(FeedbackEventRow.item_id, FeedbackEventRow.kind, FeedbackEventRow.value)
            .where(FeedbackEventRow.user_id == user_id(sender))
            .order_by(FeedbackEventRow.id)
        )
        with Session(store.engine) as session:
            return [tuple(r) for r in session.execute(stmt).all()]  # type: ignore[misc]

    return rows


@pytest.fixture(scope="session")
def user_row_counts(store: Any, user_id: Any) -> Any:
    """sender id -> {table: rows about that user} over every table keyed by user."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from recommender.store.models import (
        FeedbackEventRow,
        ImpressionRow,
        RecommendationRequestRow,
        SessionRow,
        UserRow,
    )

    def counts(sender: str) -> dict[str, int]:
        uid = user_id(sender)
        with Session(store.engine) as session:
            return {
                table.__tablename__: int(
                    session.scalar(select(func.count()).select_from(table).where(table.user_id == uid)) or 0
                )
                for table in (FeedbackEventRow, ImpressionRow, RecommendationRequestRow, SessionRow, UserRow)
            }

    return counts


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """web/ on a free loopback port, as scripts/run_stack.sh serves it; yields its origin."""
    if not (REPO_ROOT / "web" / "vendor" / "socket.io.min.js").is_file():
        pytest.fail("web/vendor/socket.io.min.js is missing: run `make setup` (scripts/build_web.sh)", pytrace=False)
    port = _free_port()
    log = tmp_path_factory.mktemp("web") / "http.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                 "--directory", str(REPO_ROOT / "web")], stdout=out, stderr=subprocess.STDOUT)
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{origin}/widget.js", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the static file server did not start:\n{log.read_text(errors='replace')}", pytrace=False)
            time.sleep(0.2)
        yield origin
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (never a downloaded browser). Per module, not per
    session: Playwright's sync API keeps an event loop running in the main thread while it is open,
    and every later test that calls `asyncio.run` (the actions' tests) would fail."""
    from browser_visit import CHROMIUM

    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: run `make browser` (Debian's chromium package), or set CHROMIUM",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[Any]:
    """Telegram's Bot API, faked on loopback (what the bot sends is recorded)."""
    from fake_telegram_api import FakeTelegramAPI
    from platforms import TELEGRAM_BOT_TOKEN

    with FakeTelegramAPI(TELEGRAM_BOT_TOKEN) as api:
        yield api


@pytest.fixture(scope="session")
def fake_slack() -> Iterator[Any]:
    """Slack's Web API, faked on loopback (what the bot posts is recorded)."""
    from fake_slack_api import FakeSlackAPI
    from platforms import SLACK_BOT_TOKEN

    with FakeSlackAPI(SLACK_BOT_TOKEN) as api:
        yield api


@pytest.fixture(scope="session")
def channels_stack(web_server: str, fake_telegram: Any, fake_slack: Any,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One stack with every channel a person can use: REST, the web widget (the test page's origin is
    the one CORS origin), Telegram and Slack (credentials.yml as docs/channels.md says, their APIs
    faked on loopback). The catalog has the widget tests' two items; no LLM (the channels are tested)."""
    from browser_visit import add_test_items
    from platforms import (
        SLACK_BOT_TOKEN,
        SLACK_SIGNING_SECRET,
        TELEGRAM_BOT_TOKEN,
        TELEGRAM_SECRET,
        channel_credentials,
    )

    workdir = tmp_path_factory.mktemp("channels")
    var = workdir / "var"  # its own model versions: a test's retrain cannot touch another stack's
    var.mkdir()
    if (REPO_ROOT / "var" / "data").is_dir():  # the fetched MovieLens files, not fetched again
        (var / "data").symlink_to(REPO_ROOT / "var" / "data")
    credentials = workdir / "credentials.yml"
    credentials.write_text((REPO_ROOT / "credentials.yml").read_text(encoding="utf-8") + channel_credentials(),
                           encoding="utf-8")
    env = {"TELEGRAM_ACCESS_TOKEN": TELEGRAM_BOT_TOKEN, "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
           "TELEGRAM_API_URL": fake_telegram.url, "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
           "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET, "SLACK_API_URL": fake_slack.api_url,
           "RECSYS_LLM_BACKEND": "none", "RECSYS_VAR_DIR": str(var)}
    with launch_stack(workdir, web_origin=web_server, prepare=add_test_items, extra_env=env,
                      credentials=credentials) as started:
        yield started
