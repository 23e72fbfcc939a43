"""Recipient registry use cases: register, read, list, accept terms, suspend and resume."""

from __future__ import annotations

import base64
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.recipients import (
    Certification,
    OnwardTransfer,
    PrivacyOfficer,
    Recipient,
    RecipientStatus,
    eligibility_gaps,
    new_recipient,
)
from gatehouse.domain.views import CloseReason
from gatehouse.services.access import Audience, issue_key
from gatehouse.services.paging import split_page
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.services.view_closing import close_views_in
from gatehouse.services.webhook_address import check_registration
from gatehouse.vault import new_data_key, wrap_key

__all__ = [
    "RecipientInput",
    "RecipientStanding",
    "Registered",
    "CountryStatus",
    "register_recipient",
    "register_recipients",
    "update_recipient",
    "get_recipient",
    "list_recipients",
    "standing_of",
    "accept_terms",
    "suspend_recipient",
    "resume_recipient",
    "suspend_country",
    "resume_country",
    "webhook_secret_context",
]


@dataclass(frozen=True)
class RecipientInput:
    """A registration as the operator sends it, before validation."""

    kind: str
    legal_name: str | None = None
    country: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    privacy_officer: PrivacyOfficer = PrivacyOfficer()
    purposes: Sequence[str] = ()
    retention_days: int | None = None
    certifications: Sequence[Certification] = ()
    webhook_url: str | None = None
    onward_transfers: Sequence[OnwardTransfer] = ()


@dataclass(frozen=True)
class RecipientStanding:
    """A recipient with what the register says about it right now."""

    recipient: Recipient
    eligible: bool
    missing: list[str]
    country_suspended: bool


@dataclass(frozen=True)
class Registered:
    """A new recipient and its secrets, which are shown once and never again."""

    standing: RecipientStanding
    api_key: str
    webhook_secret: str


@dataclass(frozen=True)
class CountryStatus:
    """A country's suspension after a suspend or resume, and whether that changed it."""

    country: str
    status: str
    changed: bool
    reason: str | None = None


def webhook_secret_context(recipient_id: str) -> str:
    """Associated data binding a wrapped webhook secret to its recipient."""
    return f"webhook:{recipient_id}"


def _standing(
    recipient: Recipient,
    terms_version: str | None,
    suspended_countries: Container[str],
    overdue_erasures: int = 0,
) -> RecipientStanding:
    missing = eligibility_gaps(recipient, terms_version, overdue_erasures)
    country_suspended = recipient.country is not None and recipient.country in suspended_countries
    return RecipientStanding(recipient, not missing, missing, country_suspended)


def standing_of(uow: UnitOfWork, recipient: Recipient, now: datetime) -> RecipientStanding:
    """Eligibility and country status of one recipient (overdue erasures count from ``now``)."""
    terms = uow.terms.current()
    suspended = uow.recipients.suspended_countries()
    overdue = uow.erasures.overdue_counts([recipient.id], now).get(recipient.id, 0)
    return _standing(recipient, terms.version if terms else None, suspended, overdue)


def _known_purposes(gh: Gatehouse) -> set[str]:
    return {name for pack_id in gh.packs.ids() for name in gh.packs.by_id(pack_id).purposes}


def _known_fields(gh: Gatehouse) -> set[str]:
    return {name for pack_id in gh.packs.ids() for name in gh.packs.by_id(pack_id).pii_fields}


def _group_names(gh: Gatehouse) -> tuple[str, ...]:
    # A recipient has no jurisdiction of its own: any loaded pack may name it in a notice, so a
    # group label under any pack's rules is refused.
    names = (name for pack_id in gh.packs.ids() for name in gh.packs.by_id(pack_id).group_names)
    return tuple(dict.fromkeys(names))


