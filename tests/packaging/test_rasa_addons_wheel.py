"""The Rasa side of the split: `rasa-recommender-rasa-addons` builds as a wheel for Rasa's Python and
its modules import from the installed copy in Rasa 3.6's environment."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = REPO_ROOT / ".venv-rasa" / "bin" / "python"
# every module of rasa_addons/ must be in the wheel and import in Rasa's Python
MODULES = tuple(sorted(p.stem for p in (REPO_ROOT / "rasa_addons").glob("*.py") if p.stem != "__init__"))

CHECK = """
import importlib, json, sys
names = {names!r}
loaded = {{n: importlib.import_module("rasa_addons." + n).__file__ for n in names}}
from rasa_addons.rest_channel import RecommenderRestInput
from rasa_addons.tracker_store import ForgetfulSQLTrackerStore
print(json.dumps({{"files": loaded, "python": sys.version_info[:2], "rest": RecommenderRestInput.name()}}))
"""


@pytest.mark.slow
def test_the_rasa_side_wheel_installs_into_rasas_python(tmp_path: Path) -> None:
    if not RASA_PYTHON.exists():
        pytest.fail(f"Rasa's venv not found at {RASA_PYTHON}: run `make setup`", pytrace=False)
    dist, target, source = tmp_path / "dist", tmp_path / "site", tmp_path / "source"
    # built from a copy: setuptools leaves build/ and *.egg-info beside the pyproject it builds
    shutil.copytree(REPO_ROOT / "rasa_addons", source,
                    ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    subprocess.run([str(RASA_PYTHON), "-m", "pip", "wheel", "-q", "--no-deps", str(source), "-w", str(dist)],
                   check=True, capture_output=True, text=True, timeout=600)
    (wheel,) = dist.glob("rasa_recommender_rasa_addons-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"rasa_addons/{m}.py" for m in MODULES} <= names
    assert not any(n.startswith(("recommender/", "tests/")) or n.endswith("pyproject.toml") for n in names)
    subprocess.run([str(RASA_PYTHON), "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True, timeout=600)
    # run from the install folder: the checkout's own rasa_addons/ is not on the path
    out = subprocess.run([str(RASA_PYTHON), "-c", CHECK.format(names=MODULES)], cwd=target, check=True,
                         capture_output=True, text=True, timeout=600)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert all(Path(f).is_relative_to(target) for f in report["files"].values()), report
    assert tuple(report["python"]) == (3, 10) and report["rest"] == "rest"
