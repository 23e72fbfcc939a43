"""Recording and withdrawing consent, on the in-memory unit of work (no database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.domain.recipients import RecipientKind
from gatehouse.services import consents, notices
from gatehouse.vault import KeyShredded
from tests.support.fake_world import World, new_world
from tests.support.policy_versions import put_policy


@pytest.fixture
def w() -> World:
    return new_world()


def test_a_grant_is_history_and_a_ledger_entry(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    consent_id = w.consent(subject_id, seller)

    (state,) = consents.consent_states(w.gh, subject_id)
    assert (
        state.consent_id == consent_id and state.granted and state.recipients.keys() == {seller.id}
    )
    (entry,) = w.db.entries("consent.granted")
    assert entry.subject_id == subject_id
    assert entry.payload["consent_id"] == consent_id
    assert entry.payload["recipients"] == [seller.id]
    assert entry.payload["channel"] == "web"


def test_a_refusal_is_recorded_as_such(w: World) -> None:
    subject_id = w.subject()
    w.consent(subject_id, w.recipient(), granted=False)

    (state,) = consents.consent_states(w.gh, subject_id)
    assert not state.granted and state.granted_at is None
    assert [e.kind for e in w.db.entries()] == ["consent.refused"]


def test_only_the_required_language_carries_consent(w: World) -> None:
    subject_id = w.subject()
    english = notices.render_for_subject(
        w.gh,
        subject_id=subject_id,
        recipient_ids=[w.recipient().id],
        countries=[],
        purpose="fulfilment",
        flow="provision",
        locale="en",
    )
    before = w.db.committed()

    with pytest.raises(InvalidInput) as refused:
        consents.record_consent(w.gh, subject_id, english.hash, granted=True, channel="web")
    assert refused.value.code == "notice_language_not_binding"
    assert w.db.tables == before


def test_a_disclosure_is_not_a_consent_notice(w: World) -> None:
    subject_id = w.subject()
    storage = w.recipient(kind=RecipientKind.STORAGE)
    _, disclosure = notices.publish_disclosure(
        w.gh,
        pack_id="KR-PIPA",
        recipient_ids=[storage.id],
        purpose="fulfilment",
        flow="storage",
        locale="ko",
    )
    with pytest.raises(InvalidInput) as refused:
        consents.record_consent(w.gh, subject_id, disclosure.hash, granted=True, channel="web")
    assert refused.value.code == "not_a_consent_notice"


@pytest.mark.parametrize(
    ("notice_hash", "channel", "code"),
    [("0" * 64, "web", "notice_not_found"), (None, "carrier pigeon", "invalid_channel")],
)
def test_bad_answers_write_nothing(
    w: World, notice_hash: str | None, channel: str, code: str
) -> None:
    subject_id = w.subject()
    real = w.notice_of(w.consent(subject_id, w.recipient()))
    before = w.db.committed()

    with pytest.raises((NotFound, InvalidInput)) as refused:
        consents.record_consent(
            w.gh, subject_id, notice_hash or real, granted=True, channel=channel
        )
    assert getattr(refused.value, "code", None) == code
    assert w.db.tables == before


def test_unknown_and_erased_subjects_cannot_answer(w: World) -> None:
    subject_id = w.subject()
    notice_hash = w.notice_of(w.consent(subject_id, w.recipient()))
    with pytest.raises(NotFound):
        consents.record_consent(w.gh, "sub_nobody", notice_hash, granted=True, channel="web")
    w.erase(subject_id)
    with pytest.raises(KeyShredded):
        consents.record_consent(w.gh, subject_id, notice_hash, granted=True, channel="web")
    with pytest.raises(NotFound):
        consents.consent_states(w.gh, "sub_nobody")


def test_withdrawal_closes_the_views_it_carried_and_asks_for_erasure(w: World) -> None:
    subject_id = w.subject()
    seller, other = w.recipient(), w.recipient()
    consent_id = w.consent(subject_id, seller)
    carried = w.transfer(w.order(subject_id, seller), consent_notice=w.notice_of(consent_id))
    # A view on another basis is not the consent's to close.
    unrelated = w.transfer(w.order(subject_id, other), consent_notice=None)
    w.advance(days=1)

    record = consents.withdraw_consent(w.gh, subject_id, consent_id, channel="app")

    assert record.withdraws == consent_id and not record.granted and record.channel == "app"
    (state,) = consents.consent_states(w.gh, subject_id)
    assert not state.granted and state.withdrawn_at == w.clock()
    tables = w.db.tables
    assert tables.closed_views == {carried: (w.clock(), "consent_withdrawn")}
    assert unrelated not in tables.closed_views
    assert [number[0] for number in tables.released_numbers] == [carried]
    (erasure,) = tables.erasures.values()
    assert erasure.recipient_id == seller.id and erasure.transfer_ids == [carried]
    assert erasure.cause == "consent_withdrawn" and erasure.consent_id == consent_id
    (job,) = tables.webhooks.values()
    assert job["recipient_id"] == seller.id and job["data"]["erasure_id"] == erasure.id
    withdrawn, closed = w.db.entries("consent.withdrawn"), w.db.entries("view.closed")
    assert withdrawn[0].payload["erasure_ids"] == [erasure.id]
    assert closed[0].payload == {"transfer_id": carried, "reason": "consent_withdrawn"}


def test_withdrawal_is_one_transaction(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    consent_id = w.consent(subject_id, seller)
    w.transfer(w.order(subject_id, seller), consent_notice=w.notice_of(consent_id))
    before = w.db.committed()
    opened = w.db.opened

    w.db.fail("Webhooks.enqueue", RuntimeError("outbox down"))
    with pytest.raises(RuntimeError):
        consents.withdraw_consent(w.gh, subject_id, consent_id, channel="web")

    # Nothing of it happened: the consent is in force, the view open, nobody asked to erase.
    assert w.db.tables == before
    assert w.db.opened == opened + 1 and w.db.rollbacks >= 1


def test_a_consent_is_withdrawn_once_and_only_by_its_subject(w: World) -> None:
    alice, bob = w.subject(), w.subject()
    seller = w.recipient()
    alices = w.consent(alice, seller)
    w.consent(bob, seller)

    with pytest.raises(NotFound) as stolen:
        consents.withdraw_consent(w.gh, bob, alices, channel="web")
    assert stolen.value.code == "consent_not_found"
    consents.withdraw_consent(w.gh, alice, alices, channel="web")
    with pytest.raises(Conflict) as again:
        consents.withdraw_consent(w.gh, alice, alices, channel="web")
    assert again.value.code == "consent_not_granted"
    assert [s.granted for s in consents.consent_states(w.gh, bob)] == [True]


def test_reading_states_writes_nothing(w: World) -> None:
    subject_id = w.subject()
    w.consent(subject_id, w.recipient())
    commits = w.db.commits

    consents.consent_states(w.gh, subject_id)

    assert w.db.commits == commits and w.db.units[-1].read_only


def test_each_answer_records_the_privacy_policy_version_in_force(w: World) -> None:
    subject_id = w.subject()
    before_any = w.consent(subject_id, w.recipient())
    put_policy(w.db, 1, effective_at=w.clock())
    under_first = w.consent(subject_id, w.recipient())
    # Announced but not yet in force: answers still fall under version 1.
    put_policy(w.db, 2, effective_at=w.clock() + timedelta(days=7))
    still_first = w.consent(subject_id, w.recipient())
    w.advance(days=7)
    under_second = w.consent(subject_id, w.recipient())

    recorded = {r.id: r.policy_version for r in w.db.tables.consents}
    assert recorded == {before_any: None, under_first: 1, still_first: 1, under_second: 2}
    states = {s.consent_id: s.policy_version for s in consents.consent_states(w.gh, subject_id)}
    assert states == recorded


def test_a_withdrawal_records_the_version_in_force_when_it_is_made(w: World) -> None:
    subject_id = w.subject()
    put_policy(w.db, 1, effective_at=w.clock())
    consent_id = w.consent(subject_id, w.recipient())
    w.advance(hours=1)
    put_policy(w.db, 2, effective_at=w.clock())

    record = consents.withdraw_consent(w.gh, subject_id, consent_id, channel="web")

    assert record.policy_version == 2
    grant, withdrawal = w.db.tables.consents
    # The grant keeps the version it was given under; history is never rewritten.
    assert (grant.id, grant.policy_version) == (consent_id, 1)
    assert (withdrawal.id, withdrawal.policy_version) == (record.id, 2)
    (state,) = consents.consent_states(w.gh, subject_id)
    assert state.consent_id == consent_id and state.policy_version == 2


def test_the_version_is_read_in_the_answer_s_own_transaction(w: World) -> None:
    subject_id = w.subject()
    notice_hash = w.notice_of(w.consent(subject_id, w.recipient()))
    put_policy(w.db, 1, effective_at=w.clock())
    before, opened = w.db.committed(), w.db.opened

    w.db.fail("Policies.in_force", RuntimeError("policy store down"), times=1)
    with pytest.raises(RuntimeError):
        consents.record_consent(w.gh, subject_id, notice_hash, granted=True, channel="web")
    assert w.db.tables == before

    record = consents.record_consent(w.gh, subject_id, notice_hash, granted=True, channel="web")
    assert record.policy_version == 1 and w.db.opened == opened + 2