def register_recipients(gh: Gatehouse, batch: Sequence[RecipientInput]) -> list[Registered]:
    """Validate and store recipients in one transaction; each gets a key and webhook secret."""
    now = gh.clock()
    known = _known_purposes(gh)
    fields = _known_fields(gh)
    group_names = _group_names(gh)
    # One lookup per webhook host, however many recipients of the batch share it.
    egress = gh.webhook_egress.remembering()
    prepared = []
    for data in batch:
        recipient = new_recipient(
            recipient_id=new_id("rcp"),
            kind=data.kind,
            legal_name=data.legal_name,
            country=data.country,
            contact_phone=data.contact_phone,
            contact_email=data.contact_email,
            privacy_officer=data.privacy_officer,
            purposes=data.purposes,
            known_purposes=known,
            retention_days=data.retention_days,
            certifications=data.certifications,
            webhook_url=data.webhook_url,
            at=now,
            onward_transfers=data.onward_transfers,
            known_fields=fields,
            group_names=group_names,
        )
        if recipient.webhook_url is not None:
            check_registration(recipient.webhook_url, egress, "webhook_url")
        secret = new_data_key()
        wrapped = wrap_key(secret, webhook_secret_context(recipient.id), gh.keyring)
        prepared.append((recipient, secret, wrapped))
    registered = []
    with gh.unit_of_work() as uow:
        uow.recipients.add_many([(recipient, wrapped) for recipient, _, wrapped in prepared])
        terms = uow.terms.current()
        suspended = uow.recipients.suspended_countries()
        for recipient, secret, _ in prepared:
            api_key = issue_key(uow.api_keys, Audience.RECIPIENT, now, recipient_id=recipient.id)
            standing = _standing(recipient, terms.version if terms else None, suspended)
            webhook_secret = "whsec_" + base64.b64encode(secret).decode()
            registered.append(Registered(standing, api_key, webhook_secret))
    return registered


def register_recipient(gh: Gatehouse, data: RecipientInput) -> Registered:
    """Validate and store one recipient; return it with its key and webhook secret."""
    return register_recipients(gh, [data])[0]


def _check_new_webhook_url(gh: Gatehouse, url: object) -> None:
    # Resolved before the transaction opens, so a slow name server holds no lock. A malformed
    # URL is left for the domain's validation to name (invalid_url).
    if isinstance(url, str) and url:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.hostname:
            check_registration(url, gh.webhook_egress, "webhook_url")


def update_recipient(
    gh: Gatehouse, recipient_id: str, changes: Mapping[str, Any]
) -> RecipientStanding:
    """Change registered details. A change to anything a notice shows voids consents given to
    the old notice (their fingerprint no longer matches), so the next transfer needs a new one."""
    now = gh.clock()
    _check_new_webhook_url(gh, changes.get("webhook_url"))
    with gh.unit_of_work() as uow:
        current = _require(uow, recipient_id)
        merged: dict[str, Any] = {
            "kind": current.kind.value,
            "legal_name": current.legal_name,
            "country": current.country,
            "contact_phone": current.contact_phone,
            "contact_email": current.contact_email,
            "privacy_officer": current.privacy_officer,
            "purposes": current.purposes,
            "retention_days": current.retention_days,
            "certifications": current.certifications,
            "webhook_url": current.webhook_url,
            "onward_transfers": current.onward_transfers,
        }
        merged.update(changes)
        validated = new_recipient(
            recipient_id=current.id,
            known_purposes=_known_purposes(gh),
            known_fields=_known_fields(gh),
            group_names=_group_names(gh),
            at=now,
            **merged,
        )
        updated = replace(
            validated,
            status=current.status,
            suspended_reason=current.suspended_reason,
            accepted_terms_version=current.accepted_terms_version,
            created_at=current.created_at,
        )
        uow.recipients.replace_details(updated)
        return standing_of(uow, updated, now)


def _require(uow: UnitOfWork, recipient_id: str) -> Recipient:
    recipient = uow.recipients.get(recipient_id)
    if recipient is None:
        raise NotFound(f"no recipient with id {recipient_id!r}", code="recipient_not_found")
    return recipient


def get_recipient(gh: Gatehouse, recipient_id: str) -> RecipientStanding:
    """One recipient with its standing, or ``NotFound``."""
    with gh.unit_of_work(read_only=True) as uow:
        return standing_of(uow, _require(uow, recipient_id), gh.clock())


def list_recipients(
    gh: Gatehouse,
    *,
    country: str | None,
    status: str | None,
    after: str | None,
    limit: int,
) -> tuple[list[RecipientStanding], str | None]:
    """A page of recipients and the cursor of the next page (None at the end)."""
    with gh.unit_of_work(read_only=True) as uow:
        page = uow.recipients.list(country=country, status=status, after=after, limit=limit + 1)
        terms = uow.terms.current()
        suspended = uow.recipients.suspended_countries()
        page, next_cursor = split_page(page, limit, lambda r: r.id)
        overdue = uow.erasures.overdue_counts([r.id for r in page], gh.clock())
    version = terms.version if terms else None
    standings = [
        _standing(recipient, version, suspended, overdue.get(recipient.id, 0)) for recipient in page
    ]
    return standings, next_cursor


