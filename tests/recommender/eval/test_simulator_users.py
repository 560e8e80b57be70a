"""The simulated user's policy: one truthful attribute or critique per turn, questions answered."""

from __future__ import annotations

import random

import pytest

from recommender.eval.simulator.acts import BotReply, Constraints
from recommender.eval.simulator.catalog import SimCatalog, Target, sample_targets
from recommender.eval.simulator.users import SimulatedUser, question_attribute, true_era
from recommender.types import Item

SEED = 42


def tiny_catalog() -> SimCatalog:
    items = [
        Item("1", "Shootout at Dawn (1969)", 1969, ("Western",)),
        Item("2", "Laughing Cowboys (1994)", 1994, ("Comedy", "Western")),
        Item("3", "The Haunting Room (1981)", 1981, ("Horror", "Thriller")),
        Item("4", "Prairie Hearts (1975)", 1975, ("Romance", "Western", "Drama")),
        Item("5", "Dusty Trail (1992)", 1992, ("Western", "Drama")),
        Item("6", "Lost Reel (1990)", 1990, ("unknown",)),
        Item("7", "No Year Western", None, ("Western",)),
    ]
    return SimCatalog.build(items, {"1": 90, "2": 80, "3": 70, "4": 60, "5": 10, "6": 5, "7": 1})


@pytest.mark.parametrize("year", range(1920, 2011))
def test_every_era_is_true_of_the_target_year(year: int) -> None:
    rng = random.Random(year)
    for _ in range(40):
        era = true_era(year, rng)
        assert era.contains(year), era
        if era.form == "before":
            assert year < era.a
        if era.form == "after":
            assert year > era.a
        if era.form == "around":
            assert abs(year - era.a) <= 2


def test_first_turn_states_a_genre_of_the_target_unless_vague() -> None:
    catalog = tiny_catalog()
    target = Target.of(catalog.items["4"])
    kinds = set()
    for seed in range(200):
        user = SimulatedUser.create(target, catalog, seed, vague_share=0.2)
        act = user.next_act(None)
        kinds.add(act.kind)
        if user.vague_opener:
            assert act.kind == "opener"
        else:
            assert act.kind == "genre" and act.genre in target.genres
    assert kinds == {"opener", "genre"}
    vague = sum(SimulatedUser.create(target, catalog, s, vague_share=0.2).vague_opener for s in range(1000))
    assert 120 < vague < 280  # about a fifth, from the seed


def test_the_same_seed_gives_the_same_user() -> None:
    catalog = tiny_catalog()
    target = Target.of(catalog.items["4"])
    a, b = (SimulatedUser.create(target, catalog, 7) for _ in range(2))
    assert a.pending == b.pending and a.vague_opener == b.vague_opener


def test_states_every_attribute_once_then_critiques() -> None:
    catalog = tiny_catalog()
    target = Target.of(catalog.items["4"])  # Romance, Western, Drama, 1975
    user = SimulatedUser.create(target, catalog, SEED, vague_share=0.0)
    constraints = Constraints()
    stated_kinds = []
    reply = None
    for _ in range(4):
        act = user.next_act(reply)
        stated_kinds.append(act.kind)
        constraints = constraints.apply(act)
        reply = BotReply(item_ids=("3",))  # the horror film: never the target
        user.observe(act, reply)
    assert constraints.genres == {"Romance", "Western", "Drama"}
    assert constraints.year_from is not None or constraints.year_to is not None
    assert stated_kinds[0] == "genre" and stated_kinds.count("era") == 1
    assert stated_kinds.count("add_genre") == 2
    assert constraints.admits(catalog.items["4"])
    critiques = [user.next_act(reply) for _ in range(60)]
    kinds = {c.kind for c in critiques}
    assert kinds == {"exclude", "older", "other"}  # 1975 is older than the 1981 film shown, never newer
    for c in critiques:
        if c.kind == "exclude":
            assert c.genre in {"Horror", "Thriller"}  # shown, and not the target's
        if c.kind == "older":
            assert c.year_to == 1980


def test_older_and_newer_only_when_true_of_every_shown_item() -> None:
    catalog = tiny_catalog()
    target = Target.of(catalog.items["1"])  # Western, 1969
    user = SimulatedUser.create(target, catalog, SEED, vague_share=0.0)
    user.observe(user.next_act(None), BotReply(item_ids=("2", "5")))  # 1994, 1992
    user.pending.clear()  # as if the era was stated too
    acts = [user.next_act(BotReply(item_ids=("2", "5"))) for _ in range(60)]
    assert any(a.kind == "older" and a.year_to == 1991 for a in acts)
    assert not any(a.kind == "newer" for a in acts)
    assert not any(a.kind == "exclude" and a.genre == "Western" for a in acts)
    assert any(a.kind == "exclude" and a.genre == "Drama" for a in acts)


def test_questions_are_answered_for_the_attribute_asked() -> None:
    catalog = tiny_catalog()
    target = Target.of(catalog.items["2"])  # Comedy, Western, 1994
    user = SimulatedUser.create(target, catalog, SEED, vague_share=1.0)
    first = user.next_act(None)
    assert first.kind == "opener"
    user.observe(first, BotReply(question="genre"))
    act = user.next_act(BotReply(question="genre"))
    assert act.answer and act.kind == "genre" and act.genre in target.genres
    user.observe(act, BotReply(question="era"))
    act = user.next_act(BotReply(question="era"))
    assert act.answer and act.kind == "era" and act.era is not None and act.era.contains(1994)
    assert question_attribute(BotReply(question="", text="What kind of film are you after?")) == "genre"
    assert question_attribute(BotReply(question="", text="Which decade?")) == "era"
    assert question_attribute(BotReply(question="liked_title")) == ""


def test_nothing_shown_and_nothing_left_restates_a_known_attribute() -> None:
    catalog = tiny_catalog()
    target = Target.of(catalog.items["1"])
    user = SimulatedUser.create(target, catalog, SEED, vague_share=0.0)
    reply = BotReply(text="Sorry, I didn't get that.")
    for _ in range(2):
        act = user.next_act(reply)
        user.observe(act, reply)
    assert not user.pending
    assert user.next_act(reply).kind in {"genre", "era"}


def test_unknown_genre_is_never_stated_and_items_without_genres_are_not_targets() -> None:
    catalog = tiny_catalog()
    targets = sample_targets(catalog, "all", 10, SEED)
    assert "6" not in {t.item_id for t in targets}
    assert all("unknown" not in t.genres for t in targets)
    popular = sample_targets(catalog, "popular", 10, SEED)
    assert {t.item_id for t in popular} == {"1", "2", "3", "4"}
    assert sample_targets(catalog, "all", 3, SEED) == sample_targets(catalog, "all", 3, SEED)


def test_a_target_without_a_year_never_states_an_era() -> None:
    catalog = tiny_catalog()
    target = Target.of(catalog.items["7"])
    user = SimulatedUser.create(target, catalog, SEED, vague_share=0.0)
    reply = None
    for _ in range(10):
        act = user.next_act(reply)
        assert act.kind != "era"
        reply = BotReply(question="era")
        user.observe(act, reply)
