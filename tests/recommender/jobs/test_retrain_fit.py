"""The retrain's training procedure: hold-outs, the candidate, the refit for serving, a simulated chain."""

from __future__ import annotations

import numpy as np

from recommender import feedback as fb
from recommender.eval.split import HeldOut, visible_pairs
from recommender.models.base import InteractionData, Query
from recommender.models.blend import LinearBlend
from recommender.models.common import user_histories
from recommender.models.registry import get_spec
from recommender.models.warm_start import WarmStart
from recommender.training.retrain_fit import (
    fit_candidate,
    fit_contender,
    for_serving,
    new_positives,
    retrain_split,
    simulate_retrains,
    time_cuts,
)
from recommender.types import Item


def synthetic_interactions(n_users: int = 36, n_items: int = 45, seed: int = 7) -> InteractionData:
    """Users in three taste clusters (item i in cluster i % 3), 8-14 rated items each, in time order."""
    rng = np.random.default_rng(seed)
    users, items, times = [], [], []
    clock = 0.0
    for u in range(n_users):
        for i in rng.choice(np.arange(u % 3, n_items, 3), size=int(rng.integers(8, 15)), replace=False):
            clock += float(rng.integers(1, 1000))
            users.append(u)
            items.append(int(i))
            times.append(clock)
    return InteractionData(
        user_idx=np.array(users), item_idx=np.array(items), values=np.full(len(users), 5.0, np.float32),
        timestamps=np.array(times), kinds=np.full(len(users), fb.RATING, dtype=object),
        user_ids=[f"u{u}" for u in range(n_users)],
        items=[Item(str(i), f"film {i}", genres=(("Comedy", "Horror", "Drama")[i % 3],)) for i in range(n_items)],
    )


BLEND = {"base_models": ("sasrec", "item_knn", "popularity"), "base_params": {"sasrec": {
    "dim": 16, "max_len": 10, "epochs": 2, "warm_epochs": 1, "batch_size": 16}}, "candidates": 20,
    "hard_negatives": 10, "random_negatives": 5, "epochs": 5, "refit": False, "refit_warm_epochs": 1}


def blend() -> LinearBlend:
    return LinearBlend(**BLEND, seed=0)  # type: ignore[arg-type]


def test_new_positives_take_each_users_last_positive_new_event_on_an_unseen_item() -> None:
    users = np.array([0, 0, 0, 0, 1, 1, 1, 2])
    items = np.array([5, 6, 7, 5, 1, 2, 3, 9])
    kinds = np.array([fb.RATING, fb.LIKE, fb.RATING, fb.LIKE, fb.RATING, fb.RATING, fb.DISLIKE, fb.LIKE], dtype=object)
    values = np.array([4.0, 5.0, 2.0, 5.0, 5.0, 5.0, 1.0, 5.0])
    is_new = np.array([False, True, True, True, False, True, True, True])
    held = new_positives(users, items, kinds, values, is_new, like_threshold=4.0)
    # user 0: item 6 (7 is rated 2; 5 was seen before the watermark); user 1: item 2 (3 is a dislike); user 2: 9
    assert held.users.tolist() == [0, 1, 2] and held.items.tolist() == [6, 2, 9]
    unknown = new_positives(np.array([-1]), np.array([3]), np.array([fb.LIKE], dtype=object), np.array([5.0]),
                            np.array([True]), 4.0)
    assert len(unknown) == 0


def test_the_candidate_never_sees_a_held_out_pair_and_the_served_model_sees_all() -> None:
    data = synthetic_interactions()
    histories = user_histories(data)
    recent_users = np.array([0, 1])
    recent = HeldOut(recent_users, np.array([histories[u][0][-2] for u in recent_users]))
    split = retrain_split(data, recent)
    assert split.offline.items.tolist() == [histories[u][0][-1] for u in split.offline.users.tolist()]
    held = set(zip(split.offline.users.tolist(), split.offline.items.tolist(), strict=True))
    held |= set(zip(recent.users.tolist(), recent.items.tolist(), strict=True))
    assert not visible_pairs(split.train) & held and visible_pairs(data) - visible_pairs(split.train) == held
    recent_pairs = set(zip(recent.users.tolist(), recent.items.tolist(), strict=True))
    assert visible_pairs(data) - visible_pairs(split.contender_train) == recent_pairs
    candidate = fit_candidate(blend(), split.train)
    contender = fit_contender(candidate, split, blend)
    assert isinstance(contender, LinearBlend) and contender is not candidate
    # the contender's weights learn from each user's last item: the offline one, unless it is recent
    assert contender.fit_report["training_users"] == candidate.fit_report["training_users"]
    served = for_serving(candidate, contender, data, blend)
    assert isinstance(served, LinearBlend)
    counts = np.bincount(np.unique(data.user_idx * data.n_items + data.item_idx) % data.n_items, minlength=data.n_items)
    np.testing.assert_array_equal(served.models["popularity"].score(Query()), counts.astype(np.float32))
    # the next retrain continues from the candidate's held-out fits, which saw no held-out item
    assert served.warm_bases["sasrec"] is candidate.warm_bases["sasrec"]
    # a model without bases of its own is its own contender, and is fitted again on everything
    popularity = get_spec("popularity").build().fit(split.train)
    assert fit_contender(popularity, split, get_spec("popularity").build) is popularity
    refitted = for_serving(popularity, popularity, data, get_spec("popularity").build)
    np.testing.assert_array_equal(refitted.score(Query()), counts.astype(np.float32))


def test_a_candidate_warm_starts_from_the_published_model() -> None:
    data = synthetic_interactions()
    split = retrain_split(data)
    first = fit_candidate(blend(), split.train)
    published = for_serving(first, fit_contender(first, split, blend), data, blend)
    candidate = fit_candidate(blend(), retrain_split(data).train, WarmStart(published))
    assert candidate.fit_report["warm_started"] == ["sasrec"]  # type: ignore[attr-defined]
    assert candidate.fit_report["sasrec:epochs_trained"] == 3  # type: ignore[attr-defined]


def test_a_simulated_chain_grows_its_data_and_serves_a_model_trained_on_all_of_it() -> None:
    data = synthetic_interactions()
    cuts = time_cuts(data, steps=3, step_share=0.1)
    assert cuts[-1] == data.timestamps.max() and cuts == sorted(cuts)
    chain = simulate_retrains(data, blend, steps=3, step_share=0.1, like_threshold=4.0)
    events = [step["events"] for step in chain.steps]
    assert events == sorted(events) and events[-1] == len(data) and events[0] < len(data)
    assert chain.steps[0]["recent_held_out"] == 0 and all(step["seconds"] >= 0 for step in chain.steps)
    served = chain.served
    assert isinstance(served, LinearBlend)
    # SASRec: 2 cold epochs, then 1 per later retrain (held-out fits), then 1 more on all the data
    assert served.fit_report["sasrec:warm_epochs_trained"] == 4 and served.fit_report["sasrec:epochs_trained"] == 5
