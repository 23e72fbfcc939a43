"""Recipient, terms and suspension rows: mapping between tables and domain objects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from gatehouse.domain.recipients import (
    Certification,
    OnwardTransfer,
    PrivacyOfficer,
    Recipient,
    RecipientKind,
    RecipientStatus,
)
from gatehouse.domain.terms import Terms
from gatehouse.store.generations import REGISTRY, bump
from gatehouse.store.records import RecipientName
from gatehouse.store.tables import (
    country_suspensions,
    recipients,
    suspension_events,
    terms_acceptances,
    terms_versions,
)
from gatehouse.vault import WrappedKey

__all__ = ["RecipientRepository", "TermsRepository"]


def _certification(data: dict[str, Any]) -> Certification:
    issued = data.get("issued_on")
    return Certification(
        scheme=data["scheme"],
        id=data["id"],
        expires_on=date.fromisoformat(data["expires_on"]),
        issuer=data.get("issuer"),
        issued_on=date.fromisoformat(issued) if issued else None,
        covers=tuple(data.get("covers") or ()),
        safety_and_rights_measures=data.get("safety_and_rights_measures"),
        implementation_measures=data.get("implementation_measures"),
    )


def _certification_json(c: Certification) -> dict[str, Any]:
    return {
        "scheme": c.scheme,
        "id": c.id,
        "expires_on": c.expires_on.isoformat(),
        "issuer": c.issuer,
        "issued_on": c.issued_on.isoformat() if c.issued_on else None,
        "covers": list(c.covers),
        "safety_and_rights_measures": c.safety_and_rights_measures,
        "implementation_measures": c.implementation_measures,
    }


def _onward_transfers(data: list[dict[str, Any]] | None) -> tuple[OnwardTransfer, ...]:
    # Rows written before onward transfers were recorded hold null: none declared.
    return tuple(
        OnwardTransfer(o["legal_name"], o["country"], o["purpose"], tuple(o["items"]))
        for o in data or ()
    )


def _onward_transfers_json(r: Recipient) -> list[dict[str, Any]] | None:
    if not r.onward_transfers:
        return None
    return [
        {
            "legal_name": o.legal_name,
            "country": o.country,
            "purpose": o.purpose,
            "items": list(o.items),
        }
        for o in r.onward_transfers
    ]


def _to_recipient(row: Row[Any]) -> Recipient:
    return Recipient(
        id=row.id,
        kind=RecipientKind(row.kind),
        legal_name=row.legal_name,
        country=row.country,
        contact_phone=row.contact_phone,
        contact_email=row.contact_email,
        privacy_officer=PrivacyOfficer(
            name=row.privacy_officer_name,
            email=row.privacy_officer_email,
            phone=row.privacy_officer_phone,
        ),
        purposes=tuple(row.purposes),
        retention_days=row.retention_days,
        certifications=tuple(_certification(c) for c in row.certifications),
        webhook_url=row.webhook_url,
        status=RecipientStatus(row.status),
        accepted_terms_version=row.accepted_terms_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        suspended_reason=row.suspended_reason,
        onward_transfers=_onward_transfers(row.onward_transfers),
    )


def _to_row(r: Recipient, webhook_secret: WrappedKey | None = None) -> dict[str, Any]:
    return {
        "webhook_secret_kek_id": webhook_secret.kek_id if webhook_secret else None,
        "webhook_secret_wrapped": webhook_secret.blob if webhook_secret else None,
        "id": r.id,
        "kind": r.kind.value,
        "legal_name": r.legal_name,
        "country": r.country,
        "contact_phone": r.contact_phone,
        "contact_email": r.contact_email,
        "privacy_officer_name": r.privacy_officer.name,
        "privacy_officer_email": r.privacy_officer.email,
        "privacy_officer_phone": r.privacy_officer.phone,
        "purposes": list(r.purposes),
        "retention_days": r.retention_days,
        "certifications": [_certification_json(c) for c in r.certifications],
        "webhook_url": r.webhook_url,
        "onward_transfers": _onward_transfers_json(r),
        "status": r.status.value,
        "suspended_reason": r.suspended_reason,
        "accepted_terms_version": r.accepted_terms_version,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }


class RecipientRepository:
    """Reads and writes recipients and per-country suspensions on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add_many(self, batch: Sequence[tuple[Recipient, WrappedKey]]) -> None:
        """Insert recipients, each with its wrapped webhook secret, in one statement."""
        if batch:
            self._c.execute(insert(recipients), [_to_row(r, secret) for r, secret in batch])
            bump(self._c, REGISTRY)

    def get(self, recipient_id: str) -> Recipient | None:
        """The recipient, or None."""
        row = self._c.execute(select(recipients).where(recipients.c.id == recipient_id)).first()
        return _to_recipient(row) if row else None

    def get_many(self, recipient_ids: Iterable[str]) -> dict[str, Recipient]:
        """Each of ``recipient_ids`` that exists, by id, in one statement."""
        wanted = sorted(set(recipient_ids))
        if not wanted:
            return {}
        rows = self._c.execute(select(recipients).where(recipients.c.id.in_(wanted)))
        return {row.id: _to_recipient(row) for row in rows}

    def names(self, recipient_ids: Iterable[str]) -> dict[str, RecipientName]:
        """The legal name and country of each recipient among ``recipient_ids``, by id."""
        wanted = sorted(set(recipient_ids))
        if not wanted:
            return {}
        rows = self._c.execute(
            select(recipients.c.id, recipients.c.legal_name, recipients.c.country).where(
                recipients.c.id.in_(wanted)
            )
        )
        return {row.id: RecipientName(row.id, row.legal_name, row.country) for row in rows}

    def list(
        self,
        *,
        country: str | None = None,
        status: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[Recipient]:
        """A page of recipients ordered by id (keyset pagination)."""
        query = select(recipients).order_by(recipients.c.id).limit(limit)
        if country:
            query = query.where(recipients.c.country == country)
        if status:
            query = query.where(recipients.c.status == status)
        if after:
            query = query.where(recipients.c.id > after)
        return [_to_recipient(row) for row in self._c.execute(query)]

    def replace_details(self, recipient: Recipient) -> None:
        """Write a recipient's registered details (not its status, terms or secret)."""
        row = _to_row(recipient)
        kept = (
            "id",
            "status",
            "suspended_reason",
            "accepted_terms_version",
            "created_at",
            "webhook_secret_kek_id",
            "webhook_secret_wrapped",
        )
        values = {k: v for k, v in row.items() if k not in kept}
        self._c.execute(update(recipients).where(recipients.c.id == recipient.id).values(**values))
        bump(self._c, REGISTRY)

    def set_status(
        self, recipient_id: str, status: RecipientStatus, reason: str | None, at: datetime
    ) -> None:
        """Switch a recipient on or off."""
        self._c.execute(
            update(recipients)
            .where(recipients.c.id == recipient_id)
            .values(status=status.value, suspended_reason=reason, updated_at=at)
        )
        bump(self._c, REGISTRY)

    def set_accepted_terms(self, recipient_id: str, version: str, at: datetime) -> None:
        """Record the recipient's acceptance: history row plus the current pointer."""
        self._c.execute(
            insert(terms_acceptances).values(
                recipient_id=recipient_id, version=version, accepted_at=at
            )
        )
        self._c.execute(
            update(recipients)
            .where(recipients.c.id == recipient_id)
            .values(accepted_terms_version=version, updated_at=at)
        )
        bump(self._c, REGISTRY)

    def suspended_countries(self) -> dict[str, str | None]:
        """Every suspended country with its reason."""
        rows = self._c.execute(select(country_suspensions.c.country, country_suspensions.c.reason))
        return {row.country: row.reason for row in rows}

    def suspend_country(self, country: str, reason: str | None, at: datetime) -> bool:
        """Suspend a country; False when it already was."""
        exists = self._c.execute(
            select(country_suspensions.c.country).where(country_suspensions.c.country == country)
        ).first()
        if exists:
            return False
        self._c.execute(
            insert(country_suspensions).values(country=country, reason=reason, suspended_at=at)
        )
        bump(self._c, REGISTRY)
        return True

    def resume_country(self, country: str) -> bool:
        """Lift a country's suspension; False when it was not suspended."""
        result = self._c.execute(
            delete(country_suspensions).where(country_suspensions.c.country == country)
        )
        if result.rowcount > 0:
            bump(self._c, REGISTRY)
        return result.rowcount > 0

    def record_suspension_event(
        self, target_type: str, target: str, action: str, reason: str | None, at: datetime
    ) -> None:
        """Append to the suspension history."""
        self._c.execute(
            insert(suspension_events).values(
                target_type=target_type, target=target, action=action, reason=reason, at=at
            )
        )


class TermsRepository:
    """Published terms versions; the newest one is current."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, terms: Terms) -> None:
        """Publish a version."""
        self._c.execute(
            insert(terms_versions).values(
                version=terms.version, clauses=dict(terms.clauses), published_at=terms.published_at
            )
        )
        bump(self._c, REGISTRY)

    def get(self, version: str) -> Terms | None:
        """One version, or None."""
        row = self._c.execute(
            select(terms_versions).where(terms_versions.c.version == version)
        ).first()
        return _to_terms(row) if row else None

    def current(self) -> Terms | None:
        """The newest published version, or None before any is published."""
        row = self._c.execute(
            select(terms_versions).order_by(terms_versions.c.seq.desc()).limit(1)
        ).first()
        return _to_terms(row) if row else None


def _to_terms(row: Row[Any]) -> Terms:
    clauses: Mapping[str, str] = row.clauses
    return Terms(version=row.version, clauses=clauses, published_at=row.published_at)
