"""A small marketplace on the in-memory fakes: a customer, a seller, consent, orders, transfers.

Customers, consents and orders go through their use cases, so the tests built on them
exercise the same paths as production. Register entries and transfer decisions are put into
the fake database directly, complete and allowed, so that a test of another use case needs no
terms, registration or decision first; the register and the gateway have tests of their own
(``test_service_recipients``, ``test_service_transfers``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from gatehouse.domain.orders import OrderItem
from gatehouse.domain.recipients import Recipient
from gatehouse.domain.subjects import validate_subject_pii
from gatehouse.domain.views import view_expiry
from gatehouse.ledger import CheckpointSigner
from gatehouse.services import consents, notices, orders, subjects
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.records import OpenView, StoredTransfer
from tests.support.factories import korean_mobile, unique
from tests.support.fakes import Clock, FakeDatabase, fake_gatehouse, make_recipient

__all__ = ["World", "new_world"]


@dataclass
class World:
    """The fake database, a Gatehouse on it, its clock and the checkpoint signer."""

    db: FakeDatabase
    gh: Gatehouse
    clock: Clock
    signer: CheckpointSigner = field(default_factory=CheckpointSigner.generate)

    def advance(self, **delta: float) -> None:
        """Move the clock on."""
        self.clock.now += timedelta(**delta)

    def recipient(self, **overrides: Any) -> Recipient:
        """A registered, active recipient."""
        return self.db.add_recipient(make_recipient(**overrides))

    def subject(self, **overrides: Any) -> str:
        """A new customer, through the subject registry's use case; returns its id."""
        n = unique()
        pii: dict[str, Any] = {
            "external_ref": f"cus_{n}",
            "name": "홍길동",
            "email": f"gildong{n}@example.kr",
            "phone": korean_mobile(n),
            "postal_code": "06236",
            "line1": "서울특별시 강남구 테헤란로 152",
            "line2": "12층",
            "customs_code": f"P{n % 10**12:012d}",
        }
        pii.update(overrides)
        new = subjects.NewSubject(validate_subject_pii(**pii), "KR", "ko-KR")
        return subjects.create_subject(self.gh, new).id

    def consent(self, subject_id: str, *recipients: Recipient, granted: bool = True) -> str:
        """Render the checkout notice naming ``recipients`` and record the answer to it."""
        notice = notices.render_for_subject(
            self.gh,
            subject_id=subject_id,
            recipient_ids=[r.id for r in recipients],
            countries=[],
            purpose="fulfilment",
            flow="provision",
            locale=None,
        )
        record = consents.record_consent(
            self.gh, subject_id, notice.hash, granted=granted, channel="web"
        )
        return record.id

    def order(self, subject_id: str, recipient: Recipient, note: str | None = None) -> str:
        """An order of two phone cases, through the order use case; returns its id."""
        new = orders.NewOrder(
            subject_id=subject_id,
            recipient_id=recipient.id,
            external_ref=f"ORD-{unique()}",
            items=[OrderItem("CASE-01", "휴대폰 케이스", 2)],
            delivery_note=note,
            customs_required=False,
        )
        return orders.create_order(self.gh, new)

    def transfer(self, order_id: str, *, consent_notice: str | None) -> str:
        """An allowed fulfilment transfer of the order, with its open view and a leased safe
        number, seeded as the gateway would record it (without its ledger entry); its id."""
        order = self.db.tables.orders[order_id]
        recipient = self.db.tables.recipients[order.recipient_id]
        now = self.clock()
        pack = self.gh.packs.by_id("KR-PIPA")
        n = unique()
        transfer_id = f"trf_fake{n}"
        safe_number = f"0505-{1000 + n % 9000:04d}-{n % 10000:04d}"
        decision = StoredTransfer(
            id=transfer_id,
            order_id=order_id,
            subject_id=order.subject_id,
            recipient_id=recipient.id,
            country=recipient.country,
            purpose="fulfilment",
            flow="provision",
            allowed=True,
            basis="SEPARATE_CONSENT" if consent_notice else "CONTRACT",
            refusal=None,
            notice_hash=consent_notice,
            fields=["name", "address"],
            decided_at=now,
            legal_provision=None,
            legal_provision_text=None,
        )
        view = OpenView(
            transfer_id=transfer_id,
            order_id=order_id,
            subject_id=order.subject_id,
            recipient_id=recipient.id,
            purpose="fulfilment",
            consent_notice=consent_notice,
            safe_number=safe_number,
            opened_at=now,
            expires_at=view_expiry(pack.views, now, None),
        )
        # Decided outside any use case here, so it has no ledger entry: tests count only theirs.
        self.db.add_transfer(decision, view)
        self.db.tables.leased_numbers[safe_number] = transfer_id
        return transfer_id

    def erase(self, subject_id: str) -> None:
        """Shred the subject as a deletion would: key and ciphertexts gone, marked deleted."""
        tables = self.db.tables
        tables.subjects[subject_id] = replace(tables.subjects[subject_id], deleted_at=self.clock())
        del tables.keys[subject_id]
        for key in [k for k in tables.ciphertexts if k[0] == subject_id]:
            del tables.ciphertexts[key]

    def notice_of(self, consent_id: str) -> str:
        """The hash of the notice a consent answered."""
        return next(c.notice_hash for c in self.db.tables.consents if c.id == consent_id)

    def checkpoint(self, at: datetime | None = None) -> None:
        """Sign the ledger's current heads."""
        self.db.sign_checkpoint(self.signer, at or self.clock())


def new_world() -> World:
    """An empty fake database with a Gatehouse on it."""
    db = FakeDatabase()
    clock = Clock()
    return World(db=db, gh=fake_gatehouse(db, clock), clock=clock)
