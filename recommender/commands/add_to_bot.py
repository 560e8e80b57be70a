"""Add the recommender to an existing Rasa 3.6 project (docs/adopt.md).

Writes the recommender's intents, entities, slots, responses and actions (`domain/recommender.yml`),
its NLU examples, rules and example stories (`data/recommender/`) as new files, leaving out
everything the bot defines itself, and prints what it added, what it left out and what to do next.
The bot's own files keep their content. A bot whose domain is one file (`domain.yml`) has it moved,
unchanged, into `domain/`, because Rasa merges several domain files only from a folder: train with
`--domain domain` from then on. When endpoints.yml has no `action_endpoint`, one is appended.
Running the command again replaces only the files it wrote before.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "add the recommender's intents, responses, actions, rules and stories to an existing Rasa project"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """PATH, --domain, --data, --endpoints, --action-url, --action-token-env, --dry-run."""
    from recommender.bot.project import DEFAULT_ACTION_URL

    parser.add_argument("path", type=Path, metavar="PATH", help="the Rasa project's folder (where config.yml is)")
    parser.add_argument("--domain", default=None,
                        help="its domain file or folder, relative to PATH (default: domain/, else domain.yml)")
    parser.add_argument("--data", default="data", help="its training data folder, relative to PATH (default: data)")
    parser.add_argument("--endpoints", default="endpoints.yml", help="its endpoints file, relative to PATH")
    parser.add_argument("--action-url", default=DEFAULT_ACTION_URL,
                        help=f"the action server's webhook, if endpoints.yml has none (default: {DEFAULT_ACTION_URL})")
    parser.add_argument("--action-token-env", metavar="VAR", default=None,
                        help="with an appended action_endpoint, have Rasa send `Authorization: Bearer ${VAR}` "
                        "(e.g. RECSYS_ACTION_TOKEN, which the action server then requires; docs/security.md)")
    parser.add_argument("--languages", default="en", type=_languages,
                        help="the training data to add: en (default) or en,zh for the Chinese examples too, which "
                        "need rasa_addons' bilingual tokenizer and language detector in config.yml (docs/chinese.md)")
    parser.add_argument("--dry-run", action="store_true", help="print what would be done; change nothing")


def _languages(value: str) -> tuple[str, ...]:
    from recommender.phrases import LANGUAGES

    wanted = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [v for v in wanted if v not in LANGUAGES]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(f"unknown language {', '.join(unknown) or value!r}; choose from {', '.join(LANGUAGES)}")
    return wanted


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _names(items: list[str], limit: int = 12) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def report(result: object, root: Path, dry_run: bool) -> str:
    """The text printed for an `Installation`."""
    from recommender.bot.project import Installation

    assert isinstance(result, Installation)
    addition = result.addition
    def did(done: str, planned: str) -> str:
        return f"would {planned}" if dry_run else done

    lines = [f"{'Dry run: nothing changed. ' if dry_run else ''}Recommender added to {root}:"]
    if result.moved:
        source, target = result.moved
        lines.append(f"  {did('moved', 'move')} {_rel(source, root)} -> {_rel(target, root)} (content unchanged): Rasa merges "
                     "several domain files only from a folder")
    for path in result.removed:
        lines.append(f"  {did('removed', 'remove')} {_rel(path, root)} (written by an earlier add-to-bot)")
    for path in result.written:
        lines.append(f"  {did('wrote', 'write')} {_rel(path, root)}")
    if result.endpoint_added:
        lines.append(f"  {did('appended', 'append')} action_endpoint {result.endpoint_added} to endpoints.yml")
    if result.endpoint_kept:
        lines.append(f"  kept your action_endpoint {result.endpoint_kept}: the action server must listen there "
                     "(with RECSYS_ACTION_TOKEN set, give it `headers:` `Authorization: Bearer ${RECSYS_ACTION_TOKEN}`, unquoted)")
    lines.append("Added:")
    for kind, names in addition.added.items():
        lines.append(f"  {kind} ({len(names)}): {_names(names)}")
    if addition.skipped:
        lines.append("Left out (your bot's own, or only used by what is left out):")
        for kind, reasons in addition.skipped.items():
            lines.append(f"  {kind}: {_names(reasons, 8)}")
    for warning in addition.warnings:
        lines.append(f"Warning: {warning}")
    domain = _rel(result.domain_folder, root) if result.domain_folder else "domain"
    endpoint = result.endpoint_kept or result.endpoint_added or ""
    port = endpoint.rsplit(":", 1)[-1].split("/", 1)[0] if endpoint.count(":") >= 2 else "5055"
    lines += [
        "Next (docs/adopt.md):",
        f"  1. Rasa reads the domain from the folder now: `rasa data validate --domain {domain}`, "
        f"`rasa train --domain {domain}`.",
        "  2. In the action server's Python 3.11 environment (where rasa-recommender is installed), load a catalog:",
        "     `python -m recommender ingest movielens100k` (or your own, docs/importing.md); set RECSYS_VAR_DIR "
        "(or RECSYS_DATABASE_URL) the same for this and the action server.",
        f"  3. Start the action server there: `python -m recommender.actionserver --actions recommender.actions "
        f"--port {port}`; Rasa calls it at {endpoint or 'the action_endpoint in endpoints.yml'}.",
        "     Your bot has custom actions of its own? Serve them from the same server: import recommender.actions "
        "in your actions package and pass `--actions <your package>`.",
        "  4. `rasa run` as usual. Before going public, read docs/security.md (tokens, CORS, secrets).",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Install (or with --dry-run plan) and print the report."""
    from recommender.bot.project import BotProject, install

    project = BotProject.locate(args.path, domain=args.domain, data=args.data, endpoints=args.endpoints)
    result = install(project, action_url=args.action_url, dry_run=args.dry_run, token_env=args.action_token_env,
                     languages=args.languages)
    print(report(result, project.root, args.dry_run))
    return 0
