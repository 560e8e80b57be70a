"""An existing Rasa 3.x project on disk, and installing the recommender's part into it.

Everything is added as new files; the bot's own files keep their content:

- the domain: Rasa reads one domain path, a file or a folder whose files it merges
  (`rasa train --domain DIR`, `Domain.from_directory`). A bot with a folder gets
  `<folder>/recommender.yml`. A bot with one file (`domain.yml`, as `rasa init` makes it) has the
  file moved, unchanged, into a folder of the same name (`domain/domain.yml`) beside
  `domain/recommender.yml`; from then on Rasa is given `--domain domain`.
- the training data: `<data>/recommender/{nlu,rules,stories}/*.yml` (Rasa reads every file under
  `data/`).
- endpoints.yml: when it has no `action_endpoint`, one is appended at its end (or the file is made).

The files written carry a first line that marks them as the recommender's; running add-to-bot
again replaces exactly those (after an upgrade of the package, say), and refuses to touch
anything else in their place.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recommender import __version__
from recommender.bot import DATA_KINDS, DOMAIN_FILE, FILES_DIR, LANGUAGE_DATA, data_files
from recommender.bot.plan import Addition, plan_addition
from recommender.bot.rasa_yaml import Definitions, read_plain, round_trip_yaml
from recommender.errors import ConfigurationError

MARKER = "# Installed by rasa-recommender"
DATA_SUBDIR = "recommender"
DOMAIN_PART = "recommender.yml"
DEFAULT_ACTION_URL = "http://127.0.0.1:5055/webhook"


def _header(source: str) -> str:
    return (f"{MARKER} {__version__} (`python -m recommender add-to-bot`) from its {source}.\n"
            "# Running add-to-bot again replaces this file: change the bot in your own files instead.\n")


def is_ours(path: Path) -> bool:
    """Whether add-to-bot wrote this file (its first line is the marker)."""
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.readline().startswith(MARKER)
    except (OSError, UnicodeDecodeError):
        return False


def _yaml_files(folder: Path) -> Iterator[Path]:
    for pattern in ("*.yml", "*.yaml"):
        yield from folder.rglob(pattern)


@dataclass
class BotProject:
    """Where a Rasa project keeps its domain, training data and endpoints."""

    root: Path
    domain: Path  # a file or a folder
    data: Path
    endpoints: Path
    config: Path

    @classmethod
    def locate(cls, root: Path, domain: str | None = None, data: str = "data", endpoints: str = "endpoints.yml",
               config: str = "config.yml") -> BotProject:
        """The project at `root`: its domain (given, else a `domain/` folder, else `domain.yml`), data, endpoints."""
        root = root.resolve()
        if not root.is_dir():
            raise ConfigurationError(f"{root} is not a folder: give the path of your Rasa project")
        if domain:
            domain_path = root / domain
        else:
            candidates = [root / "domain", root / "domain.yml", root / "domain.yaml"]
            domain_path = next((p for p in candidates if p.exists()), candidates[1])
        if not domain_path.exists():
            raise ConfigurationError(f"no domain at {domain_path}: is {root} a Rasa project? (--domain names another file)")
        if domain_path.is_file() and domain_path.with_suffix("").exists():
            raise ConfigurationError(
                f"{domain_path.name} is one file and {domain_path.with_suffix('').name}/ exists too: add-to-bot would "
                f"move the file into that folder; pass --domain with the one Rasa uses")
        data_path = root / data
        if not data_path.is_dir():
            raise ConfigurationError(f"no training data folder at {data_path} (--data names another)")
        return cls(root, domain_path, data_path, root / endpoints, root / config)

    @property
    def domain_folder(self) -> Path:
        """The folder Rasa reads the domain from once the recommender is added."""
        return self.domain if self.domain.is_dir() else self.domain.with_suffix("")

    @property
    def domain_part(self) -> Path:
        """The recommender's domain file."""
        return self.domain_folder / DOMAIN_PART

    @property
    def data_folder(self) -> Path:
        """The folder of the recommender's training data."""
        return self.data / DATA_SUBDIR

    def domain_files(self) -> list[Path]:
        """The bot's own domain files (the recommender's part left out)."""
        if self.domain.is_file():
            return [self.domain]
        return sorted(p for p in _yaml_files(self.domain) if not is_ours(p))

    def data_files(self) -> list[Path]:
        """The bot's own training data files (the recommender's left out)."""
        return sorted(p for p in _yaml_files(self.data) if not is_ours(p))

    def definitions(self) -> Definitions:
        """What the bot itself defines and mentions."""
        found = Definitions()
        for path in self.domain_files():
            found.add_domain(_read(path))
        for path in self.data_files():
            found.add_data(_read(path))
        return found

    def action_endpoint(self) -> str | None:
        """The URL of the active `action_endpoint` in endpoints.yml, if there is one."""
        if not self.endpoints.is_file():
            return None
        doc = _read(self.endpoints)
        endpoint = doc.get("action_endpoint") if isinstance(doc, Mapping) else None
        return str(endpoint.get("url")) if isinstance(endpoint, Mapping) and endpoint.get("url") else None

    def policy_warnings(self) -> list[str]:
        """What in config.yml keeps the recommender's rules from working."""
        doc = _read(self.config) if self.config.is_file() else None
        policies = doc.get("policies") if isinstance(doc, Mapping) else None
        if policies and not any(isinstance(p, Mapping) and p.get("name") == "RulePolicy" for p in policies):
            return [f"{self.config.name} lists policies without RulePolicy: the recommender's rules need it"]
        return []


