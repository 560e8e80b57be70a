"""Test helper: a small synthetic log with clear tastes (4 clusters of 12 items) and quick retrain settings.

Every user watches 7 items of their own cluster, in roughly the cluster's order, plus one item
of another cluster: item-kNN learns the clusters in milliseconds and beats popularity clearly,
so "publish", "reject" and "not worse" are decided by the data, not by luck.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from recommender.store import Store

CLUSTERS = ("Comedy", "Horror", "Drama", "Sci-Fi")
PER_CLUSTER = 12
USERS_PER_CLUSTER = 40
START = datetime(2020, 1, 1, tzinfo=UTC)

# A light blend: two base models, few negatives and epochs (well under a second to fit).
QUICK_PARAMS = {
    "base_models": ["item_knn", "popularity"],
    "base_params": {"item_knn": {"neighbours": 20, "recent": 5}},
    "candidates": 20, "hard_negatives": 10, "random_negatives": 5, "epochs": 30, "refit": False,
}


def item_id(cluster: int, n: int) -> str:
    """Items 1..48: cluster c holds c*12+1 .. c*12+12."""
    return str(cluster * PER_CLUSTER + n + 1)


def cluster_of(user: str) -> int:
    return int(user.rsplit("u", 1)[1]) % len(CLUSTERS)


def seed_synthetic(store: Store, seed: int = 0) -> dict[str, list[str]]:
    """Write the catalog and the imported log; returns each user's items in time order."""
    rng = np.random.default_rng(seed)
    store.upsert_items([
        {"item_id": item_id(c, n), "title": f"{genre} film {n + 1} ({1980 + n})", "year": 1980 + n,
         "genres": [genre], "people": [], "description": "", "url": "", "attributes": {}}
        for c, genre in enumerate(CLUSTERS) for n in range(PER_CLUSTER)
    ])
    users = [f"syn:u{n}" for n in range(USERS_PER_CLUSTER * len(CLUSTERS))]
    store.upsert_users([{"user_id": u, "source": "synthetic"} for u in users])
    rows, histories = [], {}
    for n, user in enumerate(users):
        c = cluster_of(user)
        order = sorted(range(PER_CLUSTER), key=lambda j: j + rng.normal(0, 1.5))[:7]
        other = int(rng.integers(0, PER_CLUSTER // 2))
        items = [item_id(c, j) for j in order]
        items.insert(int(rng.integers(0, len(items))), item_id((c + 1) % len(CLUSTERS), other))
        histories[user] = items
        for t, item in enumerate(items):
            own = int(item) - 1 in range(c * PER_CLUSTER, (c + 1) * PER_CLUSTER)
            rows.append({"user_id": user, "item_id": item, "kind": "rating", "value": 5.0 if own else 3.0,
                         "source": "synthetic", "created_at": START + timedelta(days=n, hours=t)})
    store.add_feedback_bulk(rows)
    return histories


def add_chat_likes(store: Store, histories: dict[str, list[str]], users: int, *, seed: int = 1) -> int:
    """New chat feedback: `users` users each like one unseen item of their own cluster. Returns events added."""
    rng = np.random.default_rng(seed)
    added = 0
    for user in list(histories)[:users]:
        c = cluster_of(user)
        unseen = [item_id(c, j) for j in range(PER_CLUSTER) if item_id(c, j) not in histories[user]]
        item = unseen[int(rng.integers(0, len(unseen)))]
        store.add_feedback(user_id=user, item_id=item, kind="like", session_id=user, request_id=f"r-{user}")
        histories[user] = [*histories[user], item]
        added += 1
    return added


