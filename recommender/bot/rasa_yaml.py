"""What Rasa 3.x YAML files define and mention: domain items, NLU examples, rules and stories.

Plain reading of the documented formats (https://rasa.com/docs/rasa/domain, /training-data-format),
without Rasa itself: the recommender runs on Python 3.11, Rasa 3.6 on 3.10.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

DOMAIN_KEYS = ("intents", "entities", "slots", "responses", "actions", "forms")
# Intents every Rasa project knows without declaring them (rasa.shared.core.constants.DEFAULT_INTENTS).
DEFAULT_INTENTS = frozenset({"restart", "back", "out_of_scope", "session_start", "nlu_fallback"})

_ENTITY_MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def round_trip_yaml() -> YAML:
    """A YAML reader/writer that keeps comments, quotes and `|` blocks, indented like Rasa's examples."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def read_plain(path: Path) -> Any:
    """A YAML file as plain Python values (None when empty)."""
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def names(entries: Any) -> list[str]:
    """Names of a domain list or mapping: `- greet`, `- greet: {use_entities: []}`, `{slot: {...}}`."""
    if isinstance(entries, Mapping):
        return [str(k) for k in entries]
    found: list[str] = []
    for entry in entries or ():
        if isinstance(entry, Mapping):
            found.extend(str(k) for k in entry)
        elif entry is not None:
            found.append(str(entry))
    return found


def entity_roles(entries: Any) -> dict[str, frozenset[str]]:
    """Entity name -> its declared roles (`- genre: {roles: [exclude]}`)."""
    roles: dict[str, frozenset[str]] = {}
    for entry in entries or ():
        if isinstance(entry, Mapping):
            for name, spec in entry.items():
                roles[str(name)] = frozenset(str(r) for r in ((spec or {}).get("roles") or ()))
        elif entry is not None:
            roles[str(entry)] = frozenset()
    return roles


def normalise_example(sentence: str) -> str:
    """An example as Rasa compares them, and a little looser: markup removed, lowercase, spaces collapsed."""
    return re.sub(r"\s+", " ", _ENTITY_MARKUP.sub(r"\1", sentence)).strip().lower()


def example_lines(block: Any) -> list[str]:
    """The sentences of an `examples: |` block ("- sentence" per line)."""
    return [line.strip()[2:] for line in str(block or "").splitlines() if line.strip().startswith("- ")]


def step_intents(step: Mapping[str, Any]) -> Iterator[str]:
    """The intents of one story or rule step, `or:` alternatives included."""
    if step.get("intent"):
        yield str(step["intent"])
    for alternative in step.get("or") or ():
        if isinstance(alternative, Mapping):
            yield from step_intents(alternative)


def step_action(step: Mapping[str, Any]) -> str | None:
    """The action (or response) a step predicts, if it is an action step."""
    action = step.get("action") or step.get("active_loop")
    return str(action) if action else None


@dataclass
class Definitions:
    """Everything a Rasa project's files define (domain, NLU) or mention (rules and stories)."""

    intents: set[str] = field(default_factory=set)
    entities: dict[str, frozenset[str]] = field(default_factory=dict)
    slots: set[str] = field(default_factory=set)
    responses: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)  # custom actions and forms
    lookups: set[str] = field(default_factory=set)
    regexes: set[str] = field(default_factory=set)
    synonyms: set[str] = field(default_factory=set)
    examples: set[str] = field(default_factory=set)  # normalised
    block_names: set[str] = field(default_factory=set)  # rule and story names
    dialogue_intents: set[str] = field(default_factory=set)  # intents its rules and stories mention
    dialogue_actions: set[str] = field(default_factory=set)

    @property
    def owned_intents(self) -> set[str]:
        """Intents the project handles: declared, or used in its rules and stories (e.g. nlu_fallback)."""
        return self.intents | self.dialogue_intents

    @property
    def owned_actions(self) -> set[str]:
        """Actions and responses the project defines or predicts."""
        return self.responses | self.actions | self.dialogue_actions

    def add_domain(self, doc: Any) -> None:
        """Add what one domain file declares."""
        if not isinstance(doc, Mapping):
            return
        self.intents.update(names(doc.get("intents")))
        self.entities.update(entity_roles(doc.get("entities")))
        self.slots.update(names(doc.get("slots")))
        self.responses.update(names(doc.get("responses")))
        self.actions.update(names(doc.get("actions")))
        self.actions.update(names(doc.get("forms")))

    def add_data(self, doc: Any) -> None:
        """Add what one training data file defines (NLU) and mentions (rules, stories)."""
        if not isinstance(doc, Mapping):
            return
        for item in doc.get("nlu") or ():
            if not isinstance(item, Mapping):
                continue
            if "intent" in item:
                self.intents.add(str(item["intent"]))
                self.examples.update(normalise_example(e) for e in example_lines(item.get("examples")))
            for key, known in (("lookup", self.lookups), ("regex", self.regexes), ("synonym", self.synonyms)):
                if key in item:
                    known.add(str(item[key]))
        for kind, key in (("rules", "rule"), ("stories", "story")):
            for block in doc.get(kind) or ():
                if isinstance(block, Mapping):
                    self.block_names.add(str(block.get(key)))
                    for step in block.get("steps") or ():
                        if isinstance(step, Mapping):
                            self.dialogue_intents.update(step_intents(step))
                            action = step_action(step)
                            if action:
                                self.dialogue_actions.add(action)


def collect(domain_docs: Iterable[Any], data_docs: Iterable[Any]) -> Definitions:
    """The definitions of a project from its parsed domain files and training data files."""
    found = Definitions()
    for doc in domain_docs:
        found.add_domain(doc)
    for doc in data_docs:
        found.add_data(doc)
    return found
