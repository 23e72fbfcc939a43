"""Who has my data, per recipient: every recipient of the customer's allowed transfers.

The privacy center must name every recipient that holds the customer's data, with what it
received, why and on what basis, however many transfers there were. Aggregating the
transfers made a page's time grow with the customer's history, so the totals are kept as
transfers are decided and views open and close (:mod:`gatehouse.store.transfer_totals`), and
read here (:meth:`~gatehouse.store.customer_transfers.CustomerTransferRepository.groups`):
their rows grow with the distinct (recipient, country, purpose, basis, items) combinations,
which the rule pack bounds, never with the number of transfers. The transfers themselves
are paged by :func:`gatehouse.services.customer_transfers.transfers_of`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import require_live_subject
from gatehouse.store.customer_transfers import TransferGroup

__all__ = ["RecipientSummary", "TransferSummary", "transfer_summary"]


@dataclass(frozen=True)
class RecipientSummary:
    """One recipient and everything it received from the customer, over all transfers.

    ``until`` is the latest moment any of its views is or was open until (None when it has
    no view); ``open`` whether one is open now.
    """

    recipient_id: str
    kind: str
    legal_name: str | None
    country: str | None
    contact_phone: str | None
    contact_email: str | None
    officer_name: str | None
    officer_email: str | None
    officer_phone: str | None
    transfers: int
    last_at: datetime
    fields: tuple[str, ...]
    purposes: tuple[str, ...]
    bases: tuple[str, ...]
    until: datetime | None
    open: bool


@dataclass(frozen=True)
class TransferSummary:
    """The customer's allowed transfers in aggregate: per recipient, per country, in all."""

    recipients: tuple[RecipientSummary, ...]
    by_country: dict[str, int]
    total: int


@dataclass
class _Share:
    """A recipient's totals while the groups are read."""

    country: str | None
    last_at: datetime
    transfers: int = 0
    fields: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)

    def add(self, group: TransferGroup) -> None:
        """Count one group of transfers (groups come newest first)."""
        self.transfers += group.transfers
        for into, values in (
            (self.fields, list(group.fields)),
            (self.purposes, [group.purpose]),
            (self.bases, [group.basis]),
        ):
            into.extend(v for v in dict.fromkeys(values) if v is not None and v not in into)


def transfer_summary(gh: Gatehouse, subject_id: str) -> TransferSummary:
    """Every recipient of the live subject's allowed transfers, and the counts by country.

    Recipients come ordered by country, then name; items, purposes and bases each in the
    order of the recipient's latest transfer that had them.
    """
    now = gh.clock()
    with gh.unit_of_work(read_only=True) as uow:
        require_live_subject(uow.subjects, subject_id)
        groups = uow.customer_transfers.groups(subject_id)
        # The views apart, by recipient: a window per (customer, recipient), also kept up to date.
        access = uow.customer_transfers.windows(subject_id, now)
        ids = sorted({group.recipient_id for group in groups})
        details = {rid: found for rid in ids if (found := uow.recipients.get(rid)) is not None}
    # Newest first, so each recipient's country and lists follow its latest transfers.
    groups.sort(key=lambda group: (group.last_at, group.recipient_id), reverse=True)
    by_country: dict[str, int] = {}
    shares: dict[str, _Share] = {}
    for group in groups:
        code = str(group.country or "??")
        by_country[code] = by_country.get(code, 0) + group.transfers
        shares.setdefault(group.recipient_id, _Share(group.country, group.last_at)).add(group)
    summaries = []
    for recipient_id, share in shares.items():
        recipient = details[recipient_id]
        window = access.get(recipient_id)
        summaries.append(
            RecipientSummary(
                recipient_id=recipient_id,
                kind=recipient.kind.value,
                legal_name=recipient.legal_name,
                country=share.country,
                contact_phone=recipient.contact_phone,
                contact_email=recipient.contact_email,
                officer_name=recipient.privacy_officer.name,
                officer_email=recipient.privacy_officer.email,
                officer_phone=recipient.privacy_officer.phone,
                transfers=share.transfers,
                last_at=share.last_at,
                fields=tuple(share.fields),
                purposes=tuple(share.purposes),
                bases=tuple(share.bases),
                until=window.until if window else None,
                open=window is not None and window.open,
            )
        )
    summaries.sort(key=lambda s: (s.country or "", s.legal_name or "", s.recipient_id))
    return TransferSummary(
        recipients=tuple(summaries),
        by_country=dict(sorted(by_country.items())),
        total=sum(by_country.values()),
    )
