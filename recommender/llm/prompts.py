"""Versioned prompt templates, kept as files so a change is a reviewed diff with a new version id.

File format (`prompts/<id>.txt`): header lines `key: value` (id, task, description), then the
sections `=== system ===` and `=== user ===`. Placeholders are `$name` (string.Template), so JSON
braces in the instructions need no escaping. The id doubles as the version logged with every
impression: edit a prompt by adding `<task>_v<N+1>.txt`, never by changing a released file, so
logged versions keep meaning what they meant and the bandit's statistics stay per text.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from recommender.errors import ConfigurationError
from recommender.llm.backend import ChatMessage

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
_SECTIONS = ("system", "user")


@dataclass(frozen=True)
class PromptTemplate:
    """One prompt variant: its version id, the task it serves and the two message templates."""

    id: str
    task: str
    description: str
    system: str
    user: str

    @property
    def version(self) -> str:
        """What is logged with impressions (the file's id)."""
        return self.id

    def render(self, values: Mapping[str, str]) -> list[ChatMessage]:
        """System and user messages; a missing placeholder raises KeyError (caught by tests)."""
        return [
            {"role": "system", "content": string.Template(self.system).substitute(values).strip()},
            {"role": "user", "content": string.Template(self.user).substitute(values).strip()},
        ]


def parse_prompt(text: str, source: str = "<string>") -> PromptTemplate:
    """Parse the file format above; errors name the file and what is missing."""
    header: dict[str, str] = {}
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("===") and stripped.endswith("==="):
            current = stripped.strip("= ").lower()
            if current not in _SECTIONS:
                raise ConfigurationError(f"{source}: unknown section {current!r}; expected {_SECTIONS}")
            sections[current] = []
        elif current is None:
            if stripped and not stripped.startswith("#"):
                key, sep, value = stripped.partition(":")
                if not sep:
                    raise ConfigurationError(f"{source}: header line {line!r} is not 'key: value'")
                header[key.strip().lower()] = value.strip()
        else:
            sections[current].append(line)
    missing = [k for k in ("id", "task") if k not in header] + [s for s in _SECTIONS if s not in sections]
    if missing:
        raise ConfigurationError(f"{source}: missing {', '.join(missing)}")
    return PromptTemplate(
        id=header["id"],
        task=header["task"],
        description=header.get("description", ""),
        system="\n".join(sections["system"]).strip(),
        user="\n".join(sections["user"]).strip(),
    )


@lru_cache(maxsize=1)
def load_prompts(directory: Path = PROMPTS_DIR) -> dict[str, PromptTemplate]:
    """Every prompt file by id (read once per process)."""
    prompts: dict[str, PromptTemplate] = {}
    for path in sorted(directory.glob("*.txt")):
        prompt = parse_prompt(path.read_text(encoding="utf-8"), str(path))
        if prompt.id != path.stem:
            raise ConfigurationError(f"{path}: id {prompt.id!r} must equal the file name {path.stem!r}")
        prompts[prompt.id] = prompt
    return prompts


def get_prompt(prompt_id: str) -> PromptTemplate:
    """One prompt by id; the error lists the ids that exist."""
    prompts = load_prompts()
    if prompt_id not in prompts:
        raise ConfigurationError(f"no prompt {prompt_id!r}; known: {', '.join(sorted(prompts))}")
    return prompts[prompt_id]


def variants_for(task: str, wanted: str) -> list[str]:
    """The comma-separated ids in `wanted` that exist and serve `task` (an unknown id is an error)."""
    ids = [w.strip() for w in wanted.split(",") if w.strip()]
    out = []
    for prompt_id in ids:
        prompt = get_prompt(prompt_id)
        if prompt.task != task:
            raise ConfigurationError(f"prompt {prompt_id!r} is for task {prompt.task!r}, not {task!r}")
        out.append(prompt_id)
    if not out:
        raise ConfigurationError(f"no prompt variant configured for {task!r}")
    return out
