"""The deletion receipt service: read back, handed over once, reached through a vault ticket."""

from __future__ import annotations

from typing import Any

import httpx

from gatehouse.services.receipts import (
    RECEIPT_EVENT,
    deliver_receipt,
    issue_ticket,
    open_ticket,
    receipt_delivered,
    stored_receipt,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger import LedgerRepository
from tests.conftest import Clock
from tests.support.factories import subject_body


def deleted_subject(api: httpx.Client) -> tuple[str, dict[str, Any]]:
    """A new subject, deleted at once; returns its id and the deletion receipt."""
    created = api.post("/v1/subjects", json=subject_body())
    assert created.status_code == 201, created.text
    subject_id = str(created.json()["id"])
    deleted = api.delete(f"/v1/subjects/{subject_id}")
    assert deleted.status_code == 202, deleted.text
    return subject_id, dict(deleted.json()["receipt"])


def test_a_stored_receipt_is_read_back_with_its_tombstone(
    api: httpx.Client, gatehouse: Gatehouse
) -> None:
    subject_id, receipt = deleted_subject(api)
    stored = stored_receipt(gatehouse, receipt["deletion_id"])
    assert stored is not None
    assert stored.deletion_id == receipt["deletion_id"]
    assert stored.document["subject_id"] == subject_id
    assert stored.document["deleted_at"] == receipt["deleted_at"]
    assert stored.document["ledger"] == receipt["ledger"]
    # The tombstone: no personal data, but the pack and residence the page needs.
    assert stored.subject.id == subject_id and stored.subject.deleted
    assert (stored.subject.rule_pack, stored.subject.residence_country) == ("KR-PIPA", "KR")
    assert stored.delivered is False
    assert stored_receipt(gatehouse, "del_nothing") is None


def test_the_json_receipt_is_handed_over_once(api: httpx.Client, gatehouse: Gatehouse) -> None:
    subject_id, receipt = deleted_subject(api)
    other_id, other = deleted_subject(api)
    deletion_id = receipt["deletion_id"]
    assert not receipt_delivered(gatehouse, subject_id, deletion_id)
    assert deliver_receipt(gatehouse, subject_id, deletion_id) is True
    assert deliver_receipt(gatehouse, subject_id, deletion_id) is False
    assert receipt_delivered(gatehouse, subject_id, deletion_id)
    stored = stored_receipt(gatehouse, deletion_id)
    assert stored is not None and stored.delivered
    # The refused second hand-over left no entry behind; the other deletion is untouched.
    with gatehouse.engine.connect() as connection:
        entries = LedgerRepository(connection).find(kind=RECEIPT_EVENT, subject_id=subject_id)
    assert [e.payload["deletion_id"] for e in entries] == [deletion_id]
    assert not receipt_delivered(gatehouse, other_id, other["deletion_id"])


def test_a_ticket_opens_until_it_expires(
    api: httpx.Client, gatehouse: Gatehouse, clock: Clock
) -> None:
    _subject_id, receipt = deleted_subject(api)
    ticket = issue_ticket(gatehouse, receipt["deletion_id"])
    opened = open_ticket(gatehouse, ticket)
    assert opened is not None
    assert (opened.deletion_id, opened.expired) == (receipt["deletion_id"], False)
    clock.advance(minutes=16)
    late = open_ticket(gatehouse, ticket)
    assert late is not None and late.expired


def test_an_altered_or_foreign_ticket_opens_nothing(
    api: httpx.Client, gatehouse: Gatehouse
) -> None:
    _subject_id, receipt = deleted_subject(api)
    _other_id, other = deleted_subject(api)
    ticket = issue_ticket(gatehouse, receipt["deletion_id"])
    deletion_id, expires, kek_id, blob = ticket.split(".")
    flipped = blob[:-2] + ("A" if blob[-2] != "A" else "B") + blob[-1]
    for forged in (
        f"{deletion_id}.{int(expires) + 3600}.{kek_id}.{blob}",
        f"{other['deletion_id']}.{expires}.{kek_id}.{blob}",
        f"{deletion_id}.{expires}.{kek_id}.{flipped}",
        f"{deletion_id}.{expires}.nokey.{blob}",
        f"{deletion_id}.{expires}.{kek_id}.!!!",
        f"{deletion_id}.soon.{kek_id}.{blob}",
        f"{deletion_id}.{expires}.{kek_id}",
        ticket + "." + "A" * 400,
        "",
        None,
    ):
        assert open_ticket(gatehouse, forged) is None, forged