def accept_terms(gh: Gatehouse, recipient_id: str, version: str) -> RecipientStanding:
    """Record that the recipient accepts ``version``, which must be the current terms."""
    with gh.unit_of_work() as uow:
        recipient = _require(uow, recipient_id)
        if uow.terms.get(version) is None:
            raise NotFound(f"no terms version {version!r}", code="terms_not_found")
        current = uow.terms.current()
        if current is None or current.version != version:
            raise Conflict(
                f"terms {version!r} are not the current version"
                + (f"; accept {current.version!r}" if current else ""),
                code="terms_not_current",
                details={"current": current.version if current else None},
            )
        uow.recipients.set_accepted_terms(recipient.id, version, gh.clock())
        return standing_of(uow, _require(uow, recipient_id), gh.clock())


def suspend_recipient(gh: Gatehouse, recipient_id: str, reason: str | None) -> RecipientStanding:
    """Stop every transfer to the recipient (Art. 28-9)."""
    return _set_status(gh, recipient_id, RecipientStatus.SUSPENDED, reason)


def resume_recipient(gh: Gatehouse, recipient_id: str, reason: str | None) -> RecipientStanding:
    """Allow transfers to the recipient again."""
    return _set_status(gh, recipient_id, RecipientStatus.ACTIVE, reason)


def _reason_digest(gh: Gatehouse, reason: str | None) -> str | None:
    # The ledger is kept for years and a reason is free text that may name a person, so the
    # ledger holds a keyed digest: it shows the reason in suspension_events was not altered,
    # and a copy of the ledger alone cannot be used to test guesses of what it said.
    return gh.indexer.digest("suspension_reason", reason) if reason else None


def _record_suspension(
    uow: UnitOfWork,
    target_type: str,
    target: str,
    *,
    suspended: bool,
    reason: str | None,
    reason_digest: str | None,
    at: datetime,
) -> None:
    """The Art. 28-9 evidence, in the caller's unit of work: a ledger entry and a history row."""
    uow.ledger.append(
        kind=f"{target_type}.{'suspended' if suspended else 'resumed'}",
        at=at,
        subject_id=None,
        recipient_id=target if target_type == "recipient" else None,
        payload={"target": target, "reason_digest": reason_digest},
    )
    uow.recipients.record_suspension_event(
        target_type, target, "suspend" if suspended else "resume", reason, at
    )


def _set_status(
    gh: Gatehouse, recipient_id: str, status: RecipientStatus, reason: str | None
) -> RecipientStanding:
    now = gh.clock()
    digest = _reason_digest(gh, reason)
    suspended = status is RecipientStatus.SUSPENDED
    with gh.unit_of_work() as uow:
        _require(uow, recipient_id)
        # The ledger's lock comes first, so concurrent suspensions queue before closing views.
        _record_suspension(
            uow,
            "recipient",
            recipient_id,
            suspended=suspended,
            reason=reason,
            reason_digest=digest,
            at=now,
        )
        uow.recipients.set_status(recipient_id, status, reason if suspended else None, now)
        if suspended:
            # Art. 28-9: a suspension stops access at once, not at the next read.
            views = uow.transfers.open_views(recipient_id=recipient_id)
            close_views_in(gh, uow, views, CloseReason.RECIPIENT_SUSPENDED, now)
        return standing_of(uow, _require(uow, recipient_id), gh.clock())


def suspend_country(gh: Gatehouse, country: str, reason: str | None) -> CountryStatus:
    """Stop every transfer to recipients in ``country`` (an ISO alpha-2 code)."""
    now = gh.clock()
    digest = _reason_digest(gh, reason)
    with gh.unit_of_work() as uow:
        changed = uow.recipients.suspend_country(country, reason, now)
        if changed:
            _record_suspension(
                uow,
                "country",
                country,
                suspended=True,
                reason=reason,
                reason_digest=digest,
                at=now,
            )
            views = uow.transfers.open_views_in_country(country)
            close_views_in(gh, uow, views, CloseReason.COUNTRY_SUSPENDED, now)
    return CountryStatus(country, "suspended", changed, reason)


def resume_country(gh: Gatehouse, country: str, reason: str | None) -> CountryStatus:
    """Lift a country's suspension."""
    now = gh.clock()
    digest = _reason_digest(gh, reason)
    with gh.unit_of_work() as uow:
        changed = uow.recipients.resume_country(country)
        if changed:
            _record_suspension(
                uow,
                "country",
                country,
                suspended=False,
                reason=reason,
                reason_digest=digest,
                at=now,
            )
    return CountryStatus(country, "active", changed)
