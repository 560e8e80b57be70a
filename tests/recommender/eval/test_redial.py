"""ReDial harness: samples and contexts from hand-made dialogues, recall, rankers and tuning on a tiny catalog."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from recommender.eval.redial import (
    WEIGHT_GRID,
    RedialContext,
    RedialModels,
    RedialSample,
    Weights,
    dialogue_ranker,
    dialogue_samples,
    evaluate_ranker,
    is_validation,
    item_knn_ranker,
    popularity_ranker,
    recall_at_k,
    run_benchmark,
    service_rank_ranker,
    text_ranker,
    tune_weights,
    write_report,
)

SEEKER, RECOMMENDER = 1, 2
MAPPING = {"100": "m1", "200": "m2", "300": "m3", "400": "m4"}  # 999 is not mapped

DIALOGUE = {
    "conversationId": "20001",
    "initiatorWorkerId": SEEKER,
    "respondentWorkerId": RECOMMENDER,
    "movieMentions": {"100": "Heat  (1995)", "200": "Toy Story (1995)", "300": "Alien (1979)",
                      "400": "Babe (1995)", "999": "Unmapped (2001)"},
    "initiatorQuestions": {"100": {"suggested": 0, "seen": 1, "liked": 1},
                           "200": {"suggested": 1, "seen": 1, "liked": 0}},
    "respondentQuestions": {"100": {"suggested": 0, "seen": 1, "liked": 0},
                            "300": {"suggested": 1, "seen": 0, "liked": 1},
                            "400": {"suggested": 1, "seen": 2, "liked": 2}},
    "messages": [
        {"senderWorkerId": SEEKER, "text": "hi, I loved @100 and want a heist"},
        {"senderWorkerId": RECOMMENDER, "text": "try @200 or @999"},
        {"senderWorkerId": SEEKER, "text": "not a fan of @200"},
        {"senderWorkerId": RECOMMENDER, "text": "then @300 and @100, or @400"},
        {"senderWorkerId": RECOMMENDER, "text": "@300 is great"},
    ],
}


def test_samples_are_new_mapped_suggestions_with_the_context_before_them() -> None:
    samples = dialogue_samples(DIALOGUE, MAPPING)
    assert [(s.message_index, s.target) for s in samples] == [(1, "m2"), (3, "m3"), (3, "m4")]
    first = samples[0].context
    assert first == RedialContext(liked=("m1",), disliked=(), mentioned=("m1",),
                                  seeker_text="hi, I loved Heat (1995) and want a heist")
    later = samples[1].context
    assert later.liked == ("m1",)  # the seeker's own answer (liked) wins over the recommender's (disliked)
    assert later.disliked == ("m2",)
    assert later.mentioned == ("m1", "m2")  # the unmapped @999 is not a catalog item
    assert later.seeker_text.endswith("\nnot a fan of Toy Story (1995)")


def test_recall_and_the_validation_slice() -> None:
    rankings = [["a", "b", "c"], ["c", "a"], []]
    assert recall_at_k(rankings, ["a", "a", "a"], 1) == pytest.approx(1 / 3)
    assert recall_at_k(rankings, ["a", "a", "a"], 2) == pytest.approx(2 / 3)
    assert recall_at_k([], [], 10) == 0.0
    flags = [is_validation(str(20000 + i)) for i in range(1000)]
    assert flags == [is_validation(str(20000 + i)) for i in range(1000)]
    assert 0.15 < sum(flags) / len(flags) < 0.25


def test_mentioned_items_never_count_as_hits() -> None:
    sample = RedialSample("1", 0, RedialContext(mentioned=("a",)), "a")
    assert evaluate_ranker(lambda ctx: ["a", "b"], [sample], progress=False)["recall@1"] == 0.0
    sample = RedialSample("1", 0, RedialContext(mentioned=("a",)), "b")
    assert evaluate_ranker(lambda ctx: ["a", "b"], [sample], progress=False)["recall@1"] == 1.0


class BagOfWords:
    """Fake encoder: hashed word counts, L2-normalised."""

    fingerprint = "bow-32"

    def encode(self, texts):  # type: ignore[no-untyped-def]
        import hashlib
        import re

        out = np.zeros((len(texts), 32), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 32] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


@pytest.fixture
def models(tmp_path: Path) -> RedialModels:
    """Five movies, users who watch m1 with m3 and m2 with m4; m5 is the most popular."""
    from recommender.catalog.enrichment import Enrichment
    from recommender.config import Settings
    from recommender.feedback import RATING
    from recommender.retrieval.bundle import ModelBundle, fit_cold_start
    from recommender.retrieval.index import CatalogIndex
    from recommender.retrieval.text_query import TextQueryScorer
    from recommender.store.repository import Interactions
    from recommender.training.data import interaction_data
    from recommender.types import Item

    items = [Item("m1", "Heat (1995)", 1995, ("Crime",)), Item("m2", "Toy Story (1995)", 1995, ("Children",)),
             Item("m3", "Alien (1979)", 1979, ("Horror",)), Item("m4", "Babe (1995)", 1995, ("Children",)),
             Item("m5", "Titanic (1997)", 1997, ("Romance",))]
    pairs = [(f"u{u}", "m1") for u in range(4)] + [(f"u{u}", "m3") for u in range(4)]
    pairs += [(f"v{u}", "m2") for u in range(4)] + [(f"v{u}", "m4") for u in range(4)]
    pairs += [(f"w{u}", "m5") for u in range(9)]
    events = Interactions(np.array([u for u, _ in pairs], dtype=object), np.array([i for _, i in pairs], dtype=object),
                          np.array([RATING] * len(pairs), dtype=object), np.full(len(pairs), 5.0),
                          np.zeros(len(pairs)))
    index = CatalogIndex(items)
    settings = Settings(_env_file=None, popularity_prior=1.0, knn_neighbours=10, knn_shrinkage=0.0)
    popularity, knn, content = fit_cold_start(interaction_data(events, items), index, settings)
    text = TextQueryScorer(items, {"m4": Enrichment("m4", "A pig learns to herd sheep on a farm.", ("pig", "farm"))},
                           tmp_path, BagOfWords())
    bundle = ModelBundle("t", index, popularity, knn, content, text=text)
    return RedialModels(bundle)


def test_rankers_follow_their_signals_and_skip_mentions(models: RedialModels) -> None:
    liked_heat = RedialContext(liked=("m1",), mentioned=("m1",))
    assert popularity_ranker(models)(liked_heat)[0] == "m5"
    assert "m1" not in popularity_ranker(models)(liked_heat)
    assert item_knn_ranker(models)(liked_heat)[0] == "m3"
    assert service_rank_ranker(models)(liked_heat)[0] == "m3"
    assert text_ranker(models)(RedialContext(seeker_text="a movie about a pig on a farm"))[0] == "m4"
    assert text_ranker(models)(RedialContext())[0] == "m5"  # no words: popularity
    through_dialogue = dialogue_ranker(models)
    assert through_dialogue is not None
    assert through_dialogue(liked_heat)[0] == "m3"
    assert through_dialogue(RedialContext(seeker_text="hi\nsomething for children please"))[:2] in (
        ["m2", "m4"], ["m4", "m2"])  # "for children" is a genre filter in the dialogue's understanding


def test_tuning_and_the_report(models: RedialModels, tmp_path: Path) -> None:
    samples = [RedialSample(cid, 0, RedialContext(liked=("m1",), mentioned=("m1",),
                                                  seeker_text="pig farm"), "m4")
               for cid in ("0", "1", "2", "3", "4", "5", "6", "7")]
    weights, grid = tune_weights(models, samples, progress=False)
    assert weights.text > 0  # only the text finds the pig film ahead of Alien
    assert len(grid) == len(WEIGHT_GRID["text"]) * len(WEIGHT_GRID["popularity"]) and all(0.0 <= g["recall@1"] <= 1.0 for g in grid)
    assert Weights(1.0, 0.0, 0.0).total  # a plain callable blend
    assert any(s.validation for s in samples) and not all(s.validation for s in samples)
    report = run_benchmark(models, samples, progress=False)
    assert report["rankers"]["combined: item-knn + text + popularity"]["recall@1"] == 1.0
    assert report["rankers"]["popularity"]["recall@1"] == 0.0
    paths = write_report(report, tmp_path, "python -m recommender evaluate --dataset redial")
    assert json.loads(paths["json"].read_text())["chosen_weights"] == weights.__dict__
    assert "| popularity |" in paths["md"].read_text() and paths["png"].stat().st_size > 1000


@pytest.mark.realdata
def test_real_redial_samples(shared_data) -> None:  # type: ignore[no-untyped-def]
    """The test split yields a few thousand mapped suggestions, most dialogues contributing."""
    from recommender.eval.redial import load_samples

    samples = load_samples(shared_data("redial"))
    assert 2500 <= len(samples) <= 3400
    assert len({s.conversation_id for s in samples}) > 1000
    assert all(s.target not in s.context.mentioned for s in samples)
