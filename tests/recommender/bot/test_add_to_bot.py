"""`python -m recommender add-to-bot PATH` on small Rasa projects written here (rasa init's stock bot
in miniature, an empty project, a bot with a domain folder): what it adds, what it leaves to the bot,
and that the bot's own files keep their content. The real stock bot, trained and talked to, is
tests/e2e/test_adopt_stock_bot.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from recommender.bot import DOMAIN_FILE, data_files
from recommender.bot.project import MARKER, BotProject, install
from recommender.bot.rasa_yaml import collect, read_plain
from recommender.cli import main
from recommender.errors import ConfigurationError

STOCK_DOMAIN = """\
version: "3.1"

intents:
  - greet
  - goodbye
  - affirm
  - deny
  - mood_great
  - mood_unhappy
  - bot_challenge

responses:
  utter_greet:
  - text: "Hey! How are you?"

  utter_cheer_up:
  - text: "Here is something to cheer you up:"

  utter_did_that_help:
  - text: "Did that help you?"

  utter_happy:
  - text: "Great, carry on!"

  utter_goodbye:
  - text: "Bye"

  utter_iamabot:
  - text: "I am a bot, powered by Rasa."

session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: true
"""

STOCK_NLU = """\
version: "3.1"

nlu:
- intent: greet
  examples: |
    - hey
    - hello
- intent: goodbye
  examples: |
    - bye
- intent: affirm
  examples: |
    - yes
    - of course
- intent: deny
  examples: |
    - no
    - never
- intent: mood_great
  examples: |
    - great
- intent: mood_unhappy
  examples: |
    - I am sad
- intent: bot_challenge
  examples: |
    - are you a bot?
"""

STOCK_RULES = """\
version: "3.1"

rules:

- rule: Say goodbye anytime the user says goodbye
  steps:
  - intent: goodbye
  - action: utter_goodbye

- rule: Say 'I am a bot' anytime the user challenges
  steps:
  - intent: bot_challenge
  - action: utter_iamabot
"""

STOCK_STORIES = """\
version: "3.1"

stories:

- story: happy path
  steps:
  - intent: greet
  - action: utter_greet
  - intent: mood_great
  - action: utter_happy

- story: sad path 2
  steps:
  - intent: greet
  - action: utter_greet
  - intent: mood_unhappy
  - action: utter_cheer_up
  - action: utter_did_that_help
  - intent: deny
  - action: utter_goodbye
"""

STOCK_ENDPOINTS = """\
# Server which runs your custom actions.
#action_endpoint:
#  url: "http://localhost:5055/webhook"
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def stock_bot(root: Path) -> Path:
    return write(root, {
        "config.yml": "recipe: default.v1\nlanguage: en\npipeline:\npolicies:\n",
        "domain.yml": STOCK_DOMAIN,
        "data/nlu.yml": STOCK_NLU,
        "data/rules.yml": STOCK_RULES,
        "data/stories.yml": STOCK_STORIES,
        "endpoints.yml": STOCK_ENDPOINTS,
    })


def digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def installed(root: Path) -> dict[str, object]:
    """The recommender's files in the bot, parsed."""
    found = {}
    for path in sorted([*root.glob("domain/recommender.yml"), *root.glob("data/recommender/**/*.yml")]):
        assert path.read_text(encoding="utf-8").startswith(MARKER), path
        found[str(path.relative_to(root))] = read_plain(path)
    return found


def package_definitions():
    return collect([read_plain(DOMAIN_FILE)], [read_plain(p) for k in ("nlu", "rules", "stories") for p in data_files(k)])


