"""The replica profile (deploy/local/run_replicas.sh, docs/deploy.md) against real PostgreSQL, Redis and
nginx: two Rasa servers and two action servers behind nginx, two scheduler workers, one fresh pair of
PostgreSQL databases (the recommender's; Rasa's tracker store), Rasa's Redis lock store.

- A conversation (a comedy from the 90s, "something older", a like button) continues correctly when
  consecutive turns hit different Rasa replicas and different action servers; nginx's access log
  ($upstream_addr) says which replica served each request, and the Redis lock of the conversation
  is taken on every turn.
- Only one retrain runs at a time: a job due on two workers runs once; two `retrain` commands
  start together: one runs, the other is refused by the job's lease.
- After that retrain publishes, every action-server replica serves the new version (the turn's
  logged model version and each server's own /metrics).

Skipped only when PostgreSQL or Redis is unreachable; nginx missing is a failure (`make nginx`).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.replicas, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_PYTHON = Path(os.environ.get("APP_VENV", REPO_ROOT / ".venv")) / "bin" / "python"
NGINX = Path(os.environ.get("NGINX_BIN", "/usr/sbin/nginx"))
REDIS_HOST, REDIS_PORT = "127.0.0.1", int(os.environ.get("RECSYS_TEST_REDIS_PORT", "6379"))
STARTUP_TIMEOUT = float(os.environ.get("E2E_STARTUP_TIMEOUT", "600"))  # two Rasa models load side by side
TURN_TIMEOUT = 120.0
SECRETS = {"RECSYS_USER_ID_SECRET": "replica-user-id-secret", "RECSYS_ACTION_TOKEN": "replica-action-token",
           "RECSYS_RASA_AUTH_TOKEN": "replica-rasa-token", "RECSYS_SOCKETIO_SECRET": "replica-socketio-secret"}
LINE = re.compile(r"port=(?P<port>\d+) (?P<method>\S+) (?P<uri>\S+) status=(?P<status>\d+) upstream=(?P<upstream>\S+)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_command(*args: str) -> bytes:
    """One RESP command to Redis on a fresh socket (no client library in the app venv); the raw reply."""
    with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=3) as sock:
        sock.sendall(f"*{len(args)}\r\n".encode() + b"".join(f"${len(a)}\r\n{a}\r\n".encode() for a in args))
        return sock.recv(4096)


class RedisMonitor:
    """Every command Redis executes while running (Redis's MONITOR), kept as lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._sock = socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=3)
        self._sock.sendall(b"MONITOR\r\n")
        self._sock.settimeout(0.5)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            *done, buffer = buffer.split(b"\r\n")
            self.lines += [line.decode(errors="replace") for line in done]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


@dataclass
class Hop:
    """One request nginx proxied: the listener, the path and the replica that answered."""

    port: int
    uri: str
    status: int
    upstream: str


@dataclass
class Replicas:
    run_dir: Path
    shared_dir: Path
    front: str
    rasa_ports: tuple[int, int]
    action_ports: tuple[int, int]
    action_front_port: int
    database_url: str
    env: dict[str, str]
    lock_prefix: str
    startup_seconds: float

    @property
    def access_log(self) -> Path:
        return self.run_dir / "log" / "nginx-access.log"

    def log_size(self) -> int:
        return self.access_log.stat().st_size

    def hops_since(self, offset: int) -> list[Hop]:
        text = self.access_log.read_bytes()[offset:].decode(errors="replace")
        return [Hop(int(m["port"]), m["uri"], int(m["status"]), m["upstream"])
                for m in map(LINE.search, text.splitlines()) if m]

    def logs(self, lines: int = 30) -> str:
        out = []
        for log in sorted((self.run_dir / "log").glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name} ---\n" + "\n".join(tail))
        return "\n".join(out)


def _start(workdir: Path, database_url: str, tracker_url: str) -> tuple[subprocess.Popen[bytes], Replicas, Path]:
    from sqlalchemy.engine import make_url

    tracker = make_url(tracker_url)
    ports = [_free_port() for _ in range(6)]
    lock_prefix = f"replicas{uuid.uuid4().hex[:8]}"  # Rasa takes alphanumeric prefixes only
    run_dir = workdir / "run"
    env = {
        **os.environ, **SECRETS,
        "RECSYS_DATABASE_URL": database_url,
        "RASA_TRACKER_DB_HOST": tracker.host or "127.0.0.1", "RASA_TRACKER_DB_PORT": str(tracker.port or 5432),
        "RASA_TRACKER_DB_NAME": tracker.database or "", "RASA_TRACKER_DB_USER": tracker.username or "",
        "RASA_TRACKER_DB_PASSWORD": tracker.password or "",
        "RASA_REDIS_HOST": REDIS_HOST, "RASA_REDIS_PORT": str(REDIS_PORT), "RASA_LOCK_KEY_PREFIX": lock_prefix,
        "REPLICA_RUN_DIR": str(run_dir),
        "REPLICA_FRONT_PORT": str(ports[0]), "REPLICA_ACTION_FRONT_PORT": str(ports[1]),
        "REPLICA_RASA_PORTS": f"{ports[2]} {ports[3]}", "REPLICA_ACTION_PORTS": f"{ports[4]} {ports[5]}",
        "REPLICA_WORKERS": "2", "NGINX_BIN": str(NGINX),
        "RECSYS_LLM_BACKEND": "none",
        "RECSYS_MODEL_CHECK_SECONDS": "1",  # a publish reaches the action servers within a second or two
        # the workers' retention job fires on both at once (one runs it); their retrain, not during the test
        "RECSYS_RETRAIN_FIRST_DELAY_SECONDS": "3600", "RECSYS_RETENTION_CHECK_HOURS": "24",
        "PYTHONUNBUFFERED": "1",
    }
    out = workdir / "run_replicas.out"
    with out.open("wb") as sink:
        proc = subprocess.Popen([str(REPO_ROOT / "deploy" / "local" / "run_replicas.sh")], cwd=REPO_ROOT, env=env,
                                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    replicas = Replicas(run_dir, run_dir / "shared", f"http://127.0.0.1:{ports[0]}", (ports[2], ports[3]),
                        (ports[4], ports[5]), ports[1], database_url, env, lock_prefix, 0.0)
    return proc, replicas, out


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the launcher's process group (it stops what it started), SIGKILL what is left."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def replicas(postgres_databases: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    try:
        assert _redis_command("PING").startswith(b"+PONG")
    except (OSError, AssertionError) as exc:
        pytest.skip(f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT} ({exc.__class__.__name__}); start redis-server")
    if not NGINX.is_file():
        pytest.fail(f"nginx not found at {NGINX}: run `make nginx` (Debian's nginx), or set NGINX_BIN", pytrace=False)
    workdir = tmp_path_factory.mktemp("replicas")
    with postgres_databases(2) as (database_url, tracker_url):
        began = time.monotonic()
        proc, started, out = _start(workdir, database_url, tracker_url)
        try:
            while b"Ready in" not in out.read_bytes():
                if proc.poll() is not None:
                    pytest.fail(f"the replica profile exited with {proc.returncode} during startup:\n"
                                f"{out.read_text(errors='replace')[-3000:]}\n{started.logs()}", pytrace=False)
                if time.monotonic() - began > STARTUP_TIMEOUT:
                    pytest.fail(f"the replica profile was not ready after {STARTUP_TIMEOUT:.0f} s\n{started.logs()}",
                                pytrace=False)
                time.sleep(0.5)
            started.startup_seconds = time.monotonic() - began
            print(f"\nreplica profile ready in {started.startup_seconds:.0f} s "
                  f"(MovieLens 100K import into PostgreSQL included)")
            yield started
        finally:
            _stop(proc)


def _say(client: httpx.Client, sender: str, message: str) -> list[dict[str, Any]]:
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=TURN_TIMEOUT)
    assert response.status_code == 200, f"{message!r}: HTTP {response.status_code} {response.text[:500]}"
    body = response.json()
    assert isinstance(body, list), body
    return body


def _recommendations(messages: list[dict[str, Any]]) -> dict[str, Any]:
    found = [m["custom"] for m in messages if (m.get("custom") or {}).get("type") == "recommendations"]
    assert len(found) == 1, f"expected one recommendations payload: {messages}"
    return found[0]


def _turn(replicas: Replicas, client: httpx.Client, sender: str, message: str) -> tuple[list[dict[str, Any]], list[Hop]]:
    """Say `message`; the reply and the requests nginx proxied for it (the REST call last)."""
    offset = replicas.log_size()
    messages = _say(client, sender, message)
    front = int(replicas.front.rsplit(":", 1)[1])
    deadline = time.monotonic() + 5  # nginx writes the line once the response is sent
    hops = replicas.hops_since(offset)
    while not any(h.port == front for h in hops) and time.monotonic() < deadline:
        time.sleep(0.05)
        hops = replicas.hops_since(offset)
    return messages, hops


def test_a_conversation_continues_across_rasa_and_action_replicas(replicas: Replicas) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from recommender.identity import pseudonymous_id, rest_user_key
    from recommender.store import Store
    from recommender.store.models import FeedbackEventRow

    front = int(replicas.front.rsplit(":", 1)[1])
    rasa = {f"127.0.0.1:{p}" for p in replicas.rasa_ports}
    actions = {f"127.0.0.1:{p}" for p in replicas.action_ports}
    sender = f"replicas-{uuid.uuid4().hex[:10]}"
    monitor = RedisMonitor()
    served: list[tuple[str, list[str]]] = []  # per turn: the Rasa replica, the action servers in call order
    try:
        with httpx.Client(base_url=replicas.front, timeout=TURN_TIMEOUT) as client:
            first, hops = _turn(replicas, client, sender, "recommend me a comedy from the 90s")
            served.append((next(h.upstream for h in hops if h.port == front),
                           [h.upstream for h in hops if h.port == replicas.action_front_port]))
            picks = _recommendations(first)
            assert picks["items"], first
            assert all("Comedy" in item["genres"] and 1990 <= item["year"] <= 1999 for item in picks["items"]), picks

            older, hops = _turn(replicas, client, sender, "something older")
            served.append((next(h.upstream for h in hops if h.port == front),
                           [h.upstream for h in hops if h.port == replicas.action_front_port]))
            refined = _recommendations(older)
            # the dialogue state came through the other replicas: still comedies, now older
            assert "Comedy" in refined["state"]["genres"], refined["state"]
            assert all("Comedy" in item["genres"] for item in refined["items"]), refined
            assert refined["state"]["year_to"] is not None, refined["state"]
            assert max(i["year"] for i in refined["items"]) < max(i["year"] for i in picks["items"]), (picks, refined)
            liked = refined["items"][0]
            like = next(b["payload"] for m in older for b in m.get("buttons") or []
                        if b["payload"].startswith("/feedback") and f'"item_id":"{liked["item_id"]}"' in b["payload"]
                        and '"like"' in b["payload"])

            pressed, hops = _turn(replicas, client, sender, like)
            served.append((next(h.upstream for h in hops if h.port == front),
                           [h.upstream for h in hops if h.port == replicas.action_front_port]))
            text = " ".join(m.get("text", "") for m in pressed)
            assert liked["title"].split(" (")[0].split(",")[0] in text, pressed
    finally:
        monitor.close()
    print(f"\nturns served by (Rasa replica, action servers): {served}")

    # (1) consecutive turns on different Rasa replicas and different action servers
    assert all(r in rasa for r, _ in served), served
    assert all(calls and set(calls) <= actions for _, calls in served), served
    assert all(served[i][0] != served[i + 1][0] for i in range(len(served) - 1)), served
    assert all(served[i][1][-1] != served[i + 1][1][0] for i in range(len(served) - 1)), served
    assert {r for r, _ in served} == rasa and {a for _, calls in served for a in calls} == actions, served

    # (2) one conversation in the shared tracker store: both replicas return the same tracker
    trackers = []
    for port in replicas.rasa_ports:
        response = httpx.get(f"http://127.0.0.1:{port}/conversations/rest:{sender}/tracker",
                             params={"token": SECRETS["RECSYS_RASA_AUTH_TOKEN"]}, timeout=30)
        assert response.status_code == 200, response.text[:300]
        trackers.append(response.json())
    users = [[e.get("text") for e in t["events"] if e["event"] == "user"] for t in trackers]
    assert users[0] == users[1] and len(users[0]) == 3, users

    # (3) Rasa's Redis lock store ordered the turns: the conversation's lock key, set on each turn,
    # from both replicas' connections
    key = f"{replicas.lock_prefix}:lock:rest:{sender}"
    sets = [line for line in monitor.lines if '"SET"' in line and f'"{key}"' in line]
    assert len(sets) >= 3, f"no Redis lock for {key}: {monitor.lines[:20]}"
    clients = {match[1] for line in sets if (match := re.search(r"\[\d+ ([^\]]+)\]", line))}
    assert len(clients) >= 2, f"the lock was taken from one connection only (one replica?): {sets}"

    # (4) the like reached the shared database once
    store = Store(replicas.database_url)
    try:
        user = pseudonymous_id(rest_user_key(sender), SECRETS["RECSYS_USER_ID_SECRET"])
        deadline = time.monotonic() + 30
        while True:
            with Session(store.engine) as session:
                rows = session.execute(select(FeedbackEventRow.item_id, FeedbackEventRow.kind)
                                       .where(FeedbackEventRow.user_id == user)).all()
            if rows or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        store.engine.dispose()
    assert [tuple(r) for r in rows] == [(liked["item_id"], "like")], rows


def _worker_outcomes(replicas: Replicas, job: str) -> list[str]:
    """Per worker log: 'done', 'skipped' (refused by the lease) or '' (did not run it) for the job's first run."""
    outcomes = []
    for log in sorted((replicas.run_dir / "log").glob("worker-*.log")):
        text = log.read_text(errors="replace")
        outcomes.append("done" if f"job {job} done" in text else "skipped" if f"job {job} skipped" in text else "")
    return outcomes


def test_only_one_retrain_runs_at_a_time_then_every_action_server_serves_the_new_version(replicas: Replicas) -> None:
    from recommender.store import Store
    from recommender.store.leases import LeaseStore

    # two workers, one scheduled job due on both (retention, a minute after they start): it runs once.
    # The other worker either fires too and is refused by the lease ("skipped"), or finds the job's
    # next run already moved on in the shared job store and does not fire at all.
    deadline = time.monotonic() + 180
    while "done" not in (outcomes := _worker_outcomes(replicas, "retention")) and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(10)  # the other worker's timer, due within seconds of the first
    outcomes = _worker_outcomes(replicas, "retention")
    assert outcomes.count("done") == 1 and len(outcomes) == 2, f"{outcomes}\n{replicas.logs()}"

    # two retrain commands at once, as two hosts' cron or an operator beside a worker would: one runs
    env = {**replicas.env, "RECSYS_VAR_DIR": str(replicas.shared_dir)}
    command = [str(APP_PYTHON), "-m", "recommender", "retrain", "--force"]
    runs = [subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    streams = [run.communicate(timeout=1800) for run in runs]
    results = [(run.returncode, out, err) for run, (out, err) in zip(runs, streams, strict=True)]
    outcomes = [json.loads(out.strip().splitlines()[-1]) if out.strip() else {"stderr": err[-2000:]}
                for _, out, err in results]
    statuses = sorted((code, outcome.get("status")) for (code, _, _), outcome in zip(results, outcomes, strict=True))
    assert statuses == [(0, "published"), (2, "busy")], outcomes
    version = next(o["version"] for o in outcomes if o.get("status") == "published")
    print(f"\nretrain outcomes: {[{k: o.get(k) for k in ('status', 'version', 'seconds', 'reason')} for o in outcomes]}")

    store = Store(replicas.database_url)
    try:
        published = store.latest_published_version()
        assert published is not None and published.version == version
        assert [v.version for v in store.model_versions(limit=10)] == [version]  # one retrain ran, not two
        assert Path(published.path).resolve().parent == (replicas.shared_dir / "models" / "serving").resolve()
        lease = LeaseStore(store).get("retrain")
        assert lease is not None and lease.owner is None and lease.last_status == "done", lease

        # every action server now answers with the new version: turns through nginx until each one
        # answered a turn whose logged model version is the new one
        front = int(replicas.front.rsplit(":", 1)[1])
        on_new: set[str] = set()
        deadline = time.monotonic() + 120
        with httpx.Client(base_url=replicas.front, timeout=TURN_TIMEOUT) as client:
            while on_new != {f"127.0.0.1:{p}" for p in replicas.action_ports}:
                assert time.monotonic() < deadline, f"served {version} only on {on_new}\n{replicas.logs()}"
                messages, hops = _turn(replicas, client, f"replicas-new-{uuid.uuid4().hex[:8]}",
                                       "recommend me a comedy from the 90s")
                calls = [h.upstream for h in hops if h.port == replicas.action_front_port]
                assert len(calls) == 1 and any(h.port == front for h in hops), hops
                if store.request_model_version(str(_recommendations(messages)["request_id"])) == version:
                    on_new.add(calls[0])
                else:
                    time.sleep(0.5)
    finally:
        store.engine.dispose()
    for port in replicas.action_ports:  # and each one says so itself
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30,
                            headers={"Authorization": f"Bearer {SECRETS['RECSYS_ACTION_TOKEN']}"}).text
        assert f'recsys_served_model_info{{version="{version}"}} 1.0' in metrics, \
            [line for line in metrics.splitlines() if "served_model" in line]


def test_socketio_through_nginx_stays_on_one_replica(replicas: Replicas) -> None:
    """The web widget's transport through nginx: Engine.IO's long-polling is several HTTP requests per
    session, each of which must reach the replica holding the session (nginx's ip_hash upstream for
    /socket.io/); round robin would answer them "session not found" on the other replica."""
    rasa_python = Path(os.environ.get("RASA_VENV", REPO_ROOT / ".venv-rasa")) / "bin" / "python"
    offset = replicas.log_size()
    result = subprocess.run(
        [str(rasa_python), "tests/e2e/socketio_client.py", replicas.front, uuid.uuid4().hex,
         "recommend me a comedy from the 90s"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, f"{result.stderr[-3000:]}\n{replicas.logs()}"
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out.get("turns") and out["turns"][0], out
    cards = [m for m in out["turns"][0] if m.get("type") == "recommendations"]
    assert len(cards) == 1 and cards[0]["items"], out
    hops = [h for h in replicas.hops_since(offset) if h.uri.startswith("/socket.io/")]
    # every request answered, but for the last: the long poll still open when the client disconnects,
    # which nginx logs as 499 (the client closed it), not a lost session
    failed = [i for i, h in enumerate(hops) if h.status >= 400]
    assert len(hops) >= 3 and failed in ([], [len(hops) - 1]), [(h.uri, h.status, h.upstream) for h in hops]
    assert len({h.upstream for h in hops}) == 1, f"one socket.io session on two replicas: {hops}"
