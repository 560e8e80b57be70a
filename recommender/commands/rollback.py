"""Roll back the served model: withdraw the newest published version (or every published version
newer than --to VERSION), so the action servers swap back to the previous published one within
RECSYS_MODEL_CHECK_SECONDS. Withdrawn versions are marked `rejected` with the reason; their files
stay until pruned. The next retrain is evaluated against the version that serves after the
rollback. Prints one JSON object: {"withdrawn": [...], "serving": VERSION or null}.
"""

from __future__ import annotations

import argparse

HELP = "withdraw the newest published model version(s); the previous one serves again"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--to, --reason, --database-url."""
    from recommender.commands.common import add_database_argument

    parser.add_argument("--to", metavar="VERSION", default=None,
                        help="withdraw every published version newer than VERSION (which then serves)")
    parser.add_argument("--reason", default="rolled back by hand", help="stored with each withdrawn version")
    add_database_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Withdraw; exit 1 with a message when there is nothing to roll back to."""
    import json
    from pathlib import Path

    from recommender.commands.common import settings_from
    from recommender.errors import RecommenderError
    from recommender.store import get_store

    store = get_store(settings_from(args))
    published = [v for v in store.model_versions(limit=10_000) if v.status == "published"]  # newest first
    if args.to is None:
        if len(published) < 2:
            raise RecommenderError("nothing to roll back to: fewer than two published versions")
        target = published[1]
    else:
        matches = [v for v in published if v.version == args.to]
        if not matches:
            raise RecommenderError(f"--to {args.to}: not a published version "
                                   f"(published: {', '.join(v.version for v in published[:10]) or 'none'})")
        target = matches[0]
    if not (Path(target.path) / "manifest.json").is_file():
        raise RecommenderError(f"{target.version}: its files are gone ({target.path}); pick a newer one with --to")
    withdrawn = [v.version for v in published if v.created_at > target.created_at]
    for version in withdrawn:
        store.withdraw_model_version(version, args.reason)
    serving = store.latest_published_version()
    print(json.dumps({"withdrawn": withdrawn, "serving": serving.version if serving else None}))
    return 0
