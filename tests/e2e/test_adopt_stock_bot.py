"""Adoption in minutes, proven on Rasa's own stock bot: `rasa init --no-prompt`, then docs/adopt.md
exactly as written (its `tested` blocks, read from the file by tests/adopt_guide.py): the wheel
installed into a clean Python 3.11 venv, `add-to-bot`, `rasa data validate` and `rasa train`,
MovieLens 100K ingested, the action server and `rasa run` on free loopback ports. Then one
conversation over REST holds a recommendation (a list, a refinement, a like by its button, "why
these") while the stock bot's own intents still answer as before (greet, the mood flow, bot
challenge, goodbye).

Costly the first time on a machine (it trains two Rasa models): alone on 2 cores, 332 s in all, of
which `rasa init` 86 s (the wheel's clean install beside it) and the adopted bot's `rasa train` 181 s.
Rasa's own training cache is kept per machine (tests/adopt_guide.rasa_training_cache), so a later run
restores the unchanged components (Rasa compares their fingerprints): 162 s in all, `rasa train` 20 s.
RECSYS_MODEL_CACHE=off trains every time. The timings are printed (`pytest -s`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from adopt_guide import RASA_VENV, REPO_ROOT, guide_blocks, guide_env, run_block, start_block

from recommender.context import display_title as readable_title

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STARTUP_TIMEOUT = float(os.environ.get("E2E_STARTUP_TIMEOUT", "600"))
TURN_TIMEOUT = 120.0
WARMUP_TIMEOUT = 600.0
FEEDBACK_PAYLOAD = re.compile(r'^/feedback\{"item_id":"(?P<id>[^"]+)","kind":"(?P<kind>like)"\}$')

# What the stock bot says (rasa/cli/initial_project/domain.yml of Rasa 3.6)
STOCK_GREET = "Hey! How are you?"
STOCK_CHEER_UP = "Here is something to cheer you up:"
STOCK_DID_THAT_HELP = "Did that help you?"
STOCK_IAMABOT = "I am a bot, powered by Rasa."
STOCK_GOODBYE = "Bye"


def adoption_settings() -> dict[str, str]:
    """The one place for settings every block gets on top of tests/adopt_guide.guide_env (e.g. the
    tokens of docs/security.md, once the guide asks for them)."""
    return {}


class Timings(dict[str, float]):
    """Seconds per step, printed as each one ends (`pytest -s` shows them, failed runs included)."""

    def __setitem__(self, step: str, seconds: float) -> None:
        super().__setitem__(step, seconds)
        print(f"adoption of the stock bot: {step}: {seconds:.0f} s", flush=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 50) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


class Chat:
    """One REST conversation with a fresh sender id."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.sender = f"adopt-{uuid.uuid4().hex[:10]}"
        self.transcript: list[str] = []

    def say(self, message: str, timeout: float = TURN_TIMEOUT) -> list[dict[str, Any]]:
        response = self.client.post("/webhooks/rest/webhook", json={"sender": self.sender, "message": message},
                                    timeout=timeout)
        assert response.status_code == 200, f"HTTP {response.status_code} for {message!r}\n{self.describe()}"
        messages = response.json()
        self.transcript.append(f"> {message}\n< {json.dumps(messages, ensure_ascii=False)[:700]}")
        return messages

    def describe(self) -> str:
        return "\n".join(self.transcript)


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def recommendations(messages: list[dict[str, Any]]) -> dict[str, Any]:
    found = [m["custom"] for m in messages if (m.get("custom") or {}).get("type") == "recommendations"]
    assert len(found) == 1, f"expected one recommendations payload, got {len(found)}: {messages}"
    assert found[0]["items"], found[0]
    return found[0]


