"""Sent feedback == stored feedback: one check for every test that sends feedback events.

Importable from every test folder as `from feedback_checks import assert_stored_feedback`
(pytest puts `tests/` on `sys.path` for the root conftest, as it does `tests/recommender/`
for `synthetic_log`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from recommender.store import Store

# One feedback event as a test sent it: (stored user id, item id, kind, value or None).
Sent = tuple[str, str, str, float | None]


def assert_stored_feedback(
    store: Store | str, sent: Sequence[Sent], users: Iterable[str] = ()
) -> None:
    """Assert the feedback rows stored for the users in `sent` (and `users`) are exactly `sent`, in order.

    `store` is a `Store` or a database URL. Each user's rows are compared item, kind and value,
    in the order they were stored, with the events `sent` for that user: nothing lost, nothing
    duplicated, nothing extra. `users` adds users who should have no rows (say, after a forget).
    """
    own = isinstance(store, str)
    db = Store(store) if isinstance(store, str) else store
    try:
        wanted: dict[str, list[tuple[str, str, float | None]]] = {user: [] for user in users}
        for user, item_id, kind, value in sent:
            wanted.setdefault(user, []).append((item_id, kind, None if value is None else float(value)))
        stored = {user: db.user_feedback(user) for user in wanted}
    finally:
        if own:
            db.engine.dispose()
    assert stored == wanted, f"stored feedback differs from what was sent:\nsent   {wanted}\nstored {stored}"