def _read(path: Path) -> Any:
    try:
        return read_plain(path)
    except Exception as exc:  # ruamel raises many kinds; the user needs the file and the reason
        raise ConfigurationError(f"cannot read {path} as YAML: {exc}") from exc


def package_files(languages: tuple[str, ...] = ("en",)) -> tuple[Any, dict[str, Any]]:
    """The package's domain and training data in `languages`, parsed with comments kept ("nlu/x.yml" -> content)."""
    yaml = round_trip_yaml()
    domain = yaml.load(DOMAIN_FILE.read_text(encoding="utf-8"))
    data = {f"{kind}/{path.name}": yaml.load(path.read_text(encoding="utf-8"))
            for kind in DATA_KINDS for path in data_files(kind)
            if LANGUAGE_DATA.get(f"{kind}/{path.name}", "en") in languages}
    return domain, data


@dataclass
class Installation:
    """What add-to-bot did (or, with dry_run, would do) to a project."""

    addition: Addition
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)  # the recommender's files of an earlier run
    moved: tuple[Path, Path] | None = None
    endpoint_added: str | None = None
    endpoint_kept: str | None = None
    domain_folder: Path | None = None


def _dump(doc: Any, source: str) -> str:
    out = io.StringIO()
    round_trip_yaml().dump(doc, out)
    return _header(source) + out.getvalue()


def _check_ours(paths: list[Path]) -> None:
    foreign = [p for p in paths if p.exists() and not is_ours(p)]
    if foreign:
        raise ConfigurationError(
            "these files are in the way and were not written by add-to-bot, so they stay as they are: "
            + ", ".join(str(p) for p in foreign) + ". Move them, or give other paths (--domain, --data).")


def endpoint_block(url: str, token_env: str | None = None) -> str:
    """The `action_endpoint` appended to endpoints.yml; with `token_env`, Rasa sends that environment
    variable's value as a bearer token (the action server's RECSYS_ACTION_TOKEN, docs/security.md)."""
    block = ("\n# Added by rasa-recommender (`python -m recommender add-to-bot`): where Rasa calls the action server\n"
             f'action_endpoint:\n  url: "{url}"\n')
    if token_env:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token_env):
            raise ConfigurationError(f"--action-token-env {token_env!r} is not an environment variable name")
        # unquoted: Rasa expands ${...} in plain scalars only
        block += f"  headers:\n    Authorization: Bearer ${{{token_env}}}\n"
    return block


def install(project: BotProject, action_url: str = DEFAULT_ACTION_URL, dry_run: bool = False,
            token_env: str | None = None, languages: tuple[str, ...] = ("en",)) -> Installation:
    """Add the recommender's part to `project` (see the module docstring); with `dry_run` only plan it.
    `token_env` makes an appended action_endpoint send `Authorization: Bearer ${token_env}`;
    `languages` picks the training data added ("en", and "zh" for the Chinese examples)."""
    package_domain, package_data = package_files(languages)
    addition = plan_addition(package_domain, package_data, project.definitions())
    addition.warnings.extend(project.policy_warnings())
    result = Installation(addition, domain_folder=project.domain_folder)

    targets = {project.domain_part: _dump(addition.domain, f"domain ({DOMAIN_FILE.relative_to(FILES_DIR.parent.parent)})")}
    for rel, doc in addition.data.items():
        targets[project.data_folder / rel] = _dump(doc, f"training data ({rel})")
    earlier = list(_yaml_files(project.data_folder)) if project.data_folder.is_dir() else []
    _check_ours([*targets, *earlier])
    result.removed = [p for p in [*earlier, project.domain_part] if p.exists() and p not in targets]
    result.written = list(targets)
    if project.domain.is_file():
        result.moved = (project.domain, project.domain_folder / project.domain.name)
    endpoint = endpoint_block(action_url, token_env)
    kept = project.action_endpoint()
    if kept:
        result.endpoint_kept = kept
    else:
        result.endpoint_added = action_url
    if dry_run:
        return result

    if result.moved:
        source, target = result.moved
        target.parent.mkdir(parents=True)
        shutil.move(str(source), str(target))
    for path in result.removed:
        path.unlink()
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if result.endpoint_added:
        existing = project.endpoints.read_bytes() if project.endpoints.is_file() else b""
        with project.endpoints.open("a", encoding="utf-8") as handle:  # appended: the file's text stays as it is
            handle.write(("" if not existing or existing.endswith(b"\n") else "\n") + endpoint)
    return result
