"""The operator's profile: set it (a new version each time), read it, and check the agent rule.

Each change is stored as a new version with its content hash and time; nothing is updated or
deleted, so the privacy policy can say which profile version it was built from. The profile is
the marketplace's business data, not customers' data, so it is not sealed in the vault; its
values are still never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.errors import GatehouseError
from gatehouse.domain.operator_profile import (
    AgentRequirement,
    OperatorProfile,
    content_hash,
    domestic_agent_requirement,
    profile_content,
    profile_from_content,
)
from gatehouse.domain.policy.agent import DomesticAgentRule
from gatehouse.rules import RulePackSet
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork

__all__ = [
    "AGENT_JURISDICTION",
    "ProfileVersion",
    "StartupCheck",
    "agent_rule",
    "current_profile",
    "profile_check",
    "set_profile",
    "startup_check",
]

# The jurisdiction whose pack holds the domestic-agent rule the profile's figures answer.
AGENT_JURISDICTION = "KR"


@dataclass(frozen=True)
class ProfileVersion:
    """One stored version of the profile, with what the agent rule makes of it."""

    version: int
    content_hash: str
    created_at: datetime
    profile: OperatorProfile
    agent: AgentRequirement


@dataclass(frozen=True)
class StartupCheck:
    """What start-up and the console need to know: is a profile set, and is the agent rule met."""

    has_profile: bool
    agent: AgentRequirement | None

    @property
    def blocking(self) -> bool:
        """True when a domestic agent is required and some of its particulars are missing."""
        return self.agent is not None and not self.agent.satisfied


def agent_rule(packs: RulePackSet) -> DomesticAgentRule | None:
    """The domestic-agent rule of the Korean pack, or None when no loaded pack has one."""
    try:
        pack = packs.for_country(AGENT_JURISDICTION)
    except GatehouseError:
        return None
    return pack.domestic_agent


def _version(
    packs: RulePackSet, version: int, digest: str, at: datetime, profile: OperatorProfile
) -> ProfileVersion:
    agent = domestic_agent_requirement(profile, agent_rule(packs))
    return ProfileVersion(version, digest, at, profile, agent)


def set_profile(gh: Gatehouse, profile: OperatorProfile) -> ProfileVersion:
    """Store ``profile`` as the new current version and return it.

    A profile whose agent is required but incomplete is still stored: start-up and the console
    then say what is missing.
    """
    content = profile_content(profile)
    digest = content_hash(content)
    with gh.unit_of_work() as uow:
        stored = uow.operator_profiles.append(content, digest, gh.clock())
    return _version(gh.packs, stored.version, digest, stored.created_at, profile)


def current_profile(gh: Gatehouse) -> ProfileVersion | None:
    """The current profile, or None when none was ever set."""
    with gh.unit_of_work(read_only=True) as uow:
        stored = uow.operator_profiles.latest()
    if stored is None:
        return None
    profile = profile_from_content(stored.content)
    return _version(gh.packs, stored.version, stored.content_hash, stored.created_at, profile)


def profile_check(uow: UnitOfWork, packs: RulePackSet) -> StartupCheck:
    """Whether a profile is set and what the domestic-agent rule makes of it, in ``uow``."""
    stored = uow.operator_profiles.latest()
    if stored is None:
        return StartupCheck(False, None)
    profile = profile_from_content(stored.content)
    return StartupCheck(True, domestic_agent_requirement(profile, agent_rule(packs)))


def startup_check(gh: Gatehouse) -> StartupCheck:
    """Whether a profile is set and what the domestic-agent rule makes of it."""
    with gh.unit_of_work(read_only=True) as uow:
        return profile_check(uow, gh.packs)
