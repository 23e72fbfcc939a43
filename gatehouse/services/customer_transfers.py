"""Who has my data: the customer's allowed transfers, each with its ledger inclusion proof."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from gatehouse.domain.errors import NotFound
from gatehouse.domain.policy import Label, RulePack
from gatehouse.domain.recipients import Recipient
from gatehouse.domain.subjects import Subject
from gatehouse.ledger import Checkpoint, shard_for
from gatehouse.services import ledger
from gatehouse.services.ledger_anchors import published_document
from gatehouse.services.ledger_append import LEDGER_SHARDS
from gatehouse.services.ledger_archive_entries import find_archived
from gatehouse.services.ledger_keys import checkpoint_key
from gatehouse.services.ledger_proofs import InclusionProof, Position, inclusion_proofs, prove
from gatehouse.services.paging import page_cursor, parse_page_cursor
from gatehouse.services.remedies import language_of
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import require_live_subject
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.customer_transfers import TransferListing

__all__ = [
    "TransferRecipient",
    "CustomerTransfer",
    "TransferPage",
    "transfers_of",
    "transfer_of",
    "order_refs",
]


@dataclass(frozen=True)
class TransferRecipient:
    """The recipient of a transfer as the customer is told of it: who, where, how to reach."""

    id: str
    kind: str
    legal_name: str | None
    # The country the transfer went to.
    country: str | None
    contact_phone: str | None
    contact_email: str | None
    officer_name: str | None
    officer_email: str | None
    officer_phone: str | None
    retention_days: int | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form ``GET /v1/me/transfers`` answers."""
        return {
            "id": self.id,
            "kind": self.kind,
            "legal_name": self.legal_name,
            "country": self.country,
            "contact": {"phone": self.contact_phone, "email": self.contact_email},
            "privacy_officer": {
                "name": self.officer_name,
                "email": self.officer_email,
                "phone": self.officer_phone,
            },
            "retention_days": self.retention_days,
        }


@dataclass(frozen=True)
class CustomerTransfer:
    """One allowed transfer of the customer's data, labelled in their language.

    ``status`` is "open" or "closed"; ``until`` is when the recipient's view ends or ended;
    ``proof`` is the entry's inclusion proof, or None when it was not asked for.
    """

    transfer_id: str
    order_ref: str
    recipient: TransferRecipient
    country: str | None
    items: tuple[str, ...]
    item_labels: tuple[str, ...]
    purpose: str
    purpose_label: str
    flow: str
    basis: str | None
    basis_label: str | None
    notice_hash: str | None
    when: datetime
    until: datetime | None
    status: str
    close_reason: str | None
    proof: InclusionProof | None
    # The published form of the checkpoint ``proof`` is against: its fields, public key and
    # fingerprint, so the customer can check the proof without trusting Gatehouse.
    checkpoint: Mapping[str, Any] | None = None

    def proof_dict(self) -> dict[str, Any] | None:
        """The proof with the entry, the signed checkpoint and the key's fingerprint."""
        if self.proof is None:
            return None
        proof = self.proof.to_dict()
        if self.checkpoint is not None:
            proof["checkpoint"] = dict(self.checkpoint)
            proof["public_key_sha256"] = self.checkpoint["public_key_sha256"]
        return proof

    def to_dict(self) -> dict[str, Any]:
        """The JSON form ``GET /v1/me/transfers`` answers (times as datetimes)."""
        return {
            "transfer_id": self.transfer_id,
            "order_ref": self.order_ref,
            "recipient": self.recipient.to_dict(),
            "country": self.country,
            "items": list(self.items),
            "item_labels": list(self.item_labels),
            "purpose": self.purpose,
            "purpose_label": self.purpose_label,
            "flow": self.flow,
            "basis": self.basis,
            "basis_label": self.basis_label,
            "notice_hash": self.notice_hash,
            "when": self.when,
            "until": self.until,
            "status": self.status,
            "close_reason": self.close_reason,
            "proof": self.proof_dict(),
        }


@dataclass(frozen=True)
class TransferPage:
    """A page of the customer's allowed transfers, and how many went to each country."""

    items: list[CustomerTransfer]
    next_cursor: str | None
    by_country: dict[str, int]