def test_stock_bot_gets_the_recommender_and_keeps_its_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bot = stock_bot(tmp_path / "bot")
    before = digests(bot)

    assert main(["add-to-bot", str(bot)]) == 0
    out = capsys.readouterr().out

    after = digests(bot)
    # the bot's own files: content unchanged; domain.yml moved into domain/; endpoints.yml only appended to
    assert after["domain/domain.yml"] == before["domain.yml"] and not (bot / "domain.yml").exists()
    for rel in ("config.yml", "data/nlu.yml", "data/rules.yml", "data/stories.yml"):
        assert after[rel] == before[rel], rel
    endpoints = (bot / "endpoints.yml").read_text(encoding="utf-8")
    assert endpoints.startswith(STOCK_ENDPOINTS)
    assert read_plain(bot / "endpoints.yml")["action_endpoint"] == {"url": "http://127.0.0.1:5055/webhook"}

    files = installed(bot)
    ours = collect([files["domain/recommender.yml"]], [d for k, d in files.items() if k.startswith("data/")])
    # the recommender's own: intents, actions, slots, entities, the responses its actions send
    assert {"request_recommendation", "refine", "ask_why", "feedback", "forget_me", "help"} <= ours.intents
    assert {"action_recommend", "action_refine", "action_explain", "action_record_feedback", "action_show_saved",
            "action_confirm_forget", "action_forget_me", "action_fallback"} <= ours.actions
    assert {"dialogue_state", "shown_item_ids"} <= ours.slots and {"genre", "title"} <= set(ours.entities)
    assert {"utter_confirm_forget", "utter_invalid_feedback", "utter_something_went_wrong"} <= ours.responses
    # the bot's own intents and responses are not redefined, and get no examples of ours
    assert not ours.intents & {"greet", "goodbye", "affirm", "deny", "bot_challenge"}
    assert not ours.responses & {"utter_greet", "utter_goodbye", "utter_iamabot"}
    # no rule or story of ours decides what the bot does on its own intents, except answering our question
    rules = {r["rule"]: r["steps"] for d in files.values() for r in (d or {}).get("rules") or ()}
    assert "Greet the user" not in rules and "Say goodbye" not in rules
    assert not any(name.startswith("A yes out of context") for name in rules)  # would contradict the sad path
    assert rules["Forget the user once confirmed"] == [
        {"action": "action_confirm_forget"}, {"intent": "affirm"}, {"action": "action_forget_me"}]
    for steps in rules.values():
        for index, step in enumerate(steps):
            if step.get("intent") in {"greet", "goodbye", "affirm", "deny", "bot_challenge"}:
                assert index > 0 and steps[index - 1].get("action", "").startswith(("utter_confirm", "action_")), steps
    # nor does a story: a story where our action answers the bot's goodbye contradicts the bot's own
    # goodbye rule, and `rasa train` refuses the bot (seen when goodbye went through action_fallback)
    stories = [st["steps"] for d in files.values() for st in (d or {}).get("stories") or ()]
    for steps in stories:
        for index, step in enumerate(steps):
            if step.get("intent") in {"greet", "goodbye", "affirm", "deny", "bot_challenge"}:
                assert index > 0 and steps[index - 1].get("action", "") == "action_confirm_forget", steps
    assert "Left out" in out and "greet: your bot has it" in out and "moved domain.yml -> domain/domain.yml" in out
    assert "--domain domain" in out and "python -m recommender.actionserver --actions recommender.actions" in out


def test_running_again_replaces_only_its_own_files(tmp_path: Path) -> None:
    bot = stock_bot(tmp_path / "bot")
    main(["add-to-bot", str(bot)])
    first = digests(bot)
    (bot / "data" / "recommender" / "nlu" / "stale.yml").write_text(f"{MARKER} 0.0.1\nnlu: []\n", encoding="utf-8")

    assert main(["add-to-bot", str(bot)]) == 0

    assert digests(bot) == first  # same files, same content; the stale one of ours is gone
    assert (bot / "endpoints.yml").read_text(encoding="utf-8").count("action_endpoint:") == 2  # one commented, one ours


def test_a_file_not_written_by_it_is_never_replaced(tmp_path: Path) -> None:
    bot = stock_bot(tmp_path / "bot")
    write(bot, {"data/recommender/rules/recommend.yml": 'version: "3.1"\nrules: []\n'})
    before = digests(bot)

    with pytest.raises(ConfigurationError, match="not written by add-to-bot"):
        install(BotProject.locate(bot))

    assert digests(bot) == before


def test_dry_run_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bot = stock_bot(tmp_path / "bot")
    before = digests(bot)

    assert main(["add-to-bot", str(bot), "--dry-run"]) == 0

    assert digests(bot) == before
    assert "would write domain/recommender.yml" in capsys.readouterr().out


def test_an_empty_project_gets_the_whole_reference_conversation(tmp_path: Path) -> None:
    bot = write(tmp_path / "bot", {"config.yml": "language: en\n", "domain.yml": 'version: "3.1"\n',
                                   "data/.keep.yml": "", "endpoints.yml": ""})

    result = install(BotProject.locate(bot), languages=("en", "zh"))  # the whole of it, Chinese included

    package = package_definitions()
    files = installed(bot)
    ours = collect([files["domain/recommender.yml"]], [d for k, d in files.items() if k.startswith("data/")])
    for kind in ("intents", "slots", "responses", "actions", "lookups", "regexes", "synonyms", "examples", "block_names"):
        assert getattr(ours, kind) == getattr(package, kind), kind
    assert set(ours.entities) == set(package.entities)
    assert not result.addition.skipped and not result.addition.warnings


