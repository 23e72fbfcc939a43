"""The customer's consents, one per notice, as their privacy center lists them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from gatehouse.domain.consents import current_consents
from gatehouse.services.remedies import language_of
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import require_live_subject

__all__ = ["ConsentRecipient", "CustomerConsent", "customer_consents", "consents_of"]


@dataclass(frozen=True)
class ConsentRecipient:
    """A recipient a consent covers, named as the customer knows it (None once removed)."""

    id: str
    legal_name: str | None
    country: str | None


@dataclass(frozen=True)
class CustomerConsent:
    """One notice's consent as the customer sees it: whom and where it covers, and its state."""

    id: str
    notice_hash: str
    purpose: str
    purpose_label: str
    recipients: tuple[ConsentRecipient, ...]
    countries: tuple[str, ...]
    granted: bool
    granted_at: datetime | None
    withdrawn_at: datetime | None
    channel: str
    # The privacy policy version in force when the latest answer was given (None before the
    # first version was published).
    policy_version: int | None = None


def customer_consents(gh: Gatehouse, subject_id: str) -> list[CustomerConsent]:
    """The subject's consents, one per notice, naming the recipients and countries in scope.

    Read from one snapshot, so a consent and the names it shows belong together.
    """
    with gh.unit_of_work(read_only=True) as uow:
        subject = require_live_subject(uow.subjects, subject_id)
        states = current_consents(uow.consents.history(subject_id))
        names = uow.recipients.names(rid for s in states for rid in s.recipients)
        notices = uow.notices.by_hashes(s.notice_hash for s in states)
    pack = gh.packs.by_id(subject.rule_pack)
    language = language_of(subject, pack)
    consents = []
    for state in states:
        purpose = pack.purposes.get(state.purpose)
        notice = notices.get(state.notice_hash)
        consents.append(
            CustomerConsent(
                id=state.consent_id,
                notice_hash=state.notice_hash,
                purpose=state.purpose,
                purpose_label=purpose.label.text(language, pack.required_language)
                if purpose
                else state.purpose,
                recipients=tuple(
                    ConsentRecipient(
                        rid,
                        names[rid].legal_name if rid in names else None,
                        names[rid].country if rid in names else None,
                    )
                    for rid in sorted(state.recipients)
                ),
                countries=tuple(notice.countries) if notice else (),
                granted=state.granted,
                granted_at=state.granted_at,
                withdrawn_at=state.withdrawn_at,
                channel=state.channel,
                policy_version=state.policy_version,
            )
        )
    return consents


def consents_of(gh: Gatehouse, subject_id: str) -> list[dict[str, Any]]:
    """:func:`customer_consents` as plain dicts, the form the privacy-center pages still read."""
    return [
        {**asdict(c), "recipients": [asdict(r) for r in c.recipients], "countries": [*c.countries]}
        for c in customer_consents(gh, subject_id)
    ]
