"""Who a user is: the channel and the channel's sender id, hashed; the REST namespace shared with Rasa."""

from __future__ import annotations

import rasa_addons.security as rasa_side
from recommender.identity import REST_SENDER_PREFIX, pseudonymous_id, rest_user_key, user_key


def test_the_rest_namespace_is_the_one_the_rasa_channel_adds() -> None:
    assert REST_SENDER_PREFIX == rasa_side.REST_SENDER_PREFIX


def test_the_same_sender_id_on_two_channels_is_two_users() -> None:
    slack, rest = user_key("slack", "U123"), user_key("rest", "U123")
    assert slack != rest
    assert pseudonymous_id(slack, "k") != pseudonymous_id(rest, "k")


def test_a_rest_caller_never_gets_another_channels_key() -> None:
    """Even a REST sender id written to look like another channel's key stays in the REST namespace."""
    for sender in ("U123", "slack:U123", ":U123"):
        assert rest_user_key(sender).startswith("rest:rest:")
        assert rest_user_key(sender) != user_key("slack", "U123")


def test_a_tracker_without_an_input_channel_is_keyed_as_unknown() -> None:
    assert user_key(None, "x") == "unknown:x" != user_key("rest", "x")
