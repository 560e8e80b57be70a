"""Subcommands of `python -m recommender`, one module each.

A command module defines `HELP` (one line for `--help`), `add_arguments(parser)` and
`run(args) -> int` (the exit code). Register it in `recommender.cli.COMMANDS`. Keep imports of
heavy libraries inside `run`, so `--help` stays fast.
"""
