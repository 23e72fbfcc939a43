"""Rendered notices, published disclosures and the consent history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from gatehouse.domain.consents import ConsentRecord
from gatehouse.domain.decision import DisclosureFact
from gatehouse.store.generations import REGISTRY, bump
from gatehouse.store.records import StoredNotice
from gatehouse.store.tables import consents, disclosure_recipients, disclosures, notices

__all__ = ["NoticeRepository", "ConsentRepository", "CONSENT_COLUMNS", "consent_from_row"]


def _to_notice(row: Row[Any]) -> StoredNotice:
    return StoredNotice(
        hash=row.hash,
        kind=row.kind,
        locale=row.locale,
        purpose=row.purpose,
        flow=row.flow,
        pack_id=row.pack_id,
        pack_version=row.pack_version,
        recipients=dict(row.recipients),
        countries=list(row.countries),
        body=dict(row.body),
        text=row.text,
        created_at=row.created_at,
        content_digest=row.content_digest,
        required=row.required,
    )


class NoticeRepository:
    """Stores each rendered notice once, by content hash."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def save(
        self,
        *,
        notice_hash: str,
        kind: str,
        locale: str,
        purpose: str,
        flow: str,
        pack_id: str,
        pack_version: str,
        recipients: Mapping[str, str],
        countries: list[str],
        body: Mapping[str, Any],
        text: str,
        at: datetime,
        content_digest: str,
        required: bool | None,
    ) -> None:
        """Store a notice unless the same content is stored already."""
        if self.get(notice_hash) is not None:
            return
        values = {
            "hash": notice_hash,
            "kind": kind,
            "locale": locale,
            "purpose": purpose,
            "flow": flow,
            "pack_id": pack_id,
            "pack_version": pack_version,
            "recipients": dict(recipients),
            "countries": countries,
            "body": dict(body),
            "text": text,
            "created_at": at,
            "content_digest": content_digest,
            "required": required,
        }
        try:
            with self._c.begin_nested():
                self._c.execute(insert(notices).values(**values))
        except IntegrityError:
            pass  # rendered concurrently by another request: same hash, same content

    def get(self, notice_hash: str) -> StoredNotice | None:
        """The stored notice, or None."""
        row = self._c.execute(_NOTICE, {"notice_hash": notice_hash}).first()
        return None if row is None else _to_notice(row)

    def by_hashes(self, hashes: Iterable[str]) -> dict[str, StoredNotice]:
        """The stored notices among ``hashes``, by hash, in one query."""
        wanted = sorted(set(hashes))
        if not wanted:
            return {}
        rows = self._c.execute(select(notices).where(notices.c.hash.in_(wanted)))
        return {row.hash: _to_notice(row) for row in rows}

    def publish_disclosure(
        self,
        disclosure_id: str,
        notice_hash: str,
        purpose: str,
        recipients: Mapping[str, str],
        at: datetime,
    ) -> None:
        """Record that a disclosure naming ``recipients`` (id -> fingerprint) was published."""
        self._c.execute(
            insert(disclosures).values(
                id=disclosure_id, notice_hash=notice_hash, purpose=purpose, published_at=at
            )
        )
        self._c.execute(
            insert(disclosure_recipients),
            [
                {"disclosure_id": disclosure_id, "recipient_id": rid, "fingerprint": fingerprint}
                for rid, fingerprint in recipients.items()
            ],
        )
        bump(self._c, REGISTRY)

    def disclosures_for(self, recipient_id: str) -> list[DisclosureFact]:
        """Published disclosures that name the recipient, newest first."""
        rows = self._c.execute(
            select(
                disclosures.c.notice_hash,
                disclosures.c.purpose,
                disclosure_recipients.c.fingerprint,
                notices.c.flow,
                notices.c.locale,
                notices.c.content_digest,
            )
            .join(disclosure_recipients, disclosure_recipients.c.disclosure_id == disclosures.c.id)
            .join(notices, notices.c.hash == disclosures.c.notice_hash)
            .where(disclosure_recipients.c.recipient_id == recipient_id)
            .order_by(disclosures.c.published_at.desc())
        )
        return [
            DisclosureFact(
                notice_hash=row.notice_hash,
                purpose=row.purpose,
                recipients={recipient_id: row.fingerprint},
                flow=row.flow,
                language=row.locale,
                content_digest=row.content_digest,
            )
            for row in rows
        ]


# Built once: consent saves and transfer decisions run these on every request.
_NOTICE = select(notices).where(notices.c.hash == bindparam("notice_hash"))
# The subject's next number, taken in the insert itself: the caller holds the lock on the
# subject's ledger shard, so no other answer of the subject is being numbered meanwhile.
_APPEND_CONSENT = insert(consents).values(
    seq=select(func.coalesce(func.max(consents.c.seq), 0) + 1)
    .where(consents.c.subject_id == bindparam("numbered_subject"))
    .scalar_subquery()
)

CONSENT_COLUMNS = (
    *(column.label(f"consent_{column.name}") for column in consents.c),
    *(
        column.label(f"consent_{column.name}")
        for column in (
            notices.c.recipients,
            notices.c.flow,
            notices.c.locale,
            notices.c.content_digest,
            notices.c.required,
        )
    ),
)
"""A consent's columns with its notice's scope, labelled so that they can sit beside another
table's in one row (the transfer decision reads them with the order); join ``notices`` on
``notices.c.hash == consents.c.notice_hash``."""


def consent_from_row(row: Row[Any]) -> ConsentRecord:
    """The consent record in a row selected with :data:`CONSENT_COLUMNS`."""
    return ConsentRecord(
        id=row.consent_id,
        subject_id=row.consent_subject_id,
        notice_hash=row.consent_notice_hash,
        purpose=row.consent_purpose,
        granted=row.consent_granted,
        channel=row.consent_channel,
        at=row.consent_at,
        recipients=dict(row.consent_recipients),
        withdraws=row.consent_withdraws,
        flow=row.consent_flow,
        language=row.consent_locale,
        content_digest=row.consent_content_digest,
        required=row.consent_required,
        policy_version=row.consent_policy_version,
    )


_HISTORY = (
    select(*CONSENT_COLUMNS)
    .join(notices, notices.c.hash == consents.c.notice_hash)
    .where(consents.c.subject_id == bindparam("history_subject"))
    .order_by(consents.c.seq)
)


class ConsentRepository:
    """Appends consent records; never updates or deletes one."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def append(self, record: ConsentRecord) -> None:
        """Add one record to the end of its subject's history; the caller holds the subject's
        ledger shard (``Ledger.group``), which orders the subject's answers."""
        self._c.execute(
            _APPEND_CONSENT,
            {
                "numbered_subject": record.subject_id,
                "id": record.id,
                "subject_id": record.subject_id,
                "notice_hash": record.notice_hash,
                "purpose": record.purpose,
                "granted": record.granted,
                "channel": record.channel,
                "withdraws": record.withdraws,
                "at": record.at,
                "policy_version": record.policy_version,
            },
        )

    def history(self, subject_id: str) -> list[ConsentRecord]:
        """The subject's whole consent history, with each notice's recipient scope."""
        rows = self._c.execute(_HISTORY, {"history_subject": subject_id})
        return [consent_from_row(row) for row in rows]
