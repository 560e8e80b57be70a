"""`python -m recommender COMMAND ...`: the command-line tools, one module per command.

To add a command, write `recommender/commands/<name>.py` (see `recommender.commands`) and add one
line to `COMMANDS`. Errors the recommender raises on purpose end the program with their message
and exit code 1, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from recommender.errors import RecommenderError

# command name -> module with HELP, add_arguments(parser) and run(args) -> int
COMMANDS: dict[str, str] = {
    "ingest": "recommender.commands.ingest",
    "evaluate": "recommender.commands.evaluate",
    "train": "recommender.commands.train",
    "prompts-report": "recommender.commands.prompts_report",
    "replay": "recommender.commands.replay",
    "retrain": "recommender.commands.retrain",
    "worker": "recommender.commands.worker",
    "forget": "recommender.commands.forget",
    "spool": "recommender.commands.spool",
    "rollback": "recommender.commands.rollback",
    "simulate": "recommender.commands.simulate",
    "enrich": "recommender.commands.enrich",
    "add-to-bot": "recommender.commands.add_to_bot",
    "load": "recommender.commands.load",
}


def build_parser() -> argparse.ArgumentParser:
    """The parser with every registered command as a subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m recommender",
        description="Command-line tools of the conversational recommender.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output on stderr (-vv: debug)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(
            name, help=module.HELP, description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv`, run the command, return its exit code."""
    args = build_parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.run(args))
    except RecommenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
