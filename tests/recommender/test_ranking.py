"""The final ranking's soft signals on the small real catalog: what a complaint named ("too gory")
pushes the rows most like it down, and never filters anything out."""

from __future__ import annotations

import numpy as np

from recommender.ranking import RankRequest, rank
from recommender.service import RecommenderService


def test_rows_most_like_an_avoided_description_go_lower(service: RecommenderService) -> None:
    bundle = service.bundles.current()
    n = len(bundle.index.items)
    mask = np.ones(n, dtype=bool)
    before = [r.row for r in rank(bundle, RankRequest(mask=mask, k=n))]
    top = before[0]
    avoid = np.full(n, 0.1, dtype=np.float32)
    avoid[top] = 0.9  # the best row's description is the one most like the complaint
    after = [r.row for r in rank(bundle, RankRequest(mask=mask, k=n, avoid=avoid))]
    assert sorted(after) == sorted(before)  # nothing filtered
    assert after.index(top) > before.index(top)
    assert [r for r in after if r != top] == [r for r in before if r != top]  # the others keep their order
