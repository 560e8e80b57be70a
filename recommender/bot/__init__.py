"""The recommender's conversation for Rasa 3.6, shipped inside the package, and `add-to-bot`.

`domain.yml` and `data/{nlu,rules,stories}/*.yml` beside this module are the one definition of the
recommender's intents, entities, slots, responses, actions, rules, stories and NLU examples:

- the reference bot of this repository trains from them (its `domain.yml` and `data/**/*.yml` are
  links to these files; its own parts are `config.yml`, `credentials.yml`, `endpoints.yml` and the
  custom pipeline components in `rasa_addons/`);
- `python -m recommender add-to-bot PATH` adds to an existing Rasa project whatever of them the
  project does not define already, as separate files (`recommender.bot.adopt`, docs/adopt.md).

Besides what only the recommender has, the files hold the small talk the reference bot needs
(greet, goodbye, affirm, deny, bot_challenge, help, out_of_scope); an existing bot keeps its own.
"""

from __future__ import annotations

from pathlib import Path

FILES_DIR = Path(__file__).resolve().parent
DOMAIN_FILE = FILES_DIR / "domain.yml"
DATA_DIR = FILES_DIR / "data"
DATA_KINDS = ("nlu", "rules", "stories")
# Training data in a language other than English, by file: add-to-bot adds it only when asked
# (`--languages en,zh`), as it needs the bilingual tokenizer and the language detector of
# rasa_addons in the bot's config.yml (docs/chinese.md).
LANGUAGE_DATA = {"nlu/zh.yml": "zh"}


def data_files(kind: str) -> list[Path]:
    """The package's training data files of one kind ("nlu", "rules" or "stories"), by name."""
    if kind not in DATA_KINDS:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(DATA_KINDS)}")
    return sorted((DATA_DIR / kind).glob("*.yml"))
