"""Action log lines name the conversation by its short pseudonymous id, never the raw sender id.

The sender id is the channel's user id (a phone number, a Telegram or Slack user id): personal
data that CONVENTIONS keeps out of logs. The short pseudonymous id still lets a log line be
matched with the stored rows (`python -m recommender forget --pseudonymous-id`).
"""

from __future__ import annotations

import logging

import pytest
from rasa_sdk import Action

from recommender.actions.feedback import ActionRecordFeedback
from recommender.actions.forget import ActionForgetMe
from recommender.actions.recommend import ActionRecommend
from recommender.actions.refine import ActionRefine
from recommender.config import get_settings
from recommender.identity import log_id, user_key

RAW = "+44-7700-900123"  # what a phone-number channel would use as the sender id


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records)


def test_forget_me_logs_the_pseudonymous_id_not_the_sender_id(fake, tracker, run, domain, caplog):
    caplog.set_level(logging.INFO)
    run(ActionForgetMe(fake), tracker("yes", "affirm", sender_id=RAW, after="utter_confirm_forget"), domain)

    logged = _logged(caplog)
    assert "forgot conversation=" in logged
    assert RAW not in logged
    assert log_id(user_key("rest", RAW), get_settings().user_id_secret) in logged


@pytest.mark.parametrize(
    ("action_class", "text", "intent"),
    [
        (ActionRecommend, "recommend me a movie", "request_recommendation"),
        (ActionRefine, "something older", "refine"),
        (ActionRecordFeedback, '/feedback{"item_id":"1","kind":"like"}', "feedback"),
    ],
)
def test_turn_logs_never_name_the_sender_id(action_class: type[Action], text, intent, fake, tracker, run, domain,
                                            caplog):
    caplog.set_level(logging.INFO)
    run(action_class(fake), tracker(text, intent, sender_id=RAW), domain)
    assert caplog.records and RAW not in _logged(caplog)


def test_a_failing_action_logs_the_pseudonymous_id_not_the_sender_id(failing, tracker, run, domain, caplog):
    run(ActionRecommend(failing(RuntimeError("boom"))), tracker(sender_id=RAW), domain)
    (record,) = [r for r in caplog.records if r.name == "recommender.actions._base"]
    assert RAW not in record.getMessage()
    assert log_id(user_key("rest", RAW), get_settings().user_id_secret) in record.getMessage()


def test_log_id_is_the_short_pseudonymous_id():
    from recommender.identity import pseudonymous_id

    assert log_id("alice", "k") == pseudonymous_id("alice", "k")[:10]
    assert log_id("alice", "k") != log_id("alice", "other key")
