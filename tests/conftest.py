"""Fixtures every test package may use: a fresh SQLite store, a fresh PostgreSQL database, shared data.

Each fixture builds its own state, so no test depends on another having run first.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from recommender.store import Store

# The product default is the packaged local LLM; tests that exercise it (tests/recommender/llm,
# tests/e2e/test_llm_*) choose a backend explicitly, and every other test, including the servers
# the e2e suite starts (they inherit this environment), runs the plain recommender so that no test
# waits for a model load it does not test. tests/recommender/test_config.py checks the default itself.
os.environ.setdefault("RECSYS_LLM_BACKEND", "none")

# Tests never read the developer's settings files: the project's `.env` and the `var/secrets.env`
# that `make run` writes would otherwise change user ids, tokens and URLs under the tests' feet.
# (Servers the e2e suite starts are separate processes and get their secrets from the harness.)
from recommender.config import Settings

Settings.model_config["env_file"] = None

REPO_ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("RECSYS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# Test modules that share a costly session fixture: under pytest-xdist they run on one worker.
_SHARED_WORKER = {
    "tests/packaging/test_wheel_install.py": "installed_recommender",
    "tests/e2e/test_adopt_stock_bot.py": "installed_recommender",
}


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`make test` runs two pytest-xdist workers. Each test module runs whole on one of them (xdist's
    loadfile), so a module's stack or LLM server starts once, and the modules of `_SHARED_WORKER`
    share a worker and so their session fixture. (xdist's own loadgroup cannot group under pytest 9:
    it renames `item._nodeid`, which pytest 9 no longer reads.)"""
    from xdist.scheduler import LoadFileScheduling

    class ModuleScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            return _SHARED_WORKER.get(module, module)

    return ModuleScheduling(config, log)


def shared_data_path(*parts: str) -> Path:
    """A path in the shared data folder: $RECSYS_SHARED_DATA, else <repo>/../shared/data."""
    root = os.environ.get("RECSYS_SHARED_DATA")
    base = Path(root) if root else REPO_ROOT.parent / "shared" / "data"
    return base.joinpath(*parts)


def require_shared_data(*parts: str) -> Path:
    """Like `shared_data_path`, but skips the test (with the reason) when the path is absent."""
    path = shared_data_path(*parts)
    if not path.exists():
        pytest.skip(f"shared data not found at {path}; set RECSYS_SHARED_DATA to the folder holding it")
    return path


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store in a SQLite file of its own."""
    store = Store(f"sqlite:///{tmp_path / 'test.db'}")
    store.migrate()
    yield store
    store.engine.dispose()


@contextmanager
def fresh_postgres_databases(count: int) -> Iterator[list[str]]:
    """`count` fresh databases on the PostgreSQL server (URLs), dropped afterwards; skips when none is
    reachable, and fails instead under RECSYS_REQUIRE_POSTGRES (CI: a green run must include PostgreSQL)."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    names = [f"recsys_test_{uuid.uuid4().hex[:8]}" for _ in range(count)]
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        reason = (f"PostgreSQL not reachable at {POSTGRES_URL} ({exc.__class__.__name__}); "
                  "start it or set RECSYS_TEST_POSTGRES_URL")
        if os.environ.get("RECSYS_REQUIRE_POSTGRES"):
            pytest.fail(f"{reason} (RECSYS_REQUIRE_POSTGRES is set)", pytrace=False)
        pytest.skip(reason)
    try:
        yield [POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}" for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the PostgreSQL server, dropped afterwards; skips when none is reachable."""
    with fresh_postgres_databases(1) as (url,):
        yield url


@pytest.fixture(scope="session")
def postgres_databases() -> Callable[[int], AbstractContextManager[list[str]]]:
    """`with postgres_databases(n) as urls:` fresh databases for a fixture of a wider scope (a stack)."""
    return fresh_postgres_databases


@pytest.fixture
def shared_data() -> Callable[..., Path]:
    """`shared_data("goodbooks-10k", "books.csv")`: the path, or a skip with the reason when absent."""
    return require_shared_data


@pytest.fixture(scope="session")
def installed_recommender(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The rasa-recommender wheel built and installed into a clean Python 3.11 venv, by docs/adopt.md's
    own `build` and `install` blocks (tests/adopt_guide.py); once per session (about 2 minutes)."""
    from adopt_guide import build_and_install

    return build_and_install(tmp_path_factory.mktemp("adopt-wheel"))

