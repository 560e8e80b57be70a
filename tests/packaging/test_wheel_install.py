"""The rasa-recommender wheel installs into a clean Python 3.11 venv and works from there.

The wheel is built and installed by docs/adopt.md's own `build` and `install` blocks
(`installed_recommender` in tests/conftest.py: `pip wheel --no-deps .`, a new venv,
`pip install -c requirements/app.txt <wheel>`, torch's CPU build from /opt/wheels where it exists).
Every check runs the venv's own Python from a folder with nothing else in it, so nothing of this
repository is importable there but what the wheel installed.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from adopt_guide import REPO_ROOT, WHEELS_DIR

from recommender.bot import DOMAIN_FILE

pytestmark = pytest.mark.slow


def run(installed, *argv: str, cwd: Path | None = None) -> str:
    done = subprocess.run([*argv], cwd=cwd or installed.home, env=installed.env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def in_venv(installed, code: str) -> object:
    """Run `code` (which prints one JSON value) with the venv's Python; the value."""
    return json.loads(run(installed, str(installed.python), "-c", code).strip().splitlines()[-1])


def test_the_wheel_holds_one_top_level_package_and_its_data(installed_recommender) -> None:
    names = zipfile.ZipFile(installed_recommender.wheel).namelist()
    top = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert top == {"recommender"}, top  # no actions, rasa_addons, tests or benchmarks
    for rel in ("recommender/bot/domain.yml", "recommender/bot/data/nlu/recommend.yml",
                "recommender/bot/data/rules/recommend.yml", "recommender/bot/data/stories/search.yml",
                "recommender/store/migrations/env.py", "recommender/store/migrations/script.py.mako",
                "recommender/store/migrations/versions/0001_initial_schema.py",
                *(f"recommender/llm/prompts/{p.name}" for p in (REPO_ROOT / "recommender/llm/prompts").glob("*.txt"))):
        assert rel in names, rel


def test_console_script_runs(installed_recommender) -> None:
    out = run(installed_recommender, str(installed_recommender.venv / "bin" / "rasa-recommender"), "--help")
    assert "add-to-bot" in out and "ingest" in out


def test_actions_import_and_register_under_their_namespace(installed_recommender) -> None:
    found = in_venv(installed_recommender, """
import importlib.util, json, recommender
from rasa_sdk.executor import ActionExecutor
executor = ActionExecutor()
executor.register_package("recommender.actions")
print(json.dumps({"actions": sorted(executor.actions), "module": recommender.__file__,
                  "top_level_actions": importlib.util.find_spec("actions") is not None}))
""")
    domain_actions = set(yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["actions"])
    assert set(found["actions"]) == domain_actions
    assert "site-packages" in found["module"]  # the installed copy, not this checkout
    assert not found["top_level_actions"]


def test_prompts_and_conversation_files_are_installed(installed_recommender) -> None:
    found = in_venv(installed_recommender, """
import json
from recommender.bot import DATA_KINDS, DOMAIN_FILE, data_files
from recommender.llm.prompts import PROMPTS_DIR
print(json.dumps({"prompts": sorted(p.name for p in PROMPTS_DIR.glob("*.txt")), "domain": DOMAIN_FILE.is_file(),
                  "data": sorted(f"{k}/{p.name}" for k in DATA_KINDS for p in data_files(k))}))
""")
    assert found["prompts"] == sorted(p.name for p in (REPO_ROOT / "recommender/llm/prompts").glob("*.txt"))
    assert found["domain"]
    assert found["data"] == sorted(f"{k}/{p.name}" for k in ("nlu", "rules", "stories")
                                   for p in (REPO_ROOT / "recommender/bot/data" / k).glob("*.yml"))


def test_migrations_and_import_run_from_the_installed_package(installed_recommender, tmp_path: Path) -> None:
    catalog = tmp_path / "films.csv"
    catalog.write_text("id,title,year\n1,Heat (1995),1995\n2,Up (2009),2009\n", encoding="utf-8")
    out = run(installed_recommender, str(installed_recommender.venv / "bin" / "rasa-recommender"), "ingest", "file",
              str(catalog), "--map", "item_id=id", "--map", "title=title", "--map", "year=year",
              "--database-url", f"sqlite:///{tmp_path / 'db.sqlite'}")
    report = json.loads(out.strip().splitlines()[-1])
    assert report["ok"] and report["imported"] == 2, report


def test_torch_is_the_cpu_build(installed_recommender) -> None:
    found = in_venv(installed_recommender, """
import json, importlib.metadata as m, torch
print(json.dumps({"torch": torch.__version__, "cuda_packages": sorted(d.metadata["Name"] for d in m.distributions()
                  if d.metadata["Name"].lower().startswith("nvidia"))}))
""")
    assert not found["cuda_packages"], found
    if WHEELS_DIR.is_dir():
        assert found["torch"].endswith("+cpu"), found