class Servers:
    """The two server blocks of the guide, each in its own process group."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, cwd: Path, env: dict[str, str], ports: dict[str, int]) -> None:
        self.procs[name] = start_block(name, cwd, env, ports, self.log(name))

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def tails(self) -> str:
        return "\n".join(f"--- {name} ---\n{_tail(self.log(name))}" for name in self.procs)

    def wait_ready(self, urls: dict[str, str]) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        ready = dict.fromkeys(urls, False)
        with httpx.Client(timeout=2.0) as probe:
            while not all(ready.values()):
                for name, proc in self.procs.items():
                    if proc.poll() is not None:
                        pytest.fail(f"the {name} server exited with {proc.returncode}\n{self.tails()}", pytrace=False)
                for name, url in urls.items():
                    if not ready[name]:
                        try:
                            ready[name] = probe.get(url).status_code == 200
                        except httpx.HTTPError:
                            pass
                if time.monotonic() > deadline:
                    pytest.fail(f"not ready after {STARTUP_TIMEOUT:.0f} s: {ready}\n{self.tails()}", pytrace=False)
                time.sleep(0.5)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)  # the group we started (bash, the server, sanic's worker)
                except ProcessLookupError:
                    pass
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    running = Servers(tmp_path)
    try:
        yield running
    finally:
        running.stop()


# Rasa 3.6's default config (rasa/engine/recipes/config_files/default_config.yml), which the stock
# bot's config.yml leaves in force, with the epochs of its four neural models cut.
_STOCK_CONFIG_FEWER_EPOCHS = """recipe: default.v1
assistant_id: placeholder_default
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: "char_wb"
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: {epochs}
    constrain_similarities: true
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: {epochs}
    constrain_similarities: true
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies:
  - name: MemoizationPolicy
  - name: RulePolicy
  - name: UnexpecTEDIntentPolicy
    max_history: 5
    epochs: {epochs}
  - name: TEDPolicy
    max_history: 5
    epochs: {epochs}
    constrain_similarities: true
