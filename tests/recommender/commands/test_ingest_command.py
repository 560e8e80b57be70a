"""`python -m recommender ingest ...`: exit codes, the JSON report on stdout, clear errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from recommender.cli import COMMANDS, main
from recommender.store import Store

REPO_ROOT = Path(__file__).resolve().parents[3]


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


def test_module_entry_point_runs() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, "-m", "recommender", "--help"], capture_output=True, text=True,
                            cwd=REPO_ROOT, env=env, timeout=60, check=False)
    assert result.returncode == 0 and "ingest" in result.stdout


def test_ingest_file_prints_one_json_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "books.csv"
    path.write_text(
        'book_id,name,tags,writers\n1,Dune,sf|classic,"Frank Herbert, Someone"\n2,Emma,romance,Jane Austen\n'
    )
    code = main(["ingest", "file", str(path), "--map", "item_id=book_id", "--map", "title=name",
                 "--map", "genres=tags", "--map", "people=writers", "--people-sep", ", ",
                 "--database-url", _url(tmp_path), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["ok"] is True and report["imported"] == 2 and report["bad"] == 0
    assert "imported 2 items" in captured.err
    store = Store(_url(tmp_path))
    dune = store.get_item("1")
    assert dune is not None and dune.genres == ("sf", "classic") and dune.people == ("Frank Herbert", "Someone")


def test_bad_rows_exit_1_with_line_numbers_and_no_traceback(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.csv"
    path.write_text("item_id,title,year\n1,A,1999\n2,,2000\n3,C,year two thousand\n")
    code = main(["ingest", "file", str(path), "--map", "year=year", "--database-url", _url(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1
    assert "line 3: title is empty" in captured.err and "line 4: year" in captured.err
    assert "Traceback" not in captured.err
    assert json.loads(captured.out)["ok"] is False
    assert Store(_url(tmp_path)).count_items() == 0


def test_skip_bad_rows_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"item_id": "1", "title": "A"}\n{"item_id": "2"}\n')
    code = main(["ingest", "file", str(path), "--skip-bad-rows", "--database-url", _url(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0
    report = json.loads(captured.out)
    assert (report["imported"], report["bad"]) == (1, 1) and report["problems"][0]["line"] == 2
    assert "skipped line 2" in captured.err


def test_missing_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ingest", "goodbooks", "--path", str(tmp_path / "nope.csv"), "--database-url", _url(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1 and "nope.csv: no such file" in captured.err and "Traceback" not in captured.err


def test_bad_map_argument_is_rejected_by_the_parser(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["ingest", "file", "x.csv", "--map", "colour=red"])
    assert caught.value.code == 2
    assert "FIELD one of item_id, title" in capsys.readouterr().err


@pytest.mark.realdata
def test_ingest_goodbooks_preset(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 shared_data: Callable[..., Path]) -> None:
    books = shared_data("goodbooks-10k", "books.csv")
    code = main(["ingest", "goodbooks", "--path", str(books), "--database-url", _url(tmp_path)])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["imported"] == 10000
