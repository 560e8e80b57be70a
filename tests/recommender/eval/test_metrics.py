"""Metrics on cases small enough to compute by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recommender.eval.metrics import (
    catalog_coverage,
    hit_rate_at_k,
    hit_rate_at_k_sets,
    mrr_at_k,
    ndcg_at_k,
    ndcg_at_k_sets,
    target_ranks,
)

# user 0: target 7 at rank 1; user 1: target 3 at rank 3; user 2: target 9 missing; user 3: target 5 at rank 5
RANKED = [np.array([7, 1, 2, 4, 0]), np.array([1, 2, 3, 4, 5]), np.array([0, 1, 2, 3, 4]), np.array([8, 6, 4, 2, 5])]
TARGETS = np.array([7, 3, 9, 5])


def test_target_ranks_are_one_based_and_zero_when_missing() -> None:
    assert target_ranks(RANKED, TARGETS, k=5).tolist() == [1, 3, 0, 5]
    assert target_ranks(RANKED, TARGETS, k=3).tolist() == [1, 3, 0, 0]


def test_hit_rate() -> None:
    assert hit_rate_at_k(RANKED, TARGETS, k=5) == pytest.approx(3 / 4)
    assert hit_rate_at_k(RANKED, TARGETS, k=2) == pytest.approx(1 / 4)
    assert hit_rate_at_k(RANKED, TARGETS, k=1) == pytest.approx(1 / 4)


def test_ndcg_by_hand() -> None:
    # ranks 1, 3, miss, 5 -> gains 1, 1/log2(4)=0.5, 0, 1/log2(6)
    expected = (1.0 + 0.5 + 0.0 + 1.0 / math.log2(6)) / 4
    assert ndcg_at_k(RANKED, TARGETS, k=5) == pytest.approx(expected)
    assert ndcg_at_k(RANKED, TARGETS, k=3) == pytest.approx((1.0 + 0.5) / 4)


def test_mrr_by_hand() -> None:
    assert mrr_at_k(RANKED, TARGETS, k=5) == pytest.approx((1 + 1 / 3 + 0 + 1 / 5) / 4)
    assert mrr_at_k(RANKED, TARGETS, k=2) == pytest.approx(1 / 4)


def test_perfect_and_empty_rankings() -> None:
    ranked = [np.array([2]), np.array([0])]
    targets = np.array([2, 0])
    assert hit_rate_at_k(ranked, targets, 10) == 1.0
    assert ndcg_at_k(ranked, targets, 10) == 1.0
    assert mrr_at_k(ranked, targets, 10) == 1.0
    # a model that returns nothing for a user scores 0 for that user, not an error
    assert hit_rate_at_k([np.array([], dtype=np.int64)], np.array([1]), 10) == 0.0
    assert ndcg_at_k([], np.array([], dtype=np.int64), 10) == 0.0


def test_only_the_first_occurrence_counts() -> None:
    assert target_ranks([np.array([4, 3, 3])], np.array([3]), 3).tolist() == [2]


def test_coverage_counts_distinct_items_in_the_first_k() -> None:
    # first 2 of each list: {7, 1} | {1, 2} | {0, 1} | {8, 6} = {0, 1, 2, 6, 7, 8} of 10 items
    assert catalog_coverage(RANKED, n_items=10, k=2) == pytest.approx(6 / 10)
    assert catalog_coverage([], n_items=10, k=2) == 0.0


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="one list per user"):
        hit_rate_at_k(RANKED, TARGETS[:2], 5)
    with pytest.raises(ValueError, match="k must be"):
        ndcg_at_k(RANKED, TARGETS, 0)
    with pytest.raises(ValueError, match="n_items"):
        catalog_coverage(RANKED, 0, 5)


def test_ndcg_with_relevant_sets_by_hand() -> None:
    # user a: hits at positions 1 and 3 of 2 relevant -> (1 + 1/2) / (1 + 1/log2(3))
    # user b: its only relevant item at position 2 -> (1/log2(3)) / 1
    # user c: miss -> 0
    ranked = [["x", "y", "z"], ["p", "q", "r"], ["s", "t", "u"]]
    relevant = [{"x", "z"}, {"q"}, {"nope"}]
    a = (1 + 0.5) / (1 + 1 / math.log2(3))
    b = 1 / math.log2(3)
    assert ndcg_at_k_sets(ranked, relevant, 3) == pytest.approx((a + b + 0) / 3)
    assert ndcg_at_k_sets(ranked, relevant, 1) == pytest.approx(1 / 3)
    assert hit_rate_at_k_sets(ranked, relevant, 3) == pytest.approx(2 / 3)
    assert hit_rate_at_k_sets(ranked, relevant, 1) == pytest.approx(1 / 3)


def test_ndcg_with_relevant_sets_caps_the_ideal_at_k() -> None:
    assert ndcg_at_k_sets([["a", "b"]], [{"a", "b", "c", "d"}], 2) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="without relevant"):
        ndcg_at_k_sets([["a"]], [set()], 1)


def test_ndcg_gains_per_user_by_hand() -> None:
    from recommender.eval.metrics import ndcg_gains

    gains = ndcg_gains([np.array([5, 2, 9]), np.array([1, 3]), np.array([4])], np.array([2, 7, 4]), k=3)
    assert gains.tolist() == pytest.approx([1 / np.log2(3), 0.0, 1.0])


def test_paired_ratio_interval_brackets_the_ratio_and_is_exact_for_a_constant_ratio() -> None:
    from recommender.eval.metrics import paired_ratio_interval

    rng = np.random.default_rng(0)
    b = rng.random(500)
    low, high = paired_ratio_interval(2 * b, b)
    assert low == pytest.approx(2.0) and high == pytest.approx(2.0)  # every resample has the same ratio
    a = b + rng.normal(0, 0.3, 500)
    low, high = paired_ratio_interval(a, b, seed=1)
    assert low < a.mean() / b.mean() < high and high - low < 0.5
    with pytest.raises(ValueError, match="equally long"):
        paired_ratio_interval(a, b[:10])
