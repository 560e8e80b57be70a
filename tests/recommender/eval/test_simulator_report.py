"""The report maths on hand-computed cases, and the files it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.eval.simulator.acts import Act, Constraints, explained
from recommender.eval.simulator.catalog import SimCatalog, Target
from recommender.eval.simulator.dialogue import Dialogue, Turn, count_violations, violation_kinds
from recommender.eval.simulator.report import (
    average_turns,
    compare,
    percentile,
    success_rate,
    summarize,
    wilson_interval,
    write_report,
    write_transcripts,
)
from recommender.types import Item


def test_success_rate_at_k() -> None:
    turns = [1, 5, 6, 15, None]
    assert success_rate(turns, 5) == pytest.approx(2 / 5)
    assert success_rate(turns, 10) == pytest.approx(3 / 5)
    assert success_rate(turns, 15) == pytest.approx(4 / 5)
    assert success_rate([], 5) == 0.0


def test_average_turns_of_successes_and_overall() -> None:
    assert average_turns([2, 4, None, None], 15) == (3.0, (2 + 4 + 15 + 15) / 4)
    assert average_turns([None], 15) == (None, 15.0)
    assert average_turns([], 15) == (None, None)


def test_percentile_interpolates_like_numpy() -> None:
    assert percentile([10.0, 20.0, 30.0, 40.0], 50) == pytest.approx(25.0)
    assert percentile([10.0, 20.0, 30.0, 40.0], 95) == pytest.approx(38.5)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_wilson_interval() -> None:
    low, high = wilson_interval(10, 20)
    assert low == pytest.approx(0.2993, abs=1e-3) and high == pytest.approx(0.7007, abs=1e-3)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(0, 0) == (0.0, 0.0)


def test_ratio_bot_over_yardstick() -> None:
    ratios = compare({"sr@5": 0.2, "sr@10": 0.3, "sr@15": 0.4, "avg_turns_success": 6.0, "avg_turns_all": 12.0},
                     {"sr@5": 0.4, "sr@10": 0.6, "sr@15": 0.8, "avg_turns_success": 3.0, "avg_turns_all": 0.0})
    assert ratios == {"sr@5": 0.5, "sr@10": 0.5, "sr@15": 0.5, "avg_turns_success": 2.0, "avg_turns_all": None}


def _catalog() -> SimCatalog:
    return SimCatalog.build([
        Item("1", "A (1990)", 1990, ("Comedy",)),
        Item("2", "B (1975)", 1975, ("Comedy", "Horror")),
        Item("3", "C (1995)", 1995, ("Drama",)),
    ])


def test_violations_count_items_unless_the_bot_said_it_relaxed_that_kind() -> None:
    cat = _catalog()
    stated = Constraints(genres=frozenset({"Comedy"}), excluded=frozenset({"Horror"}), year_from=1985)
    assert stated.violations(cat.items["2"]) == ["exclude:Horror", "years"]
    assert count_violations(stated, ["1", "2", "3", "999"], (), cat) == 2  # 2 and 3; 999 is out of catalog
    assert count_violations(stated, ["2"], ("exclude:Horror",), cat) == 1  # the years are still broken
    assert count_violations(stated, ["2"], ("exclude:Horror", "years"), cat) == 0
    assert count_violations(stated, ["3"], ("genre:Comedy",), cat) == 0
    assert count_violations(stated, ["3"], ("genre:Drama",), cat) == 1
    assert violation_kinds(stated, ["1", "2", "3"], (), cat) == ["exclude", "genre"]
    assert explained("genre:Comedy", ("genre",)) and explained("years", ("decade",))
    assert not explained("years", ())


def test_constraints_accumulate_genres_and_intersect_windows() -> None:
    c = Constraints().apply(Act("genre", genre="Western")).apply(Act("add_genre", genre="Drama"))
    c = c.apply(Act("older", year_to=1990)).apply(Act("newer", year_from=1970)).apply(Act("older", year_to=1980))
    assert c.genres == {"Western", "Drama"} and (c.year_from, c.year_to) == (1970, 1980)
    assert c.apply(Act("other")) == c


def _dialogue(success_turn: int | None, latencies: list[float], shown: list[tuple[str, ...]],
              oov: int = 0, violations: int = 0) -> Dialogue:
    target = Target("1", "A (1990)", 1990, ("Comedy",))
    turns = [Turn(number=n + 1, text="x", act=Act("other"), item_ids=ids, relaxed=(), question=None,
                  latency_ms=ms, violations=violations, out_of_catalog=tuple(["x"] * oov), leaked=False,
                  violated=("years",) * violations)
             for n, (ms, ids) in enumerate(zip(latencies, shown, strict=True))]
    return Dialogue(target, 0, False, turns, success_turn)


def test_summary_of_hand_made_dialogues() -> None:
    dialogues = [
        _dialogue(2, [100.0, 200.0], [("2",), ("1",)]),
        _dialogue(None, [300.0, 400.0, 500.0], [("2", "3"), (), ("999",)], oov=1, violations=1),
    ]
    summary = summarize(dialogues, max_turns=3)
    assert summary["users"] == 2 and summary["sr@5"] == 0.5
    assert summary["avg_turns_success"] == 2.0 and summary["avg_turns_all"] == 2.5
    assert summary["shown_items"] == 5 and summary["out_of_catalog"] == 3 and summary["violations"] == 3
    assert summary["latency_ms_p50"] == 300.0 and summary["latency_ms_p95"] == pytest.approx(480.0)
    assert summary["success_curve"] == [0.0, 0.5, 0.5]
    assert summary["empty_turns"] == 1 and summary["title_leaks"] == 0
    assert summary["violations_by_kind"] == {"years": 3}


def test_report_files_merge_pools_across_runs(tmp_path: Path) -> None:
    dialogues = [_dialogue(2, [100.0, 200.0], [("2",), ("1",)])]
    summary = summarize(dialogues, 3)

    def section(seed: int) -> dict[str, object]:
        return {"config": {"seed": seed, "max_turns": 3, "k": 5, "command": "x"}, "bot": summary,
                "yardstick": summary, "ratio": compare(summary, summary)}

    write_report({"popular": section(1)}, tmp_path)
    paths = write_report({"all": section(2)}, tmp_path)
    report = json.loads(paths["json"].read_text())
    assert set(report["runs"]) == {"popular", "all"}
    text = paths["markdown"].read_text()
    assert "Pool `popular`" in text and "Pool `all`" in text and "| SR@15 |" in text
    assert paths["chart"].stat().st_size > 1000
    assert write_transcripts([*dialogues, _dialogue(None, [1.0], [()])], tmp_path / "f.jsonl") == 1
    row = json.loads((tmp_path / "f.jsonl").read_text())
    assert row["success_turn"] is None and row["target"]["item_id"] == "1"
    broke = _dialogue(2, [1.0, 2.0], [("2",), ("1",)], violations=1)
    assert write_transcripts([*dialogues, broke], tmp_path / "v.jsonl", only_failures=False,
                             only_violations=True) == 1
    assert json.loads((tmp_path / "v.jsonl").read_text())["success_turn"] == 2
