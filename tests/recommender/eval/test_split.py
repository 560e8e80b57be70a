"""Leave-last-out: which item goes where, deterministic ties, and no leakage into training."""

from __future__ import annotations

import numpy as np

from recommender.eval.split import leave_last_out, visible_pairs
from recommender.models.base import InteractionData
from recommender.models.common import tie_break, user_histories
from recommender.types import Item


def _data(rows: list[tuple[int, int, float, str]], n_users: int = 4, n_items: int = 8) -> InteractionData:
    """rows: (user, item, time, kind)."""
    return InteractionData(
        user_idx=np.array([r[0] for r in rows], dtype=np.int64),
        item_idx=np.array([r[1] for r in rows], dtype=np.int64),
        values=np.array([np.nan if r[3] == "click" else 4.0 for r in rows], dtype=np.float32),
        timestamps=np.array([r[2] for r in rows], dtype=np.float64),
        kinds=np.array([r[3] for r in rows], dtype=object),
        user_ids=[f"u{u}" for u in range(n_users)],
        items=[Item(str(i), f"t{i}") for i in range(n_items)],
    )


ROWS = [
    # user 0: items by time 3 (t1), 1 (t2), 5 (t3), 2 (t4) -> test 2, validation 5
    (0, 2, 4.0, "rating"), (0, 3, 1.0, "rating"), (0, 1, 2.0, "rating"), (0, 5, 3.0, "rating"),
    # user 1: only two items -> train only
    (1, 0, 1.0, "rating"), (1, 4, 2.0, "rating"),
    # user 2: items 6 and 7 tie at t5 -> the pair hash (`tie_break`) puts 6 after 7; 0 at t1
    (2, 7, 5.0, "rating"), (2, 0, 1.0, "rating"), (2, 6, 5.0, "rating"),
    # user 3: clicked 1 first (t1), then 4 (t2), 6 (t3), and rated 1 last (t9): item 1 is the test item
    (3, 1, 1.0, "click"), (3, 4, 2.0, "rating"), (3, 6, 3.0, "rating"), (3, 1, 9.0, "rating"),
]


def test_last_item_tests_second_to_last_validates() -> None:
    split = leave_last_out(_data(ROWS))
    assert split.test.users.tolist() == [0, 2, 3]
    assert split.test.items.tolist() == [2, 6, 1]
    assert split.validation.users.tolist() == [0, 2, 3]
    assert split.validation.items.tolist() == [5, 7, 6]


def test_ties_in_time_follow_the_pair_hash_not_the_item_index() -> None:
    """A burst of items logged in one second: the one held out is the pair hash's last, the same
    one `user_histories` puts last, and across users it is not simply the highest index."""
    assert tie_break(np.array([2]), np.array([6]))[0] > tie_break(np.array([2]), np.array([7]))[0]
    n_users, burst = 40, [1, 2, 3, 4, 5, 6, 7]
    rows = [(u, i, 10.0, "rating") for u in range(n_users) for i in burst] + [(u, 0, 1.0, "rating") for u in range(n_users)]
    data = _data(rows, n_users=n_users)
    split = leave_last_out(data)
    histories = user_histories(data)
    for user, item in zip(split.test.users.tolist(), split.test.items.tolist(), strict=True):
        assert histories[user][0][-1] == item
        keys = tie_break(np.full(len(burst), user), np.array(burst))
        assert item == burst[int(np.argmax(keys))]
    assert len(set(split.test.items.tolist())) > 3  # index order would give item 7 for every user


def test_users_with_fewer_than_three_items_stay_in_training() -> None:
    split = leave_last_out(_data(ROWS))
    assert 1 not in split.test.users and 1 not in split.validation.users
    assert {(1, 0), (1, 4)} <= visible_pairs(split.train)


def test_every_event_of_a_held_out_item_leaves_training() -> None:
    """User 3 clicked item 1 long before rating it: the early click must not leak the answer."""
    split = leave_last_out(_data(ROWS))
    assert (3, 1) not in visible_pairs(split.train)
    assert (3, 1) not in visible_pairs(split.train_validation)
    assert len(split.train) + 2 * 3 + 1 == len(ROWS)  # 3 test + 3 validation pairs, user 3's test has 2 events


def test_no_held_out_pair_is_visible_where_it_must_not_be() -> None:
    rng = np.random.default_rng(0)
    rows = [(int(u), int(i), float(t), "rating") for u, i, t in
            zip(rng.integers(0, 30, 600), rng.integers(0, 50, 600), rng.integers(0, 100, 600), strict=True)]
    data = _data(rows, n_users=30, n_items=50)
    split = leave_last_out(data)
    train, train_valid = visible_pairs(split.train), visible_pairs(split.train_validation)
    test = set(zip(split.test.users.tolist(), split.test.items.tolist(), strict=True))
    valid = set(zip(split.validation.users.tolist(), split.validation.items.tolist(), strict=True))
    assert not test & train and not valid & train
    assert not test & train_valid
    assert valid <= train_valid
    # nothing else is lost: train + held-out pairs = all pairs
    assert train | test | valid == visible_pairs(data)
    # the held-out items really are each user's latest
    for user, item in test:
        rows_u = [r for r in rows if r[0] == user]
        assert max(r[2] for r in rows_u if r[1] == item) == max(r[2] for r in rows_u)


def test_split_ignores_row_order() -> None:
    shuffled = [ROWS[i] for i in np.random.default_rng(1).permutation(len(ROWS))]
    a, b = leave_last_out(_data(ROWS)), leave_last_out(_data(shuffled))
    assert a.test.items.tolist() == b.test.items.tolist()
    assert a.validation.items.tolist() == b.validation.items.tolist()
    assert visible_pairs(a.train) == visible_pairs(b.train)


def test_histories_are_ordered_by_time_with_ties_by_the_pair_hash() -> None:
    histories = user_histories(_data(ROWS))
    assert histories[0][0].tolist() == [3, 1, 5, 2]
    assert histories[2][0].tolist() == [0, 7, 6]
    # user 3's item 1: last event is the rating at t9, so it comes last; its weight is the rating
    assert histories[3][0].tolist() == [4, 6, 1]
    assert histories[3][1].tolist() == [4.0, 4.0, 4.0]
