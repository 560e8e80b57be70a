"""The retrain job's publish rule: typed evidence about a candidate in, a typed decision out.

| situation | publish when | basis |
|---|---|---|
| no version yet (or the published one cannot be read) | the candidate beats popularity on the offline split | `popularity` |
| a user the published version was trained on has been forgotten since | the candidate beats popularity (the old files hold data that must go) | `privacy` |
| >= `min_recent_users` users in the recent slice | not worse than the published version there, and beats popularity offline | `recent` |
| fewer | its offline NDCG is not worse than the one recorded for the published version | `offline_recorded` |

"Not worse": the mean per-user NDCG difference is not below -max(`tolerance`, `noise_z` x its
standard error); a few hundred users move NDCG@10 by +-0.02 by chance alone, and a rule without
that margin would reject (or publish) on noise. On the recent slice the difference is paired
(the same users); against the recorded score both standard errors count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from recommender.config import Settings

logger = logging.getLogger(__name__)


class Basis(StrEnum):
    """Which comparison decided."""

    POPULARITY = "popularity"
    PRIVACY = "privacy"
    RECENT = "recent"
    OFFLINE_RECORDED = "offline_recorded"


@dataclass(frozen=True)
class OfflineEvidence:
    """NDCG@k on the offline split (each user's last item): candidate and popularity, same training data."""

    users: int
    candidate: float | None = None
    candidate_se: float = 0.0
    popularity: float | None = None


@dataclass(frozen=True)
class RecentEvidence:
    """NDCG@k on the recent slice (new positives neither model saw): candidate and published version."""

    users: int
    candidate: float | None = None
    published: float | None = None  # None: no published model to score
    difference: float = 0.0  # mean per-user candidate - published
    difference_se: float = 0.0  # its paired standard error


@dataclass(frozen=True)
class PublishedEvidence:
    """The version serving now."""

    version: str
    readable: bool = True  # False: its files are missing or damaged
    recorded_offline: float | None = None  # its offline NDCG when it was trained
    recorded_offline_se: float = 0.0


@dataclass(frozen=True)
class Evidence:
    """Everything the rule looks at."""

    k: int
    offline: OfflineEvidence
    recent: RecentEvidence
    published: PublishedEvidence | None = None  # None: no version yet
    forgotten_users: int = 0  # users of the published version forgotten since


@dataclass(frozen=True)
class Decision:
    """Publish or not, why (with the numbers), and which comparison decided."""

    publish: bool
    reason: str
    basis: Basis


@dataclass(frozen=True)
class PublishPolicy:
    """The rule's three settings (`retrain_min_eval_users`, `retrain_tolerance`, `retrain_noise_z`)."""

    min_recent_users: int = 20
    tolerance: float = 0.0
    noise_z: float = 1.64

    @classmethod
    def from_settings(cls, settings: Settings) -> PublishPolicy:
        """The policy the configured settings describe."""
        return cls(settings.retrain_min_eval_users, settings.retrain_tolerance, settings.retrain_noise_z)

    def margin(self, standard_error: float) -> float:
        """How far below the other score a candidate may fall and still count as not worse."""
        return max(self.tolerance, self.noise_z * standard_error)

    def decide(self, evidence: Evidence) -> Decision:
        """Apply the table of the module docstring."""
        k, offline, recent, published = evidence.k, evidence.offline, evidence.recent, evidence.published
        cand_off, pop_off = offline.candidate, offline.popularity
        beats_popularity = cand_off is not None and pop_off is not None and cand_off > pop_off
        vs_popularity = (f"offline NDCG@{k} {cand_off} vs popularity {pop_off} on {offline.users} users"
                         if cand_off is not None else "no user has enough items for the offline split")
        if published is None or not published.readable:
            what = "first version" if published is None else f"published {published.version} unreadable"
            if beats_popularity:
                return Decision(True, f"{what}: beats popularity ({vs_popularity})", Basis.POPULARITY)
            return Decision(False, f"{what}: does not beat popularity ({vs_popularity})", Basis.POPULARITY)
        if evidence.forgotten_users:
            if beats_popularity:
                return Decision(True, (f"{evidence.forgotten_users} user(s) trained into {published.version} were "
                                       f"forgotten since, so it must be replaced; the candidate beats popularity "
                                       f"({vs_popularity})"), Basis.PRIVACY)
            logger.warning("retrain: %d user(s) of %s were forgotten but the candidate does not beat popularity; "
                           "the old version keeps serving (the service ignores forgotten users' vectors)",
                           evidence.forgotten_users, published.version)
        if recent.users >= self.min_recent_users and recent.published is not None:
            margin = self.margin(recent.difference_se)
            numbers = (f"recent-feedback NDCG@{k} {recent.candidate} vs published {published.version} "
                       f"{recent.published} on {recent.users} users (difference {recent.difference:+.5f}, paired SE "
                       f"{recent.difference_se:.5f}, worse means below -{margin:.5f}); {vs_popularity}")
            if recent.difference < -margin:
                return Decision(False, f"worse than the published version: {numbers}", Basis.RECENT)
            if cand_off is not None and pop_off is not None and not beats_popularity:
                # both slices must agree: not worse on recent feedback is not enough for a model
                # that loses to popularity on the offline split
                return Decision(False, f"not worse on recent feedback but does not beat popularity offline: {numbers}",
                                Basis.RECENT)
            return Decision(True, f"not worse than the published version: {numbers}", Basis.RECENT)
        recorded = published.recorded_offline
        if recorded is None or cand_off is None:
            if beats_popularity:
                return Decision(True, (f"{recent.users} users in the recent slice (< {self.min_recent_users}) and no "
                                       f"recorded offline score for {published.version}; beats popularity "
                                       f"({vs_popularity})"), Basis.POPULARITY)
            return Decision(False, f"does not beat popularity ({vs_popularity})", Basis.POPULARITY)
        margin = self.margin(float(np.hypot(offline.candidate_se, published.recorded_offline_se)))
        numbers = (f"offline NDCG@{k} {cand_off} vs {recorded} recorded for {published.version} "
                   f"(worse means below by more than {margin:.5f}; {recent.users} users in the recent slice, "
                   f"< {self.min_recent_users}); popularity {pop_off}")
        if cand_off >= recorded - margin:
            return Decision(True, f"not worse than the published version: {numbers}", Basis.OFFLINE_RECORDED)
        return Decision(False, f"worse than the published version: {numbers}", Basis.OFFLINE_RECORDED)
