#!/usr/bin/env python3
"""Read `rasa test nlu` reports and fail below the NLU thresholds (make test-nlu).

    python scripts/nlu_report.py results/nlu --min-intent-f1 0.95 --min-entity-f1 0.90 [--markdown]

Reads `intent_report.json` (intent macro-F1 = its "macro avg") and `DIETClassifier_report.json`
(entity F1 = "micro avg" over entity labels, the `no_entity` tokens left out as Rasa does).
Standard library only, so any Python runs it. Exit status 1 when a score is below its threshold
or a report is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

SUMMARY_KEYS = {"accuracy", "micro avg", "macro avg", "weighted avg"}


def load(path: Path) -> dict:
    """A Rasa report as a dict; a missing file is a clear error, not a traceback."""
    if not path.is_file():
        raise SystemExit(f"{path} not found: run `rasa test nlu --nlu tests/nlu/test_nlu.yml --out {path.parent}` first")
    return json.loads(path.read_text(encoding="utf-8"))


def intent_macro_f1(report: dict) -> float:
    return float(report["macro avg"]["f1-score"])


def entity_micro_f1(report: dict) -> float:
    """Micro-F1 over entity labels; sklearn writes "accuracy" instead when every label is predicted."""
    if "micro avg" in report:
        return float(report["micro avg"]["f1-score"])
    return float(report["accuracy"])


def labels(report: dict) -> dict[str, dict]:
    return {name: row for name, row in report.items() if name not in SUMMARY_KEYS and isinstance(row, dict)}


def confusions(report: dict, errors: list[dict] | None = None) -> list[tuple[int, str, str]]:
    """(count, gold intent, predicted intent), most frequent first.

    Counted from `intent_errors.json` when there is one: the report's "confused_with" keeps
    only the two most frequent wrong intents of each gold intent.
    """
    if errors is not None:
        counts = Counter((e["intent"], e["intent_prediction"]["name"]) for e in errors)
        found = [(n, gold, predicted) for (gold, predicted), n in counts.items()]
    else:
        found = [(n, gold, predicted) for gold, row in labels(report).items()
                 for predicted, n in (row.get("confused_with") or {}).items()]
    return sorted(found, key=lambda c: (-c[0], c[1], c[2]))


def markdown(intents: dict, entities: dict, errors: list[dict] | None = None) -> str:
    """Per-intent and per-entity tables plus the confusions, for docs/evaluation/nlu.md."""
    lines = ["| intent | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for name, row in sorted(labels(intents).items()):
        lines.append(f"| {name} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1-score']:.3f} | {row['support']} |")
    lines += ["", "| entity | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for name, row in sorted(labels(entities).items()):
        lines.append(f"| {name} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1-score']:.3f} | {row['support']} |")
    lines += ["", "| count | gold intent | predicted as |", "|---:|---|---|"]
    lines += [f"| {n} | {gold} | {predicted} |" for n, gold, predicted in confusions(intents, errors)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="the --out folder of `rasa test nlu`")
    parser.add_argument("--min-intent-f1", type=float, default=0.95)
    parser.add_argument("--min-entity-f1", type=float, default=0.90)
    parser.add_argument("--markdown", action="store_true", help="also print the tables in Markdown")
    args = parser.parse_args(argv)

    intents = load(args.results / "intent_report.json")
    entities = load(args.results / "DIETClassifier_report.json")
    errors_path = args.results / "intent_errors.json"
    errors = json.loads(errors_path.read_text(encoding="utf-8")) if errors_path.is_file() else None
    intent_f1, entity_f1 = intent_macro_f1(intents), entity_micro_f1(entities)
    sentences = sum(int(row["support"]) for row in labels(intents).values())

    print(f"test sentences: {sentences}")
    print(f"intent macro-F1: {intent_f1:.4f} (threshold {args.min_intent_f1})")
    print(f"entity micro-F1: {entity_f1:.4f} (threshold {args.min_entity_f1})")
    for n, gold, predicted in confusions(intents, errors)[:10]:
        print(f"  {n} x {gold} -> {predicted}")
    if args.markdown:
        print(markdown(intents, entities, errors))

    failed = []
    if intent_f1 < args.min_intent_f1:
        failed.append(f"intent macro-F1 {intent_f1:.4f} < {args.min_intent_f1}")
    if entity_f1 < args.min_entity_f1:
        failed.append(f"entity F1 {entity_f1:.4f} < {args.min_entity_f1}")
    if failed:
        print("FAILED: " + "; ".join(failed), file=sys.stderr)
        return 1
    print("NLU thresholds met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
