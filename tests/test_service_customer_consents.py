"""The privacy center's consent list, on the in-memory unit of work (no database)."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import NotFound
from gatehouse.services import consents, customer_consents
from gatehouse.vault import KeyShredded
from tests.support.fake_world import World, new_world
from tests.support.policy_versions import put_policy


@pytest.fixture
def w() -> World:
    return new_world()


def test_each_consent_names_its_recipients_and_countries(w: World) -> None:
    subject_id = w.subject()
    seller, shipper = w.recipient(country="CN"), w.recipient(country="US")
    consent_id = w.consent(subject_id, seller, shipper)
    units = len(w.db.units)

    (mine,) = customer_consents.customer_consents(w.gh, subject_id)

    assert len(w.db.units) == units + 1 and w.db.units[-1].read_only
    assert mine.id == consent_id and mine.granted and mine.withdrawn_at is None
    assert mine.purpose == "fulfilment" and mine.purpose_label != "fulfilment"
    names = {(r.id, r.legal_name, r.country) for r in mine.recipients}
    assert names == {
        (seller.id, seller.legal_name, "CN"),
        (shipper.id, shipper.legal_name, "US"),
    }
    assert sorted(mine.countries) == ["CN", "US"]


def test_a_withdrawn_consent_shows_when(w: World) -> None:
    subject_id = w.subject()
    consent_id = w.consent(subject_id, w.recipient())
    w.advance(days=2)
    consents.withdraw_consent(w.gh, subject_id, consent_id, channel="web")

    (mine,) = customer_consents.customer_consents(w.gh, subject_id)

    assert not mine.granted and mine.withdrawn_at == w.clock()
    assert mine.granted_at is not None and mine.granted_at < mine.withdrawn_at


def test_the_pages_form_is_the_same_data_as_dicts(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    w.consent(subject_id, seller)

    (page,) = customer_consents.consents_of(w.gh, subject_id)

    assert page["recipients"] == [
        {"id": seller.id, "legal_name": seller.legal_name, "country": "CN"}
    ]
    assert page["countries"] == ["CN"] and page["granted"] is True


def test_each_consent_shows_the_policy_version_of_its_latest_answer(w: World) -> None:
    subject_id = w.subject()
    before_any = w.consent(subject_id, w.recipient())
    put_policy(w.db, 1, effective_at=w.clock())
    under_first = w.consent(subject_id, w.recipient())
    withdrawn = w.consent(subject_id, w.recipient())
    w.advance(hours=1)
    put_policy(w.db, 2, effective_at=w.clock())
    consents.withdraw_consent(w.gh, subject_id, withdrawn, channel="web")

    shown = {c.id: c.policy_version for c in customer_consents.customer_consents(w.gh, subject_id)}

    assert shown == {before_any: None, under_first: 1, withdrawn: 2}
    pages = {c["id"]: c["policy_version"] for c in customer_consents.consents_of(w.gh, subject_id)}
    assert pages == shown


def test_only_a_live_customer_has_a_consent_list(w: World) -> None:
    subject_id = w.subject()
    with pytest.raises(NotFound):
        customer_consents.customer_consents(w.gh, "sub_nobody")
    w.erase(subject_id)
    with pytest.raises(KeyShredded):
        customer_consents.customer_consents(w.gh, subject_id)
