"""What `add-to-bot` adds to a Rasa project: the recommender's files minus what the project has.

A pure function over parsed YAML: `plan_addition(package domain, package data, the bot's
Definitions) -> Addition`. The rules it follows:

- A domain item (intent, entity, slot, response, action) the bot defines is the bot's: it is
  left out and reported. A slot or action of the recommender's that the bot also defines is a
  conflict (the recommender's actions read and set them) and is reported as a warning.
- NLU examples are added only for intents that are added, never to the bot's own intents, and a
  sentence the bot already has (under any intent) is left out. Lookup tables, regexes and
  synonyms the bot names itself are left out.
- A rule or story is added only when it cannot contradict the bot's own dialogue: every intent
  in it is added, or is the bot's own intent answering one of the recommender's actions (the "yes"
  after "This will permanently delete your data. Are you sure?"), or is a Rasa default intent the
  bot does not handle (nlu_fallback); and every action in it is added. So the bot keeps how it
  greets, says goodbye, and answers yes and no to its own questions.
- Intents and responses that only left-out rules and stories use are then left out as well
  (Rasa's validation warns about unused ones), with their NLU examples; a response that only the
  actions send (utter_invalid_feedback) stays.
- A rule or story whose name the bot uses already is renamed "<name> (recommender)".
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from recommender.bot.rasa_yaml import (
    DEFAULT_INTENTS,
    Definitions,
    collect,
    entity_roles,
    example_lines,
    names,
    normalise_example,
    step_action,
    step_intents,
)

_NLU_KINDS = {"lookup": "lookup tables", "regex": "regexes", "synonym": "synonyms"}
# Keys of the package's domain that describe the reference bot as a whole, never added to a bot.
_BOT_WIDE_KEYS = ("session_config", "config")


@dataclass
class Addition:
    """The files to write (parsed YAML, comments kept) and the account of what was added and left out."""

    domain: CommentedMap
    data: dict[str, CommentedMap]  # "nlu/recommend.yml" -> content; only files with something in them
    added: dict[str, list[str]] = field(default_factory=dict)  # kind -> names
    skipped: dict[str, list[str]] = field(default_factory=dict)  # kind -> "name: reason"
    warnings: list[str] = field(default_factory=list)

    def add(self, kind: str, name: str) -> None:
        """Record an added item."""
        self.added.setdefault(kind, []).append(name)

    def skip(self, kind: str, name: str, reason: str) -> None:
        """Record an item left out, and why."""
        self.skipped.setdefault(kind, []).append(f"{name}: {reason}")


@dataclass(frozen=True)
class _Candidates:
    intents: frozenset[str]
    actions: frozenset[str]  # custom actions and responses


def _block_problem(steps: Iterable[Any], candidates: _Candidates, bot: Definitions) -> str | None:
    """Why a rule or story could contradict the bot (None when it cannot)."""
    previous_action: str | None = None
    for step in steps:
        if not isinstance(step, Mapping):
            continue
        for intent in step_intents(step):
            if intent in candidates.intents:
                continue
            if intent in bot.owned_intents:
                if previous_action in candidates.actions:
                    continue  # the bot's "yes"/"no" answering the recommender's own question
                return f"uses your bot's intent '{intent}'"
            if intent in DEFAULT_INTENTS:
                continue
            return f"needs the intent '{intent}', which is not added"
        action = step_action(step)
        if action is None:
            continue
        if action not in candidates.actions:
            if action in bot.owned_actions:
                return f"uses your bot's '{action}'"
            return f"needs '{action}', which is not added"
        previous_action = action
    return None


def _mentioned_in(docs: Iterable[Any]) -> tuple[set[str], set[str]]:
    """Intents and actions the rules and stories of these data files mention."""
    found = collect((), docs)
    return found.dialogue_intents, found.dialogue_actions


def _filter_list(seq: CommentedSeq, keep: Iterable[bool]) -> None:
    """Remove the entries of `seq` whose flag is False, in place (comments of kept entries stay)."""
    for index, flag in reversed(list(enumerate(keep))):
        if not flag:
            del seq[index]


def _filter_dialogue(
    data: dict[str, CommentedMap], candidates: _Candidates, bot: Definitions, addition: Addition
) -> None:
    for path, doc in data.items():
        for kind, key in (("rules", "rule"), ("stories", "story")):
            blocks = doc.get(kind)
            if not blocks:
                continue
            flags = []
            for block in blocks:
                name = str(block.get(key))
                problem = _block_problem(block.get("steps") or (), candidates, bot)
                if problem:
                    addition.skip(kind, name, problem)
                    flags.append(False)
                    continue
                if name in bot.block_names:
                    block[key] = f"{name} (recommender)"
                    addition.warnings.append(f"{key} '{name}' is renamed '{block[key]}' ({path}): your bot has one of that name")
                addition.add(kind, str(block[key]))
                flags.append(True)
            _filter_list(blocks, flags)


def _filter_domain_list(
    domain: CommentedMap, key: str, keep: set[str], bot_has: set[str], addition: Addition, reason: str
) -> None:
    entries = domain.get(key)
    if entries is None:
        return
    if isinstance(entries, MutableMapping):
        for name in list(entries):
            if str(name) in keep:
                addition.add(key, str(name))
            else:
                addition.skip(key, str(name), reason if str(name) in bot_has else "not used by what is added")
                del entries[name]
    else:
        flags = []
        for name in names(entries):  # one name per entry in the package's domain
            flags.append(name in keep)
            if name in keep:
                addition.add(key, name)
            else:
                addition.skip(key, name, reason if name in bot_has else "not used by what is added")
        _filter_list(entries, flags)
    if not domain[key]:
        del domain[key]


def _filter_nlu(data: dict[str, CommentedMap], intents: set[str], bot: Definitions, addition: Addition) -> None:
    for path, doc in data.items():
        items = doc.get("nlu")
        if not items:
            continue
        flags = []
        for item in items:
            if "intent" in item:
                intent = str(item["intent"])
                if intent not in intents:
                    reason = "your bot's intent (its own examples stay)" if intent in bot.owned_intents else "intent not added"
                    addition.skip("examples", intent, reason)
                    flags.append(False)
                    continue
                lines = example_lines(item.get("examples"))
                kept = [line for line in lines if normalise_example(line) not in bot.examples]
                if len(kept) < len(lines):
                    addition.skip("examples", intent, f"{len(lines) - len(kept)} sentence(s) your bot already has")
                    item["examples"] = LiteralScalarString("".join(f"- {line}\n" for line in kept))
                if not kept:
                    addition.warnings.append(f"intent '{intent}' has no example left ({path})")
                addition.add("examples", f"{intent}: {len(kept)}")
                flags.append(bool(kept))
                continue
            for key, known in (("lookup", bot.lookups), ("regex", bot.regexes), ("synonym", bot.synonyms)):
                if key in item:
                    name = str(item[key])
                    if name in known:
                        addition.skip(_NLU_KINDS[key], name, f"your bot has a {key} of that name")
                        flags.append(False)
                    else:
                        addition.add(_NLU_KINDS[key], name)
                        flags.append(True)
                    break
            else:
                flags.append(True)
        _filter_list(items, flags)


def plan_addition(package_domain: Any, package_data: Mapping[str, Any], bot: Definitions) -> Addition:
    """The part of the recommender's domain and training data that `bot` lacks (see the module docstring).

    `package_domain` and `package_data` ("nlu/x.yml" -> parsed file) are not changed.
    """
    domain: CommentedMap = copy.deepcopy(package_domain)
    data: dict[str, CommentedMap] = {path: copy.deepcopy(doc) for path, doc in package_data.items()}
    addition = Addition(domain=domain, data=data)
    for key in _BOT_WIDE_KEYS:
        domain.pop(key, None)

    ours = collect((domain,), ())
    candidates = _Candidates(
        intents=frozenset(ours.intents - bot.owned_intents),
        actions=frozenset((ours.responses | ours.actions) - bot.owned_actions),
    )
    _filter_dialogue(data, candidates, bot, addition)

    # what only left-out rules and stories used goes too (a response the actions send stays)
    package_intents, package_actions = _mentioned_in(package_data.values())
    kept_intents, kept_actions = _mentioned_in(data.values())
    intents = {i for i in candidates.intents if i in kept_intents or i not in package_intents}
    responses = {r for r in ours.responses - bot.owned_actions if r in kept_actions or r not in package_actions}
    actions = set(ours.actions - bot.owned_actions)  # custom actions stay even if no rule names them

    for name in sorted(ours.slots & bot.slots):
        addition.warnings.append(f"slot '{name}': your bot defines it too, and the recommender's actions set it")
    for name in sorted(ours.actions & bot.owned_actions):
        addition.warnings.append(f"action '{name}': your bot defines it too; Rasa calls one action server for it")
    our_roles = entity_roles(domain.get("entities"))
    for name, roles in sorted(our_roles.items()):
        if name in bot.entities and not roles <= bot.entities[name]:
            addition.warnings.append(f"entity '{name}': the recommender's examples use the role(s) "
                                     f"{sorted(roles - bot.entities[name])}, which your bot's '{name}' does not declare")

    _filter_domain_list(domain, "intents", intents, bot.owned_intents, addition, "your bot has it")
    _filter_domain_list(domain, "entities", set(our_roles) - set(bot.entities), set(bot.entities), addition,
                        "your bot has it")
    _filter_domain_list(domain, "slots", ours.slots - bot.slots, bot.slots, addition, "your bot has it")
    _filter_domain_list(domain, "responses", responses, bot.owned_actions, addition, "your bot has it")
    _filter_domain_list(domain, "actions", actions, bot.owned_actions, addition, "your bot has it")
    _filter_domain_list(domain, "forms", actions, bot.owned_actions, addition, "your bot has it")

    _filter_nlu(data, intents, bot, addition)
    addition.data = {path: doc for path, doc in data.items() if _has_content(doc)}
    return addition


def _has_content(doc: Mapping[str, Any]) -> bool:
    return any(doc.get(key) for key in ("nlu", "rules", "stories"))
