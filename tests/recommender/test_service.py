"""RecommenderService on a small real catalog in SQLite: filters, critiques, feedback, profile."""

from __future__ import annotations

from dataclasses import replace

import pytest
from feedback_checks import assert_stored_feedback
from sqlalchemy import select

from recommender.config import Settings
from recommender.dialogue.state import DialogueState
from recommender.dialogue.turn import EntityHint
from recommender.errors import AmbiguousItemError, CatalogEmptyError, InvalidFeedbackError, UnknownItemError
from recommender.service import RecommenderService
from recommender.store import Store
from recommender.store.db import session_scope
from recommender.store.models import FeedbackEventRow, ImpressionRow, UserRow
from recommender.types import ConversationContext, Critique, FeedbackRequest

FUNNY_90S = ConversationContext(user="alice", text="a funny movie from the 90s", moods=("funny",), decade="90s")


def _ids(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [ri.item.item_id for ri in result.items]


def test_funny_from_the_90s_gives_comedies_dated_1990_to_1999(service: RecommenderService) -> None:
    result = service.recommend(FUNNY_90S)
    assert len(result.items) == 3
    for ri in result.items:
        assert "Comedy" in ri.item.genres
        assert ri.item.year is not None and 1990 <= ri.item.year <= 1999
        assert ri.reason and str(ri.item.year) in ri.reason
    assert result.context.year_from == 1990 and result.context.year_to == 1999
    assert result.context.last_item_ids == tuple(_ids(result))


def test_other_options_never_repeats(service: RecommenderService) -> None:
    first = service.recommend(FUNNY_90S)
    second = service.refine(first.context, Critique(other_options=True))
    assert second.items
    assert not set(_ids(first)) & set(_ids(second))
    assert set(second.context.shown_item_ids) == set(_ids(first)) | set(_ids(second))


def test_no_horror_removes_horror(service: RecommenderService) -> None:
    ctx = ConversationContext(user="bob", text="something funny", moods=("funny",))
    result = service.refine(service.recommend(ctx).context, Critique(exclude_genres=("horror",)))
    assert result.items
    assert all("Horror" not in ri.item.genres for ri in result.items)
    assert result.state is not None and result.state.exclude_genres == ("Horror",)


def test_something_older_moves_the_window_back(service: RecommenderService) -> None:
    first = service.recommend(FUNNY_90S)
    oldest_shown = min(ri.item.year for ri in first.items if ri.item.year is not None)
    older = service.refine(first.context, Critique(older=True))
    # older than everything just shown, still in the 1990s the person asked for
    assert (older.context.year_from, older.context.year_to) == (1990, oldest_shown - 1)
    assert older.items and all(ri.item.year is not None and ri.item.year < oldest_shown for ri in older.items)
    again = service.refine(older.context, Critique(older=True))
    assert again.context.year_to is not None and again.context.year_to < older.context.year_to
    assert again.relaxed or all(ri.item.year <= again.context.year_to for ri in again.items)


def test_more_like_the_second_one_uses_it_as_seed(service: RecommenderService) -> None:
    first = service.recommend(ConversationContext(user="carol", text="recommend something"))
    second_id = first.items[1].item.item_id
    more = service.refine(first.context, Critique(more_like="second"))
    assert second_id not in _ids(more)
    assert any("item_knn" in ri.sources or "content" in ri.sources for ri in more.items)


def test_liked_title_seeds_collaborative_reason(service: RecommenderService) -> None:
    result = service.recommend(ConversationContext(user="dan", text="like toy story", liked_titles=("toy story",)))
    assert "1" not in _ids(result)
    assert "liked by people who liked Toy Story (1995)" in result.items[0].reason


def test_unknown_title_is_reported(service: RecommenderService) -> None:
    result = service.recommend(ConversationContext(user="dan", text="like zzqx", liked_titles=("Zzqx Qwerty",)))
    assert any("Zzqx Qwerty" in n for n in result.notices)


def test_dislike_takes_effect_on_the_next_turn(service: RecommenderService, store: Store) -> None:
    ctx = ConversationContext(user="erin", text="recommend something")
    first = service.recommend(ctx)
    disliked = first.items[0].item.item_id
    service.record_feedback(first.context, FeedbackRequest(kind="dislike", item_ref="first"))
    assert_stored_feedback(store, [(service.user_id(ctx), disliked, "dislike", None)])
    fresh = service.recommend(ConversationContext(user="erin", text="recommend something"))
    assert disliked not in _ids(fresh)


def test_like_pulls_similar_items_up_on_the_next_turn(service: RecommenderService, store: Store) -> None:
    before = service.recommend(ConversationContext(user="fay", text="recommend", genres=("action",)))
    service.record_feedback(before.context, FeedbackRequest(kind="like", item_ref="8"))  # Alien
    assert_stored_feedback(store, [(service.user_id(before.context), "8", "like", None)])
    after = service.recommend(ConversationContext(user="fay", text="recommend", genres=("action",)))
    assert "8" not in _ids(after)
    assert any("Alien (1979)" in ri.reason for ri in after.items)


# -- feedback changes the very next turn: not only the item itself, its neighbours too --------------------
# Alien ("8") shares its fans (users d4, d5) with GoldenEye ("2") and Men in Black ("12"): they are its
# nearest item-kNN neighbours. Casablanca ("15") shares none of them.
ALIEN, NEIGHBOURS, UNRELATED = "8", ("2", "12"), "15"


@pytest.fixture
def ranker(store: Store, settings: Settings) -> RecommenderService:
    """The service over the small catalog, showing all of it in one turn so every item's rank and score is read."""
    return RecommenderService(store=store, settings=settings.model_copy(update={"default_k": store.count_items()}))


def _ranks(service: RecommenderService, user: str) -> dict[str, tuple[int, float]]:
    """A fresh "recommend something" turn for `user`: item id -> (rank from 1, score)."""
    result = service.recommend(ConversationContext(user=user, text="recommend something"))
    return {ri.item.item_id: (rank, ri.score) for rank, ri in enumerate(result.items, 1)}


def test_a_dislike_down_weights_the_disliked_items_neighbours_on_the_next_turn(
    ranker: RecommenderService, store: Store
) -> None:
    """Compared with no feedback, and with a neutral 3 stars (which also excludes Alien from the list),
    a dislike of Alien scores and ranks its neighbours lower; an unrelated item keeps its score."""
    neutral, disliker = ConversationContext(user="neutral"), ConversationContext(user="disliker")
    ranker.record_feedback(neutral, FeedbackRequest(kind="rating", item_id=ALIEN, value=3))
    ranker.record_feedback(disliker, FeedbackRequest(kind="dislike", item_id=ALIEN))
    assert_stored_feedback(
        store, [(ranker.user_id(neutral), ALIEN, "rating", 3), (ranker.user_id(disliker), ALIEN, "dislike", None)]
    )
    cold, same, after = _ranks(ranker, "cold"), _ranks(ranker, "neutral"), _ranks(ranker, "disliker")
    assert ALIEN in cold and ALIEN not in same and ALIEN not in after
    for neighbour in NEIGHBOURS:
        for control in (cold, same):
            assert after[neighbour][1] < control[neighbour][1], (neighbour, after, control)
            assert after[neighbour][0] > control[neighbour][0], (neighbour, after, control)
    assert after[UNRELATED][1] == pytest.approx(cold[UNRELATED][1])


@pytest.mark.parametrize(
    ("kind", "value", "effect"),
    [("like", None, "up"), ("rating", 5, "up"), ("rating", 4, "up"), ("rating", 3, "none"), ("rating", 1, "down")],
)
def test_a_like_or_high_rating_pulls_similar_items_up_a_low_rating_does_not(
    ranker: RecommenderService, store: Store, kind: str, value: float | None, effect: str
) -> None:
    """Against a user with no feedback: a like, 5 or 4 stars (the like threshold) on Alien rank its
    neighbours higher on the next turn; 3 stars leave them where they were; 1 star acts as a dislike."""
    fan = ConversationContext(user="fan")
    ranker.record_feedback(fan, FeedbackRequest(kind=kind, item_id=ALIEN, value=value))
    assert_stored_feedback(store, [(ranker.user_id(fan), ALIEN, kind, value)])
    cold, after = _ranks(ranker, "cold"), _ranks(ranker, "fan")
    assert ALIEN not in after
    for neighbour in NEIGHBOURS:
        moved = (after[neighbour][0], cold[neighbour][0])
        if effect == "up":
            assert moved[0] < moved[1], (neighbour, after, cold)
        elif effect == "none":
            assert moved[0] == moved[1] and after[neighbour][1] == pytest.approx(cold[neighbour][1])
        else:
            assert moved[0] > moved[1], (neighbour, after, cold)
    if effect == "up":  # pulled up to the very top
        assert set(list(after)[: len(NEIGHBOURS)]) == set(NEIGHBOURS)


def test_feedback_is_stored_with_request_and_pseudonymous_user(service: RecommenderService, store: Store) -> None:
    first = service.recommend(FUNNY_90S)
    result = service.record_feedback(first.context, FeedbackRequest(kind="loved", item_ref="2nd"))
    assert result.kind == "like" and result.item.item_id == first.items[1].item.item_id
    with session_scope(store._sessions) as session:
        rows = session.scalars(select(FeedbackEventRow).where(FeedbackEventRow.source == "chat")).all()
        users = session.scalars(select(UserRow.user_id)).all()
    assert len(rows) == 1 and rows[0].request_id == first.request_id
    assert "alice" not in users and rows[0].user_id == service.user_id(FUNNY_90S)
    assert_stored_feedback(store, [(service.user_id(FUNNY_90S), first.items[1].item.item_id, "like", None)])


def test_every_title_liked_in_words_is_stored(service: RecommenderService, store: Store) -> None:
    """"I loved Toy Story and Babe" stored Toy Story only (the NLU's one title entity)."""
    ctx = ConversationContext(user="kim", text="I loved Toy Story and Babe, what else?", intent="feedback",
                              state=DialogueState(), entities=(EntityHint("title", "Toy Story"), EntityHint("title", "Babe")))
    result = service.record_feedback(ctx, FeedbackRequest(kind="like", item_ref="Toy Story"))
    assert result.text == "Noted: you like Toy Story (1995) and Babe (1995). I'll find more like it."
    user = service.user_id(ctx)
    assert_stored_feedback(store, [(user, "1", "like", None), (user, "11", "like", None)])
    # "the second one" names one item of the list, whatever else the words say
    first = service.recommend(FUNNY_90S)
    service.record_feedback(replace(first.context, text="loved the second one and Babe"),
                            FeedbackRequest(kind="like", item_ref="second"))
    with session_scope(store._sessions) as session:
        alice = session.scalars(select(FeedbackEventRow.item_id).where(
            FeedbackEventRow.user_id == service.user_id(FUNNY_90S))).all()
    assert alice == [first.items[1].item.item_id]


def test_every_title_disliked_in_words_is_stored(service: RecommenderService, store: Store) -> None:
    """"i hated titanic and the godfather" over REST stored a dislike of the first title only."""
    ctx = ConversationContext(user="lee", text="i hated toy story and the godfather", intent="feedback",
                              state=DialogueState(), entities=(EntityHint("title", "toy story"),))
    result = service.record_feedback(ctx, FeedbackRequest(kind="dislike", item_ref="toy story"))
    assert "Toy Story (1995)" in result.text and "The Godfather (1972)" in result.text
    user = service.user_id(ctx)
    assert_stored_feedback(store, [(user, "1", "dislike", None), (user, "9", "dislike", None)])


def test_a_plural_reference_in_feedback_words_stores_each_item(service: RecommenderService, store: Store) -> None:
    """"the first two look good" over REST went the NLU's feedback way with no one item to resolve,
    and the bot answered that it could not tell which movie was meant."""
    first = service.recommend(FUNNY_90S)
    ctx = replace(first.context, state=first.state, text="the first two look good", intent="feedback")
    service.record_feedback(ctx, FeedbackRequest(kind="like"))
    user = service.user_id(FUNNY_90S)
    assert_stored_feedback(store, [(user, first.items[0].item.item_id, "like", None),
                                   (user, first.items[1].item.item_id, "like", None)])


def test_numbers_of_the_list_in_feedback_words_store_each_item(service: RecommenderService, store: Store) -> None:
    """"number 1 and 3 sound fun" went the feedback way with the NLU's "number 1" as the one reference:
    only the first was stored (and "fun" as the kind was no feedback at all, before the action's fix)."""
    first = service.recommend(FUNNY_90S)
    ctx = replace(first.context, state=first.state, text="number 1 and 3 sound fun", intent="feedback")
    service.record_feedback(ctx, FeedbackRequest(kind="like", item_ref="number 1"))
    user = service.user_id(FUNNY_90S)
    assert_stored_feedback(store, [(user, first.items[0].item.item_id, "like", None),
                                   (user, first.items[2].item.item_id, "like", None)])


def test_impressions_are_logged_with_positions_and_version(service: RecommenderService, store: Store) -> None:
    result = service.recommend(FUNNY_90S)
    with session_scope(store._sessions) as session:
        rows = session.scalars(select(ImpressionRow).order_by(ImpressionRow.position)).all()
    assert [r.item_id for r in rows] == _ids(result)
    assert [r.position for r in rows] == [1, 2, 3]
    assert all(r.request_id == result.request_id and r.model_version == result.model_version for r in rows)


def test_rating_and_bad_feedback(service: RecommenderService, store: Store) -> None:
    first = service.recommend(FUNNY_90S)
    rated = service.record_feedback(first.context, FeedbackRequest(kind="rate", item_ref="last", value=4))
    assert rated.kind == "rating" and rated.value == 4 and rated.item.item_id == first.items[-1].item.item_id
    with pytest.raises(InvalidFeedbackError):
        service.record_feedback(first.context, FeedbackRequest(kind="rating", item_ref="first", value=9))
    with pytest.raises(InvalidFeedbackError):
        service.record_feedback(first.context, FeedbackRequest(kind="qwerty", item_ref="first"))
    with pytest.raises(UnknownItemError):
        service.record_feedback(first.context, FeedbackRequest(kind="like", item_ref="99999999"))
    with pytest.raises(AmbiguousItemError):
        service.record_feedback(first.context, FeedbackRequest(kind="like"))
    # the refused events stored nothing
    assert_stored_feedback(store, [(service.user_id(FUNNY_90S), first.items[-1].item.item_id, "rating", 4)])


def test_bookmarks_are_listed_and_dislike_removes_them(service: RecommenderService, store: Store) -> None:
    first = service.recommend(FUNNY_90S)
    assert not service.saved_items(first.context).items
    service.record_feedback(first.context, FeedbackRequest(kind="save", item_ref="first"))
    service.record_feedback(first.context, FeedbackRequest(kind="bookmark", item_ref="second"))
    saved = service.saved_items(first.context)
    assert [ri.item.item_id for ri in saved.items] == _ids(first)[:2]
    service.record_feedback(first.context, FeedbackRequest(kind="dislike", item_ref="first"))
    assert [ri.item.item_id for ri in service.saved_items(first.context).items] == _ids(first)[1:2]
    user, (one, two, _) = service.user_id(FUNNY_90S), _ids(first)
    assert_stored_feedback(store, [(user, one, "bookmark", None), (user, two, "bookmark", None), (user, one, "dislike", None)])


def test_explain_returns_the_logged_reasons(service: RecommenderService) -> None:
    assert "haven't recommended" in service.explain(ConversationContext(user="gil")).text
    first = service.recommend(FUNNY_90S)
    whole = service.explain(first.context)
    assert [ri.reason for ri in whole.items] == [ri.reason for ri in first.items]
    one = service.explain(first.context, "second")
    assert one.items[0].item.item_id == first.items[1].item.item_id


def test_forget_user_deletes_every_row(service: RecommenderService, store: Store) -> None:
    first = service.recommend(FUNNY_90S)
    service.record_feedback(first.context, FeedbackRequest(kind="like", item_ref="first"))
    user = service.user_id(FUNNY_90S)
    assert_stored_feedback(store, [(user, first.items[0].item.item_id, "like", None)])
    assert service.forget_user(FUNNY_90S) >= 1 + 3 + 1 + 1  # feedback, impressions, request, user
    assert store.count_feedback(user_id=user) == 0
    assert_stored_feedback(store, [], users=[user])
    with session_scope(store._sessions) as session:
        assert session.get(UserRow, user) is None
        assert session.scalars(select(ImpressionRow).where(ImpressionRow.user_id == user)).first() is None


def test_people_on_a_catalog_without_people_is_said_honestly(service: RecommenderService) -> None:
    result = service.recommend(ConversationContext(user="hal", text="with tom hanks", people=("Tom Hanks",)))
    assert result.items and any("Tom Hanks" in n for n in result.notices)


def test_empty_catalog_raises_a_clear_error(settings: Settings) -> None:
    store = Store(settings.resolved_database_url.replace("recommender.db", "empty.db"))
    store.migrate()
    with pytest.raises(CatalogEmptyError, match="ingest"):
        RecommenderService(store=store, settings=settings).recommend(FUNNY_90S)


def test_catalog_without_interactions_uses_its_popularity_and_attributes(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 'books.db'}")
    store.migrate()
    books = [
        ("b1", "The Hunger Games", 2008, ["Suzanne Collins"], 4_780_653),
        ("b2", "Catching Fire", 2009, ["Suzanne Collins"], 1_831_039),
        ("b3", "Twilight", 2005, ["Stephenie Meyer"], 3_866_839),
        ("b4", "Mockingjay", 2010, ["Suzanne Collins"], 1_719_760),
        ("b5", "The Great Gatsby", 1925, ["F. Scott Fitzgerald"], 2_683_664),
    ]
    store.upsert_items(
        [{"item_id": i, "title": t, "year": y, "genres": [], "people": p, "popularity": float(n),
          "description": "", "url": "", "attributes": {}} for i, t, y, p, n in books]
    )
    service = RecommenderService(store=store, settings=settings)
    popular = service.recommend(ConversationContext(user="reader", text="recommend a book"))
    assert _ids(popular) == ["b1", "b3", "b5"]
    similar = service.recommend(ConversationContext(user="reader2", text="like hunger games", liked_titles=("hunger games",)))
    assert _ids(similar)[:2] == ["b2", "b4"]
    assert "similar to The Hunger Games" in similar.items[0].reason


def test_a_button_item_id_is_looked_up_exactly_never_as_a_title(service: RecommenderService, store: Store) -> None:
    """A forged or stale payload id must not land on a title that merely resembles it."""
    first = service.recommend(FUNNY_90S)
    assert service.record_feedback(first.context, FeedbackRequest(kind="like", item_id="8")).item.item_id == "8"
    with pytest.raises(UnknownItemError):
        service.record_feedback(first.context, FeedbackRequest(kind="like", item_id="Toy Story"))
    assert_stored_feedback(store, [(service.user_id(FUNNY_90S), "8", "like", None)])
