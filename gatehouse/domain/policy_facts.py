"""What a privacy-policy version is built from: the operator, the named recipients, the register.

Plain values the publishing service gathers in one transaction and the builder
(:mod:`gatehouse.domain.policy_document`) turns into words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.operator_profile import AgentRequirement, OperatorProfile

__all__ = ["NamedRecipient", "PolicyFacts", "RegisterSummary", "VersionFacts"]


@dataclass(frozen=True)
class NamedRecipient:
    """A recipient the policy names in its own text: an entrustee or a storage provider."""

    id: str
    legal_name: str
    kind: str
    country: str
    contact_phone: str | None
    contact_email: str | None
    officer_name: str | None
    officer_email: str | None
    officer_phone: str | None
    purposes: tuple[str, ...]
    retention_days: int | None
    # Abroad, and of a kind entrustment or storage may go to: the policy itself is then the
    # Art. 28-8(1) 3 disclosure that basis rests on.
    disclosed: bool


@dataclass(frozen=True)
class RegisterSummary:
    """What the register holds for the policy's period: totals, by country, and the sellers."""

    recipients: int
    # (country code, listed, received data in the period), by code.
    countries: tuple[tuple[str, int, int], ...]
    # Recipients abroad of a kind only consent may open (sellers): named in the register only.
    consent_only: int
    since: datetime
    until: datetime


@dataclass(frozen=True)
class PolicyFacts:
    """Everything a policy version is built from, besides the pack."""

    profile: OperatorProfile
    agent: AgentRequirement
    named: tuple[NamedRecipient, ...]
    register: RegisterSummary


@dataclass(frozen=True)
class VersionFacts:
    """What a stored version adds when it is shown: its number, dates and hash."""

    version: int
    published_at: datetime
    effective_at: datetime
    content_hash: str
