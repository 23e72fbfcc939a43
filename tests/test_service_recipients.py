"""The recipient register: registration, terms, suspensions, on the in-memory unit of work."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.domain.recipients import PrivacyOfficer, RecipientStatus
from gatehouse.services import access, consents, recipients, terms
from gatehouse.vault import unwrap_key
from tests.support.factories import TERMS_CLAUSES
from tests.support.fake_world import World, new_world
from tests.support.webhook_sink import parse_secret


@pytest.fixture
def w() -> World:
    return new_world()


def seller(n: int = 1, **overrides: object) -> recipients.RecipientInput:
    fields: dict[str, object] = {
        "kind": "seller",
        "legal_name": f"Shenzhen Bright Trade Co., Ltd. {n}",
        "country": "CN",
        "contact_email": f"ops{n}@bright-trade.example.cn",
        "privacy_officer": PrivacyOfficer("Li Wei", f"privacy{n}@bright-trade.example.cn"),
        "purposes": ["fulfilment"],
        "retention_days": 90,
    }
    fields.update(overrides)
    return recipients.RecipientInput(**fields)  # type: ignore[arg-type]


def test_registration_stores_the_entry_a_key_hash_and_a_wrapped_secret(w: World) -> None:
    first, second = recipients.register_recipients(w.gh, [seller(1), seller(2)])

    assert w.db.commits == 1 and set(w.db.tables.recipients) == {
        first.standing.recipient.id,
        second.standing.recipient.id,
    }
    # Not eligible before any terms are published and accepted.
    assert not first.standing.eligible and "terms_published" in first.standing.missing
    # The API key is stored only as its hash, and it authenticates as the recipient.
    stored = str(w.db.tables.api_keys)
    assert first.api_key not in stored and second.api_key not in stored
    principal = access.authenticate(w.gh, first.api_key)
    assert principal.recipient_id == first.standing.recipient.id
    # The webhook secret is shown once and kept wrapped, bound to its recipient.
    rid = first.standing.recipient.id
    context = recipients.webhook_secret_context(rid)
    kept = unwrap_key(w.db.tables.webhook_secrets[rid], context, w.gh.keyring)
    assert kept == parse_secret(first.webhook_secret)


def test_an_invalid_registration_stores_nothing(w: World) -> None:
    with pytest.raises(InvalidInput):
        recipients.register_recipients(w.gh, [seller(1), seller(2, purposes=["espionage"])])
    assert w.db.tables.recipients == {} and w.db.tables.api_keys == {}


def test_accepting_the_current_terms_makes_a_complete_entry_eligible(w: World) -> None:
    rid = recipients.register_recipient(w.gh, seller()).standing.recipient.id
    terms.publish_terms(w.gh, "2026-01", TERMS_CLAUSES)
    w.advance(days=1)
    terms.publish_terms(w.gh, "2026-02", TERMS_CLAUSES)

    with pytest.raises(NotFound):
        recipients.accept_terms(w.gh, rid, "1999-01")
    with pytest.raises(Conflict) as stale:
        recipients.accept_terms(w.gh, rid, "2026-01")
    assert stale.value.details == {"current": "2026-02"}
    standing = recipients.accept_terms(w.gh, rid, "2026-02")

    assert standing.eligible and standing.missing == []
    assert w.db.tables.terms_acceptances == [(rid, "2026-02", w.clock())]
    assert recipients.get_recipient(w.gh, rid) == standing
    with pytest.raises(NotFound):
        recipients.get_recipient(w.gh, "rcp_nobody")


def test_an_update_keeps_status_terms_and_creation(w: World) -> None:
    rid = recipients.register_recipient(w.gh, seller()).standing.recipient.id
    recipients.suspend_recipient(w.gh, rid, "audit")
    w.advance(days=2)

    standing = recipients.update_recipient(w.gh, rid, {"legal_name": "Bright Trade HK Ltd."})

    updated = standing.recipient
    assert updated.legal_name == "Bright Trade HK Ltd." and updated.updated_at == w.clock()
    assert updated.status is RecipientStatus.SUSPENDED and updated.suspended_reason == "audit"
    assert w.db.tables.recipients[rid] == updated
    with pytest.raises(NotFound):
        recipients.update_recipient(w.gh, "rcp_nobody", {})


def test_suspending_a_recipient_closes_its_views_and_keeps_the_evidence(w: World) -> None:
    subject_id = w.subject()
    target, bystander = w.recipient(), w.recipient()
    closed = w.transfer(w.order(subject_id, target), consent_notice=None)
    kept = w.transfer(w.order(subject_id, bystander), consent_notice=None)

    standing = recipients.suspend_recipient(w.gh, target.id, "PIPC order 2026-17")

    assert standing.recipient.status is RecipientStatus.SUSPENDED
    assert set(w.db.tables.closed_views) == {closed} and kept not in w.db.tables.closed_views
    (suspended,) = w.db.entries("recipient.suspended")
    assert suspended.recipient_id == target.id and suspended.payload["target"] == target.id
    # Only a keyed digest of the free-text reason reaches the ledger.
    digest = suspended.payload["reason_digest"]
    assert digest == w.gh.indexer.digest("suspension_reason", "PIPC order 2026-17")
    assert "PIPC" not in str(suspended.payload)
    assert w.db.tables.suspension_events[-1][:4] == (
        "recipient",
        target.id,
        "suspend",
        "PIPC order 2026-17",
    )

    resumed = recipients.resume_recipient(w.gh, target.id, None)
    assert resumed.recipient.status is RecipientStatus.ACTIVE
    assert resumed.recipient.suspended_reason is None
    assert w.db.entries("recipient.resumed")[0].payload["reason_digest"] is None


def test_a_suspension_is_one_transaction(w: World) -> None:
    subject_id = w.subject()
    target = w.recipient()
    w.transfer(w.order(subject_id, target), consent_notice=None)
    before = w.db.committed()

    w.db.fail("Transfers.close_views", RuntimeError("lost connection"))
    with pytest.raises(RuntimeError):
        recipients.suspend_recipient(w.gh, target.id, None)

    assert w.db.tables == before


def test_suspending_a_country_closes_views_there_once(w: World) -> None:
    subject_id = w.subject()
    chinese, japanese = w.recipient(country="CN"), w.recipient(country="JP")
    there = w.transfer(w.order(subject_id, chinese), consent_notice=None)
    w.transfer(w.order(subject_id, japanese), consent_notice=None)

    first = recipients.suspend_country(w.gh, "CN", "adequacy review")
    again = recipients.suspend_country(w.gh, "CN", "adequacy review")

    assert first == recipients.CountryStatus("CN", "suspended", True, "adequacy review")
    assert not again.changed
    assert list(w.db.tables.closed_views) == [there]
    assert len(w.db.entries("country.suspended")) == 1
    assert recipients.get_recipient(w.gh, chinese.id).country_suspended
    assert recipients.resume_country(w.gh, "CN", None) == recipients.CountryStatus(
        "CN", "active", True
    )
    assert not recipients.resume_country(w.gh, "CN", None).changed
    assert len(w.db.entries("country.resumed")) == 1


def test_listing_counts_each_recipients_overdue_erasures(w: World) -> None:
    registered = recipients.register_recipients(w.gh, [seller(n) for n in range(3)])
    ids = sorted(r.standing.recipient.id for r in registered)
    terms.publish_terms(w.gh, "2026-01", TERMS_CLAUSES)
    for rid in ids:
        recipients.accept_terms(w.gh, rid, "2026-01")
    subject_id = w.subject()
    late = w.db.tables.recipients[ids[1]]
    consent_id = w.consent(subject_id, late)
    w.transfer(w.order(subject_id, late), consent_notice=w.notice_of(consent_id))
    consents.withdraw_consent(w.gh, subject_id, consent_id, channel="web")
    w.advance(days=60)

    page, cursor = recipients.list_recipients(
        w.gh, country="CN", status="active", after=None, limit=2
    )
    rest, end = recipients.list_recipients(
        w.gh, country="CN", status="active", after=cursor, limit=2
    )

    standings = {s.recipient.id: s for s in [*page, *rest]}
    assert list(standings) == ids and end is None
    assert standings[ids[1]].missing == ["erasures_overdue"]
    assert standings[ids[0]].eligible and standings[ids[2]].eligible