"""
ADOPTED_BOT_EPOCHS = int(os.environ.get("E2E_ADOPTED_BOT_EPOCHS", "40"))


def _train_with_fewer_epochs(bot: Path) -> None:
    """The stock bot's own default config written out with `ADOPTED_BOT_EPOCHS` instead of 100 epochs
    (make test's time, issue 12): the guide never touches config.yml, so this tests the same steps;
    the time a bot developer waits with the full defaults is in docs/measurements.md
    (`E2E_ADOPTED_BOT_EPOCHS=100` measures it again)."""
    stock = (bot / "config.yml").read_text(encoding="utf-8")
    assert "pipeline:\n# #" in stock and "policies:\n# #" in stock, "the stock config is no longer Rasa's defaults"
    (bot / "config.yml").write_text(_STOCK_CONFIG_FEWER_EPOCHS.format(epochs=ADOPTED_BOT_EPOCHS), encoding="utf-8")


def _seed_movielens(var_dir: Path) -> None:
    """The MovieLens wheel `ingest` would download, copied from this checkout's var/ when it is there."""
    from recommender.catalog.movielens import WHEEL_NAME

    fetched = REPO_ROOT / "var" / "data" / "downloads" / WHEEL_NAME
    if fetched.is_file():
        (var_dir / "data" / "downloads").mkdir(parents=True, exist_ok=True)
        shutil.copy2(fetched, var_dir / "data" / "downloads" / WHEEL_NAME)


def _like_rows(database: Path, item_id: str) -> int:
    from sqlalchemy import create_engine, func, select

    from recommender.feedback import LIKE
    from recommender.store.models import FeedbackEventRow

    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            stmt = select(func.count()).select_from(FeedbackEventRow).where(
                FeedbackEventRow.kind == LIKE, FeedbackEventRow.item_id == item_id)
            return int(conn.scalar(stmt) or 0)
    finally:
        engine.dispose()


def test_stock_bot_adopts_the_recommender_as_docs_adopt_md_says(
    tmp_path: Path, request: pytest.FixtureRequest, servers: Servers
) -> None:
    if not (RASA_VENV / "bin" / "rasa").exists():
        pytest.fail(f"rasa not found in {RASA_VENV}: run `make setup` (or set RASA_VENV)", pytrace=False)
    timings = Timings()
    bot = tmp_path / "bot"
    bot.mkdir()
    env = guide_env(tmp_path, REPO_ROOT, adoption_settings())

    # rasa init (it trains the stock model) runs while the wheel is built and installed
    started = time.monotonic()
    init_log = tmp_path / "rasa-init.log"
    with init_log.open("wb") as out:
        init = subprocess.Popen(["rasa", "init", "--no-prompt", "--init-dir", str(bot)], cwd=tmp_path, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        installed = request.getfixturevalue("installed_recommender")
        init.wait(timeout=1800)
    finally:
        if init.poll() is None:
            os.killpg(init.pid, signal.SIGKILL)
    assert init.returncode == 0, f"rasa init failed:\n{_tail(init_log)}"
    timings["rasa init (with the wheel build and install beside it)"] = time.monotonic() - started
    stock_domain = (bot / "domain.yml").read_bytes()
    stock_data = {p.name: p.read_bytes() for p in (bot / "data").glob("*.yml")}

    env = guide_env(tmp_path, installed.source, adoption_settings())
    (bot / ".venv-actions").symlink_to(installed.venv, target_is_directory=True)
    ports = {"action": _free_port(), "rasa": _free_port()}

    out, timings["add-to-bot"] = run_block("add", bot, env, ports)
    assert "moved domain.yml -> domain/domain.yml" in out and "greet: your bot has it" in out, out
    assert (bot / "domain" / "domain.yml").read_bytes() == stock_domain
    assert {p.name: p.read_bytes() for p in (bot / "data").glob("*.yml")} == stock_data

    _train_with_fewer_epochs(bot)
    out, timings["rasa data validate + rasa train"] = run_block("train", bot, env, ports, timeout=3600)
    run_block("settings", bot, env, ports)
    _seed_movielens(bot / "var" / "recommender")
    _, timings["ingest movielens100k"] = run_block("ingest", bot, env, ports)

    started = time.monotonic()
    servers.start("actions", bot, env, ports)
    servers.start("rasa", bot, env, ports)
    rasa_url = f"http://127.0.0.1:{ports['rasa']}"
    action_url = f"http://127.0.0.1:{ports['action']}"
    servers.wait_ready({"rasa": f"{rasa_url}/", "actions": f"{action_url}/health"})
    timings["servers up"] = time.monotonic() - started
    # the action server set up by the guide takes no call without the token Rasa sends
    forged = httpx.post(f"{action_url}/webhook", json={"next_action": "action_forget_me", "sender_id": "x",
                                                       "tracker": {"sender_id": "x", "events": []}}, timeout=30)
    assert forged.status_code == 401, forged.text

    # the guide's own curl, with the first (cold) recommendation
    talk, timings["first answer"] = run_block("talk", bot, env, ports, timeout=WARMUP_TIMEOUT)
    payload = recommendations(json.loads(talk))
    for item in payload["items"]:
        assert "Comedy" in item["genres"] and 1990 <= item["year"] <= 1999, payload["items"]

    with httpx.Client(base_url=rasa_url, timeout=TURN_TIMEOUT) as client:
        chat = Chat(client)
        try:
            started = time.monotonic()
            # the stock bot's own conversation
            assert texts(chat.say("hello")) == [STOCK_GREET], chat.describe()
            sad = chat.say("I am sad")
            assert texts(sad)[:2] == [STOCK_CHEER_UP, STOCK_DID_THAT_HELP], chat.describe()
            assert any(m.get("image") for m in sad), chat.describe()

            # a recommendation, a refinement, a like by its button, "why these"
            first = recommendations(chat.say("recommend me a funny movie from the 90s"))
            older = recommendations(chat.say("make it the 1980s"))
            assert all(1980 <= i["year"] <= 1989 for i in older["items"]), chat.describe()
            assert not {i["item_id"] for i in older["items"]} & {i["item_id"] for i in first["items"]}
            liked = older["items"][0]
            button = liked["feedback"]["like"]
            assert FEEDBACK_PAYLOAD.match(button)["id"] == liked["item_id"], button
            thanks = texts(chat.say(button))
            assert any(readable_title(liked["title"]) in t for t in thanks), chat.describe()
            assert _like_rows(bot / "var" / "recommender" / "recommender.db", liked["item_id"]) == 1
            why = "\n".join(texts(chat.say("why these?")))
            assert any(i["reason"] in why for i in older["items"]), chat.describe()

            # and the stock bot still answers its own intents
            assert texts(chat.say("are you a bot?")) == [STOCK_IAMABOT], chat.describe()
            assert texts(chat.say("bye")) == [STOCK_GOODBYE], chat.describe()
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- conversation ---\n{chat.describe()}\n{servers.tails()}") from None

    timings["conversation"] = time.monotonic() - started
    assert set(guide_blocks()) == {"build", "install", "add", "train", "settings", "ingest", "actions", "rasa",
                                   "talk"}, "a tested block of docs/adopt.md that this test does not run"
