"""The yardstick: a bot with perfect understanding, run on the same targets and the same user.

It reads the user's `Act` instead of the words, keeps every constraint stated so far (all stated
genres, no excluded genre, the intersected year window), shows the k most-rated catalog movies that
meet them, and never shows a movie twice. What the real bot loses against it is understanding (and
ranking), not the user's luck.
"""

from __future__ import annotations

import time

from recommender.eval.simulator.acts import Act, BotReply, Constraints
from recommender.eval.simulator.catalog import SimCatalog

DEFAULT_K = 5


class YardstickBot:
    """Factory of conversations over one catalog (the popularity order is computed once)."""

    name = "yardstick"

    def __init__(self, catalog: SimCatalog, k: int = DEFAULT_K) -> None:
        self.catalog = catalog
        self.k = k
        self.ranked = catalog.by_popularity()

    def conversation(self, sender: str = "") -> YardstickConversation:
        """A new conversation with the yardstick."""
        return YardstickConversation(self)


class YardstickConversation:
    """One dialogue: the constraints so far and every item already shown."""

    def __init__(self, bot: YardstickBot) -> None:
        self.bot = bot
        self.constraints = Constraints()
        self.shown: set[str] = set()

    def send(self, text: str, act: Act) -> BotReply:
        """Understand `act` perfectly and show the next k items that meet every constraint."""
        started = time.perf_counter()
        self.constraints = self.constraints.apply(act)
        items: list[str] = []
        for item in self.bot.ranked:
            if len(items) == self.bot.k:
                break
            if item.item_id not in self.shown and self.constraints.admits(item):
                items.append(item.item_id)
        self.shown.update(items)
        latency = (time.perf_counter() - started) * 1000
        return BotReply(item_ids=tuple(items), text=f"{len(items)} movies", latency_ms=latency)
