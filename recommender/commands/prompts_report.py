"""Show how each prompt variant is doing: pulls, positive feedback, posterior and P(best).

  python -m recommender prompts-report            # one JSON object on stdout
  python -m recommender prompts-report --table    # aligned text

Variants configured in RECSYS_LLM_PROMPT_VARIANTS appear even before their first use.
"""

from __future__ import annotations

import argparse
import json

from recommender.commands.common import add_database_argument, settings_from

HELP = "per-variant statistics of the LLM prompt bandit (pulls, positive feedback, P(best))"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--database-url and --table."""
    add_database_argument(parser)
    parser.add_argument("--table", action="store_true", help="print an aligned table instead of JSON")


def run(args: argparse.Namespace) -> int:
    """Read the bandit's tables and the turn log, print the report."""
    from recommender.llm.bandit import PromptBandit
    from recommender.llm.pipeline import explain_variants
    from recommender.llm.report import format_table, variant_report
    from recommender.store import Store
    from recommender.store.prompt_stats import PromptStatsStore

    settings = settings_from(args)
    store = Store(settings.resolved_database_url)
    store.migrate()
    stats_store = PromptStatsStore(store)
    variants = explain_variants(settings)
    bandit = PromptBandit(stats_store, variants)
    stats = bandit.report() + [s for s in stats_store.all_stats() if s.task not in variants]
    report = variant_report(stats, stats_store.logged_versions(settings.like_threshold))
    print(format_table(report) if args.table else json.dumps(report))
    return 0