def test_a_domain_folder_gets_one_more_file_and_kept_endpoint(tmp_path: Path) -> None:
    bot = write(tmp_path / "bot", {
        "config.yml": "policies:\n  - name: MemoizationPolicy\n",
        "domain/main.yml": STOCK_DOMAIN,
        "data/nlu.yml": STOCK_NLU + "- intent: ask_for_tips\n  examples: |\n    - recommend me a movie\n",
        "data/rules.yml": STOCK_RULES.replace("Say goodbye anytime the user says goodbye", "Recommend on request"),
        "endpoints.yml": 'action_endpoint:\n  url: "http://actions:5055/webhook"\n',
    })
    before = digests(bot)

    result = install(BotProject.locate(bot))

    assert result.moved is None and result.endpoint_kept == "http://actions:5055/webhook"
    assert digests(bot)["endpoints.yml"] == before["endpoints.yml"]
    assert (bot / "domain" / "recommender.yml").is_file() and (bot / "domain" / "main.yml").is_file()
    examples = {line for d in installed(bot).values() for item in (d or {}).get("nlu") or () if "intent" in item
                for line in item["examples"].splitlines()}
    assert "- recommend me a movie" not in examples  # the bot labels that sentence itself
    assert "Recommend on request (recommender)" in result.addition.added["rules"]
    assert any("RulePolicy" in w for w in result.addition.warnings)


def test_the_package_files_are_the_reference_bots_files() -> None:
    """One definition: the reference bot's domain.yml and data/ are links to the package's files."""
    root = Path(__file__).resolve().parents[3]
    assert (root / "domain.yml").resolve() == DOMAIN_FILE
    package = {p.resolve() for k in ("nlu", "rules", "stories") for p in data_files(k)}
    linked = {p.resolve() for p in (root / "data").rglob("*.yml")}
    assert linked == package


def test_round_trip_keeps_the_package_files_as_written() -> None:
    """What an empty project gets is the package's text (comments, `|` blocks), after the marker lines."""
    from recommender.bot.project import _dump
    from recommender.bot.rasa_yaml import round_trip_yaml

    for path in [DOMAIN_FILE, *(p for k in ("nlu", "rules", "stories") for p in data_files(k))]:
        text = path.read_text(encoding="utf-8")
        dumped = _dump(round_trip_yaml().load(text), "test").split("\n", 2)[2]
        assert dumped == text, path


def test_an_appended_endpoint_can_send_the_action_servers_token(tmp_path: Path) -> None:
    bot = stock_bot(tmp_path / "bot")

    assert main(["add-to-bot", str(bot), "--action-url", "http://127.0.0.1:5056/webhook",
                 "--action-token-env", "RECSYS_ACTION_TOKEN"]) == 0

    endpoint = read_plain(bot / "endpoints.yml")["action_endpoint"]
    assert endpoint == {"url": "http://127.0.0.1:5056/webhook",
                        "headers": {"Authorization": "Bearer ${RECSYS_ACTION_TOKEN}"}}
    assert "Authorization: Bearer ${RECSYS_ACTION_TOKEN}\n" in (bot / "endpoints.yml").read_text(encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not an environment variable name"):
        install(BotProject.locate(stock_bot(tmp_path / "other")), token_env="X; rm -rf /")


def test_the_guides_import_line_brings_every_action_module() -> None:
    """docs/adopt.md's line for serving the recommender's actions beside a bot's own names every module."""
    import re

    import recommender.actions

    guide = (Path(__file__).resolve().parents[3] / "docs" / "adopt.md").read_text(encoding="utf-8")
    line = re.search(r"^from recommender\.actions import (.+?)  # noqa", guide, re.M)
    assert line, "docs/adopt.md lost its import line"
    modules = {p.stem for p in Path(recommender.actions.__file__).parent.glob("*.py") if not p.stem.startswith("_")}
    assert set(line[1].split(", ")) == modules


def test_chinese_examples_are_added_only_when_asked() -> None:
    """A stock bot's whitespace tokenizer cannot read Chinese: nlu/zh.yml needs `--languages en,zh`."""
    from recommender.bot.project import package_files

    _, english = package_files()
    _, both = package_files(("en", "zh"))
    assert "nlu/zh.yml" not in english and "nlu/zh.yml" in both
    assert set(both) - set(english) == {"nlu/zh.yml"}