def _status(listing: TransferListing, now: datetime) -> tuple[str, str | None, datetime | None]:
    """(open|closed, why it closed, until when it is or was open)."""
    if listing.view_closed_at is not None:
        return "closed", listing.close_reason, listing.view_closed_at
    if listing.view_expires_at is None or listing.view_expires_at <= now:
        # Past its window but not yet swept: closed all the same for the recipient.
        return "closed", "window_ended", listing.view_expires_at
    return "open", None, listing.view_expires_at


def _recipient(listing: TransferListing, recipient: Recipient) -> TransferRecipient:
    officer = recipient.privacy_officer
    return TransferRecipient(
        id=recipient.id,
        kind=recipient.kind.value,
        legal_name=recipient.legal_name,
        country=listing.country,
        contact_phone=recipient.contact_phone,
        contact_email=recipient.contact_email,
        officer_name=officer.name,
        officer_email=officer.email,
        officer_phone=officer.phone,
        retention_days=recipient.retention_days,
    )


@dataclass(frozen=True)
class _Labels:
    """What a transfer is labelled with: the subject's pack and language, and the time."""

    pack: RulePack
    language: str
    now: datetime

    @classmethod
    def of(cls, gh: Gatehouse, subject: Subject) -> _Labels:
        pack = gh.packs.by_id(subject.rule_pack)
        return cls(pack, language_of(subject, pack), gh.clock())

    def text(self, label: Label) -> str:
        return label.text(self.language, self.pack.required_language)

    def item(
        self, listing: TransferListing, recipient: Recipient, proof: InclusionProof | None
    ) -> CustomerTransfer:
        pack = self.pack
        status, reason, until = _status(listing, self.now)
        purpose = pack.purposes.get(listing.purpose)
        basis = pack.bases.get(listing.basis) if listing.basis else None
        return CustomerTransfer(
            transfer_id=listing.id,
            order_ref=listing.order_ref,
            recipient=_recipient(listing, recipient),
            country=listing.country,
            items=tuple(listing.fields),
            item_labels=tuple(
                self.text(pack.field_labels[f]) if f in pack.field_labels else f
                for f in listing.fields
            ),
            purpose=listing.purpose,
            purpose_label=self.text(purpose.label) if purpose else listing.purpose,
            flow=listing.flow,
            basis=listing.basis,
            basis_label=self.text(basis.label) if basis else listing.basis,
            notice_hash=listing.notice_hash,
            when=listing.decided_at,
            until=until,
            status=status,
            close_reason=reason,
            proof=proof,
        )


@dataclass
class _Read:
    """What one snapshot read for a list of transfers: rows, recipients, and proofs."""

    listings: list[TransferListing]
    recipients: dict[str, Recipient]
    # Where each listed transfer's entry sits in the ledger, when proofs were asked for.
    positions: dict[str, Position]
    # The proofs, when the latest checkpoint already covered every entry; else None.
    proofs: dict[Position, InclusionProof] | None


def _covers(checkpoint: Checkpoint | None, positions: Iterable[Position]) -> bool:
    """Whether ``checkpoint`` includes every entry at ``positions``."""
    if checkpoint is None:
        return False
    return all(
        (head := checkpoint.head(shard)) is not None and seq < head.size for shard, seq in positions
    )


def _read(
    uow: UnitOfWork,
    subject_id: str,
    listings: list[TransferListing],
    with_proofs: bool,
    archive_dir: Path | None,
) -> _Read:
    """The recipients of ``listings`` and, if asked, the proofs the snapshot can give."""
    recipients = uow.recipients.get_many(listing.recipient_id for listing in listings)
    if not with_proofs or not listings:
        return _Read(listings, recipients, {}, None)
    wanted = {listing.id for listing in listings}
    # The positions read every allowed-transfer entry of the subject: only a proof needs them.
    entries = uow.ledger.find(kind="transfer.allowed", subject_id=subject_id)
    positions = {
        tid: (e.shard, e.seq)
        for e in entries
        if (tid := str(e.payload.get("transfer_id"))) in wanted
    }
    if wanted - positions.keys():
        # Older transfers' entries may have moved to the ledger's archive files.
        shard = shard_for(subject_id, uow.ledger.shard_count(LEDGER_SHARDS, create=False))
        archived = find_archived(
            uow.ledger, archive_dir, kind="transfer.allowed", subject_id=subject_id, shard=shard
        )
        positions |= {
            tid: (e.shard, e.seq)
            for e in archived
            if (tid := str(e.payload.get("transfer_id"))) in wanted
        }
    proofs = None
    if _covers(uow.ledger.latest_checkpoint(), positions.values()):
        proofs = prove(uow.ledger, positions.values(), archive_dir)
    return _Read(listings, recipients, positions, proofs)


