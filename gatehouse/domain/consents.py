"""Consent as append-only history: the current state is derived, never stored or edited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gatehouse.domain.decision import ConsentFact

__all__ = ["Channel", "ConsentRecord", "ConsentState", "current_consents", "live_consent_facts"]


class Channel(StrEnum):
    """Where the customer answered: the law asks rights to be exercisable in the same channel."""

    WEB = "web"
    APP = "app"
    PHONE = "phone"
    EMAIL = "email"
    PAPER = "paper"


@dataclass(frozen=True)
class ConsentRecord:
    """One answer of a subject to one notice: granted, refused, or a later withdrawal."""

    id: str
    subject_id: str
    notice_hash: str
    purpose: str
    granted: bool
    channel: str
    at: datetime
    # The notice's scope: recipient id -> fingerprint of the recipient when it was shown.
    recipients: Mapping[str, str]
    withdraws: str | None = None
    # What the notice showed besides its recipients: the flow, its language, the digest of its
    # wording, and whether the order needed it (R10).
    flow: str = "provision"
    language: str = ""
    content_digest: str | None = None
    required: bool | None = None
    # The privacy policy version in force when the answer was recorded (None before the first
    # was published): what the customer could read about the processing at that moment.
    policy_version: int | None = None


@dataclass(frozen=True)
class ConsentState:
    """Where one notice stands for a subject: the first grant, and its latest answer."""

    consent_id: str
    notice_hash: str
    purpose: str
    recipients: Mapping[str, str]
    granted: bool
    granted_at: datetime | None
    withdrawn_at: datetime | None
    channel: str
    latest: ConsentRecord

    @property
    def flow(self) -> str:
        """The flow the notice showed."""
        return self.latest.flow

    @property
    def required(self) -> bool | None:
        """Whether the order needed this consent (None for notices older than the flag)."""
        return self.latest.required

    @property
    def policy_version(self) -> int | None:
        """The privacy policy version in force when the latest answer was recorded."""
        return self.latest.policy_version


def current_consents(records: Iterable[ConsentRecord]) -> list[ConsentState]:
    """Fold the history, given in the order it was recorded, into one state per notice."""
    by_notice: dict[str, list[ConsentRecord]] = {}
    for record in records:
        by_notice.setdefault(record.notice_hash, []).append(record)
    states = []
    for history in by_notice.values():
        latest = history[-1]
        grants = [r for r in history if r.granted]
        first_grant = grants[0] if grants else None
        withdrawn_at = latest.at if (not latest.granted and first_grant) else None
        anchor = first_grant or history[0]
        states.append(
            ConsentState(
                consent_id=anchor.id,
                notice_hash=latest.notice_hash,
                purpose=latest.purpose,
                recipients=latest.recipients,
                granted=latest.granted,
                granted_at=first_grant.at if first_grant else None,
                withdrawn_at=withdrawn_at,
                channel=latest.channel,
                latest=latest,
            )
        )
    return states


def live_consent_facts(records: Iterable[ConsentRecord]) -> list[ConsentFact]:
    """The consents that are granted right now, as facts for the transfer decision."""
    return [
        ConsentFact(
            consent_id=s.consent_id,
            notice_hash=s.notice_hash,
            purpose=s.purpose,
            recipients=s.recipients,
            flow=s.latest.flow,
            language=s.latest.language,
            content_digest=s.latest.content_digest,
        )
        for s in current_consents(records)
        if s.granted
    ]
