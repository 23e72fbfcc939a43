"""Who has my data, on the in-memory unit of work: the customer's transfers, a page at a time
with their proofs, one at a time, their order numbers, and the summary per recipient."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.domain.recipients import Recipient
from gatehouse.ledger import Checkpoint, key_fingerprint, verify_inclusion_proof
from gatehouse.services import consents, ledger, terms, transfers
from gatehouse.services.customer_recipients import transfer_summary
from gatehouse.services.customer_transfers import order_refs, transfer_of, transfers_of
from gatehouse.vault import KeyShredded
from tests.support.factories import TERMS_CLAUSES
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    world = new_world()
    terms.publish_terms(world.gh, "t1", TERMS_CLAUSES)
    return world


def transfer(w: World, subject_id: str, recipient: Recipient) -> str:
    """An order to ``recipient`` and its transfer, decided by the transfer use case."""
    outcome = transfers.request_transfer(
        w.gh, w.order(subject_id, recipient), purpose="fulfilment", flow="provision"
    )
    return outcome.transfer_id


def test_the_list_is_newest_first_a_page_at_a_time_with_only_allowed_transfers(
    w: World,
) -> None:
    subject_id = w.subject()
    china, japan, refused = w.recipient(), w.recipient(country="JP"), w.recipient(country="US")
    w.consent(subject_id, china, japan)
    made = []
    for recipient in (china, japan, china, china, japan):
        made.append(transfer(w, subject_id, recipient))
        w.advance(minutes=1)
    transfer(w, subject_id, refused)  # no consent to it: refused, so never listed
    stranger = w.subject()
    w.consent(stranger, china)
    transfer(w, stranger, china)

    first = transfers_of(w.gh, subject_id, limit=2, with_proofs=False)
    assert [i.transfer_id for i in first.items] == made[::-1][:2]
    assert first.next_cursor is not None and first.by_country == {"CN": 3, "JP": 2}
    rest = transfers_of(w.gh, subject_id, after=first.next_cursor, limit=3, with_proofs=False)
    assert [i.transfer_id for i in rest.items] == made[::-1][2:] and rest.next_cursor is None
    with pytest.raises(InvalidInput):
        transfers_of(w.gh, subject_id, after="not-a-cursor")


def test_an_item_names_the_recipient_and_labels_in_the_customers_language(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    w.consent(subject_id, seller)
    transfer_id = transfer(w, subject_id, seller)

    item = transfer_of(w.gh, subject_id, transfer_id, with_proof=False)

    order = next(o for o in w.db.tables.orders.values() if o.subject_id == subject_id)
    assert item.order_ref == order.external_ref and item.when == w.clock()
    assert (item.recipient.id, item.recipient.legal_name) == (seller.id, seller.legal_name)
    assert item.recipient.kind == "seller" and item.recipient.country == "CN"
    assert item.recipient.officer_name == "Li Wei" and item.recipient.retention_days == 90
    assert item.items == ("name", "phone", "address") and item.item_labels[0] == "성명"
    assert (item.purpose, item.basis, item.status) == ("fulfilment", "SEPARATE_CONSENT", "open")
    assert item.until == w.db.tables.views[transfer_id].expires_at
    # The API's JSON, key for key.
    shown = item.to_dict()
    assert list(shown) == [
        "transfer_id",
        "order_ref",
        "recipient",
        "country",
        "items",
        "item_labels",
        "purpose",
        "purpose_label",
        "flow",
        "basis",
        "basis_label",
        "notice_hash",
        "when",
        "until",
        "status",
        "close_reason",
        "proof",
    ]
    assert shown["recipient"] == {
        "id": seller.id,
        "kind": "seller",
        "legal_name": seller.legal_name,
        "country": "CN",
        "contact": {"phone": seller.contact_phone, "email": seller.contact_email},
        "privacy_officer": {
            "name": "Li Wei",
            "email": seller.privacy_officer.email,
            "phone": None,
        },
        "retention_days": 90,
    }
    assert shown["items"] == ["name", "phone", "address"] and shown["proof"] is None


def test_a_closed_or_ended_view_shows_why(w: World) -> None:
    subject_id = w.subject()
    seller, other = w.recipient(), w.recipient()
    consent_id = w.consent(subject_id, seller)
    withdrawn = transfer(w, subject_id, seller)
    w.consent(subject_id, other)
    ended = transfer(w, subject_id, other)
    consents.withdraw_consent(w.gh, subject_id, consent_id, channel="web")

    closed = transfer_of(w.gh, subject_id, withdrawn, with_proof=False)
    assert (closed.status, closed.close_reason, closed.until) == (
        "closed",
        "consent_withdrawn",
        w.clock(),
    )
    w.clock.now = w.db.tables.views[ended].expires_at
    late = transfer_of(w.gh, subject_id, ended, with_proof=False)
    assert (late.status, late.close_reason) == ("closed", "window_ended")


def test_proofs_come_from_one_snapshot_against_the_latest_checkpoint(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    w.consent(subject_id, seller)
    made = [transfer(w, subject_id, seller) for _ in range(3)]
    w.checkpoint()
    checkpoint = w.db.tables.checkpoints[-1]
    units = len(w.db.units)

    page = transfers_of(w.gh, subject_id)

    # One read-only unit of work read the list, the positions and every proof.
    assert len(w.db.units) == units + 1 and w.db.units[-1].read_only
    assert {i.transfer_id for i in page.items} == set(made)
    for item in page.items:
        assert item.proof is not None
        assert item.proof.entry.kind == "transfer.allowed"
        assert item.proof.entry.payload["transfer_id"] == item.transfer_id
        proof = item.to_dict()["proof"]
        assert verify_inclusion_proof(proof, checkpoint, w.signer.public_key_b64())
    one = transfer_of(w.gh, subject_id, made[0])
    assert one.proof is not None and one.proof.checkpoint_sequence == checkpoint.sequence


def test_an_entry_past_the_latest_checkpoint_gets_one_signed_first(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    w.consent(subject_id, seller)
    transfer(w, subject_id, seller)

    page = transfers_of(w.gh, subject_id)

    (checkpoint,) = w.db.tables.checkpoints
    # The proofs come from one snapshot after the signing, all against the new checkpoint.
    assert w.db.units[-1].read_only
    (item,) = page.items
    assert item.proof is not None and item.proof.checkpoint_sequence == checkpoint.sequence
    proof = item.to_dict()["proof"]
    assert verify_inclusion_proof(proof, checkpoint, ledger.public_key(w.gh))
    # The customer gets the checkpoint and the key's fingerprint to check it away from us.
    assert Checkpoint.from_dict(proof["checkpoint"]) == checkpoint
    assert proof["public_key_sha256"] == key_fingerprint(ledger.public_key(w.gh))
    # Covered now: asking again signs nothing more.
    transfers_of(w.gh, subject_id)
    assert len(w.db.tables.checkpoints) == 1


def test_another_customers_transfer_is_not_found(w: World) -> None:
    alice, bob = w.subject(), w.subject()
    seller = w.recipient()
    w.consent(alice, seller)
    w.consent(bob, seller)
    alices = transfer(w, alice, seller)
    bobs = transfer(w, bob, seller)

    with pytest.raises(NotFound) as missing:
        transfer_of(w.gh, bob, alices)
    assert missing.value.code == "transfer_not_found"
    assert order_refs(w.gh, bob, [alices, bobs, "trf_nothing"]) == {
        bobs: transfer_of(w.gh, bob, bobs, with_proof=False).order_ref
    }
    units = len(w.db.units)
    assert order_refs(w.gh, bob, []) == {} and len(w.db.units) == units


def test_the_summary_groups_every_transfer_by_recipient(w: World) -> None:
    subject_id = w.subject()
    china, japan = w.recipient(), w.recipient(country="JP")
    consent_id = w.consent(subject_id, china)
    for _ in range(3):
        transfer(w, subject_id, china)
    w.advance(hours=1)
    w.consent(subject_id, japan)
    last = transfer(w, subject_id, japan)
    consents.withdraw_consent(w.gh, subject_id, consent_id, channel="web")
    commits = w.db.commits

    summary = transfer_summary(w.gh, subject_id)

    assert w.db.commits == commits and w.db.units[-1].read_only
    assert summary.total == 4 and summary.by_country == {"CN": 3, "JP": 1}
    shares = {share.recipient_id: share for share in summary.recipients}
    assert [r.country for r in summary.recipients] == ["CN", "JP"]
    cn, jp = shares[china.id], shares[japan.id]
    assert (cn.transfers, cn.open, cn.until) == (3, False, w.clock())
    assert (jp.transfers, jp.open) == (1, True)
    assert jp.until == w.db.tables.views[last].expires_at and jp.last_at == w.clock()
    assert cn.fields == ("name", "phone", "address") and cn.purposes == ("fulfilment",)
    assert cn.bases == ("SEPARATE_CONSENT",) and cn.kind == "seller"
    assert (cn.legal_name, cn.officer_name) == (china.legal_name, "Li Wei")


def test_an_erased_or_unknown_customer_has_no_list(w: World) -> None:
    subject_id = w.subject()
    w.erase(subject_id)
    for read in (
        lambda s: transfers_of(w.gh, s),
        lambda s: transfer_of(w.gh, s, "trf_x"),
        lambda s: transfer_summary(w.gh, s),
    ):
        with pytest.raises(KeyShredded):
            read(subject_id)
        with pytest.raises(NotFound):
            read("sub_nobody")