def _proofs(gh: Gatehouse, read: _Read) -> Mapping[Position, InclusionProof]:
    """The proofs of the listed transfers: from the snapshot when its checkpoint covered
    them, else against a checkpoint signed now.

    A customer asking who holds their data should get evidence they can check now, not a
    promise for the next periodic checkpoint; and signing one is cheap (one signature over
    the shard heads) and only happens when the ledger has grown past the last one. The
    proofs then come from one snapshot, all against the same checkpoint.
    """
    if read.proofs is not None or not read.positions:
        return read.proofs or {}
    ledger.make_checkpoint(gh)
    return inclusion_proofs(gh, read.positions.values())


def _published(gh: Gatehouse, proofs: Iterable[InclusionProof]) -> dict[str, Any] | None:
    """The published form of the checkpoint the proofs share (one snapshot signs them all)."""
    checkpoint = next((proof.checkpoint for proof in proofs if proof.checkpoint), None)
    if checkpoint is None:
        return None
    key = checkpoint_key(gh, checkpoint)
    return None if key is None else published_document(checkpoint, key)


def _items(gh: Gatehouse, subject: Subject, read: _Read) -> list[CustomerTransfer]:
    labels = _Labels.of(gh, subject)
    proofs = _proofs(gh, read)
    published = _published(gh, proofs.values())
    items = []
    for listing in read.listings:
        position = read.positions.get(listing.id)
        proof = proofs.get(position) if position else None
        item = labels.item(listing, read.recipients[listing.recipient_id], proof)
        items.append(item if proof is None else replace(item, checkpoint=published))
    return items


def transfers_of(
    gh: Gatehouse,
    subject_id: str,
    *,
    after: str | None = None,
    limit: int = 50,
    with_proofs: bool = True,
) -> TransferPage:
    """The subject's allowed transfers, newest first, each with its proof of inclusion.

    Each proof reads its shard's leaf hashes, so a caller that only displays the list (a page
    listing every transfer) passes ``with_proofs=False`` and gets ``proof: None``.
    """
    before = None if after is None else parse_page_cursor(after)
    with gh.unit_of_work(read_only=True) as uow:
        subject = require_live_subject(uow.subjects, subject_id)
        listings = uow.customer_transfers.page(subject_id, before=before, limit=limit + 1)
        counts = uow.customer_transfers.count_by_country(subject_id)
        more = len(listings) > limit
        read = _read(uow, subject_id, listings[:limit], with_proofs, gh.archive_dir)
    items = _items(gh, subject, read)
    next_cursor = None
    if more and read.listings:
        last = read.listings[-1]
        next_cursor = page_cursor(last.decided_at, last.id)
    by_country: dict[str, int] = {}
    for country, count in counts.items():
        code = str(country or "??")
        by_country[code] = by_country.get(code, 0) + count
    return TransferPage(
        items=items, next_cursor=next_cursor, by_country=dict(sorted(by_country.items()))
    )


def transfer_of(
    gh: Gatehouse, subject_id: str, transfer_id: str, *, with_proof: bool = True
) -> CustomerTransfer:
    """One of the subject's allowed transfers with its proof; another's is not found.

    A page that only names the transfer passes ``with_proof=False`` and gets ``proof: None``.
    """
    with gh.unit_of_work(read_only=True) as uow:
        subject = require_live_subject(uow.subjects, subject_id)
        listings = uow.customer_transfers.page(
            subject_id, before=None, limit=1, transfer_id=transfer_id
        )
        read = _read(uow, subject_id, listings, with_proof, gh.archive_dir)
    if not listings:
        raise NotFound(f"no transfer with id {transfer_id!r}", code="transfer_not_found")
    (item,) = _items(gh, subject, read)
    return item


def order_refs(gh: Gatehouse, subject_id: str, transfer_ids: Collection[str]) -> dict[str, str]:
    """The order number of each of the subject's transfers among ``transfer_ids``.

    Another subject's transfer, or an unknown id, is left out.
    """
    if not transfer_ids:
        return {}
    with gh.unit_of_work(read_only=True) as uow:
        return uow.customer_transfers.order_refs(subject_id, transfer_ids)
