"""One simulation run: sample targets, talk to the bot and to the yardstick, summarise both."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from recommender.eval.simulator.catalog import POPULAR_MIN_RATINGS, SimCatalog, sample_targets
from recommender.eval.simulator.dialogue import DEFAULT_MAX_TURNS, Bot, Dialogue, run_dialogues
from recommender.eval.simulator.report import compare, summarize
from recommender.eval.simulator.users import DEFAULT_VAGUE_SHARE
from recommender.eval.simulator.yardstick import DEFAULT_K, YardstickBot


@dataclass(frozen=True)
class SimConfig:
    """How many users, from which pool, how long they talk; seeds make a run reproducible."""

    pool: str = "popular"
    users: int = 200
    seed: int = 42
    max_turns: int = DEFAULT_MAX_TURNS
    k: int = DEFAULT_K
    concurrency: int = 1
    vague_share: float = DEFAULT_VAGUE_SHARE
    min_ratings: int = POPULAR_MIN_RATINGS
    phrasings: str = "default"  # wording set: "default" (phrasings.py), "heldout", "zh" or "casual" (phrasings_<set>.py)
    progress: bool = True


@dataclass
class PoolResult:
    """Both bots' dialogues on the same targets, and the report section they make."""

    section: dict[str, Any]
    bot: list[Dialogue]
    yardstick: list[Dialogue]


def simulate_pool(bot: Bot, catalog: SimCatalog, cfg: SimConfig) -> PoolResult:
    """The same users (same targets, same seeds) talk to `bot` and to the yardstick."""
    targets = sample_targets(catalog, cfg.pool, cfg.users, cfg.seed, cfg.min_ratings)
    def talk(to: Bot, concurrency: int) -> list[Dialogue]:
        return run_dialogues(to, targets, catalog, cfg.seed, cfg.max_turns, concurrency, cfg.progress,
                             cfg.vague_share, desc=f"{cfg.pool}: {to.name}",
                             phrasings=cfg.phrasings)

    bot_dialogues = talk(bot, cfg.concurrency)
    yard_dialogues = talk(YardstickBot(catalog, cfg.k), 1)
    bot_summary = summarize(bot_dialogues, cfg.max_turns)
    yard_summary = summarize(yard_dialogues, cfg.max_turns)
    config = {key: value for key, value in asdict(cfg).items() if key != "progress"}
    section = {"config": config, "bot": bot_summary, "yardstick": yard_summary,
               "ratio": compare(bot_summary, yard_summary)}
    return PoolResult(section, bot_dialogues, yard_dialogues)
