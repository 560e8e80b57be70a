"""The publish rule as a unit: typed evidence in, a typed decision (publish?, reason, basis) out."""

from __future__ import annotations

from recommender.config import Settings
from recommender.jobs.publish_policy import (
    Basis,
    Evidence,
    OfflineEvidence,
    PublishedEvidence,
    PublishPolicy,
    RecentEvidence,
)

POLICY = PublishPolicy(min_recent_users=20, tolerance=0.0, noise_z=1.64)
GOOD_OFFLINE = OfflineEvidence(users=500, candidate=0.10, candidate_se=0.01, popularity=0.04)
WEAK_OFFLINE = OfflineEvidence(users=500, candidate=0.02, candidate_se=0.01, popularity=0.03)
PUBLISHED = PublishedEvidence(version="v1", recorded_offline=0.10, recorded_offline_se=0.01)
NO_RECENT = RecentEvidence(users=0)


def evidence(offline: OfflineEvidence = GOOD_OFFLINE, recent: RecentEvidence = NO_RECENT,
             published: PublishedEvidence | None = PUBLISHED, forgotten: int = 0) -> Evidence:
    return Evidence(k=10, offline=offline, recent=recent, published=published, forgotten_users=forgotten)


def recent(difference: float, se: float = 0.005, users: int = 300) -> RecentEvidence:
    return RecentEvidence(users=users, candidate=round(0.10 + difference, 5), published=0.10, difference=difference,
                          difference_se=se)


def test_the_first_version_must_beat_popularity() -> None:
    assert POLICY.decide(evidence(published=None)) == POLICY.decide(evidence(published=None))  # pure
    first = POLICY.decide(evidence(published=None))
    assert (first.publish, first.basis) == (True, Basis.POPULARITY) and first.reason.startswith("first version")
    assert "0.1 vs popularity 0.04 on 500 users" in first.reason
    assert POLICY.decide(evidence(WEAK_OFFLINE, published=None)).publish is False


def test_an_unreadable_published_version_is_judged_like_a_first_one() -> None:
    unreadable = PublishedEvidence(version="v1", readable=False)
    decision = POLICY.decide(evidence(recent=recent(-0.5), published=unreadable))
    assert (decision.publish, decision.basis) == (True, Basis.POPULARITY) and "v1 unreadable" in decision.reason


def test_enough_recent_users_decide_with_a_noise_margin() -> None:
    within_noise = POLICY.decide(evidence(recent=recent(-0.008)))  # margin 1.64 x 0.005 = 0.0082
    assert (within_noise.publish, within_noise.basis) == (True, Basis.RECENT)
    assert "worse means below -0.00820" in within_noise.reason
    worse = POLICY.decide(evidence(recent=recent(-0.009)))
    assert (worse.publish, worse.basis) == (False, Basis.RECENT) and worse.reason.startswith("worse than")
    assert "0.091 vs published v1 0.1 on 300 users" in worse.reason


def test_the_tolerance_is_the_least_margin() -> None:
    lenient = PublishPolicy(tolerance=0.05)
    assert lenient.decide(evidence(recent=recent(-0.04, se=0.0))).publish is True
    assert lenient.decide(evidence(recent=recent(-0.06, se=0.0))).publish is False


def test_not_worse_on_recent_feedback_but_below_popularity_offline_is_rejected() -> None:
    decision = POLICY.decide(evidence(WEAK_OFFLINE, recent=recent(0.01)))
    assert (decision.publish, decision.basis) == (False, Basis.RECENT)
    assert "does not beat popularity offline" in decision.reason
    assert "0.11 vs published v1 0.1" in decision.reason and "0.02 vs popularity 0.03" in decision.reason


def test_few_recent_users_fall_back_to_the_recorded_offline_score() -> None:
    few = recent(-0.5, users=5)
    same = POLICY.decide(evidence(recent=few))
    assert (same.publish, same.basis) == (True, Basis.OFFLINE_RECORDED)
    lower = OfflineEvidence(users=500, candidate=0.07, candidate_se=0.01, popularity=0.04)  # 0.03 below; margin 0.023
    worse = POLICY.decide(evidence(lower, recent=few))
    assert (worse.publish, worse.basis) == (False, Basis.OFFLINE_RECORDED) and "0.1 recorded for v1" in worse.reason
    unrecorded = PublishedEvidence(version="v1")
    assert POLICY.decide(evidence(lower, recent=few, published=unrecorded)).basis == Basis.POPULARITY


def test_a_forgotten_user_forces_a_replacement_that_beats_popularity() -> None:
    decision = POLICY.decide(evidence(recent=recent(-0.5), forgotten=2))
    assert (decision.publish, decision.basis) == (True, Basis.PRIVACY) and "2 user(s)" in decision.reason
    # a candidate below popularity is not published even then; the rest of the rule applies
    assert POLICY.decide(evidence(WEAK_OFFLINE, recent=recent(0.0), forgotten=2)).publish is False


def test_the_policy_reads_its_settings() -> None:
    settings = Settings(retrain_min_eval_users=7, retrain_tolerance=0.01, retrain_noise_z=2.0)
    assert PublishPolicy.from_settings(settings) == PublishPolicy(7, 0.01, 2.0)
