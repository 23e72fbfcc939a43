"""Rendering notices and publishing disclosures, on the in-memory unit of work (no database)."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.domain.notices import Notice
from gatehouse.domain.recipients import RecipientKind, RecipientStatus
from gatehouse.services import notices
from gatehouse.vault import KeyShredded
from tests.support.fake_world import World, new_world
from tests.support.policy_versions import put_policy


@pytest.fixture
def w() -> World:
    return new_world()


def render(w: World, subject_id: str, **scope: list[str]) -> Notice:
    return notices.render_for_subject(
        w.gh,
        subject_id=subject_id,
        recipient_ids=scope.get("recipients", []),
        countries=scope.get("countries", []),
        purpose="fulfilment",
        flow="provision",
        locale=None,
    )


def test_a_notice_is_stored_once_by_its_content(w: World) -> None:
    alice, bob = w.subject(), w.subject()
    seller = w.recipient()

    first = render(w, alice, recipients=[seller.id])
    again = render(w, bob, recipients=[seller.id])

    assert first.hash == again.hash and list(w.db.tables.notices) == [first.hash]
    stored = notices.get_notice(w.gh, first.hash)
    assert stored.kind == "consent" and stored.locale == "ko" and stored.text == first.text
    assert dict(stored.recipients).keys() == {seller.id}
    with pytest.raises(NotFound):
        notices.get_notice(w.gh, "0" * 64)


def test_a_country_scope_names_each_recipient_that_can_serve(w: World) -> None:
    subject_id = w.subject()
    able = w.recipient(country="CN")
    w.recipient(country="CN", purposes=("customer_service",))
    w.recipient(country="CN", status=RecipientStatus.SUSPENDED)
    w.recipient(country="US")

    notice = render(w, subject_id, countries=["CN"])

    assert [entry.recipient_id for entry in notice.recipients] == [able.id]


def test_a_scope_must_name_someone_real_and_not_too_many(w: World) -> None:
    subject_id = w.subject()
    with pytest.raises(NotFound):
        render(w, subject_id, recipients=["rcp_nobody"])
    with pytest.raises(InvalidInput) as empty:
        render(w, subject_id, countries=["JP"])
    assert empty.value.code == "empty_scope"
    for _ in range(notices.MAX_NOTICE_RECIPIENTS + 1):
        w.recipient(country="VN")
    with pytest.raises(InvalidInput) as crowded:
        render(w, subject_id, countries=["VN"])
    assert crowded.value.code == "scope_too_large"
    assert w.db.tables.notices == {}


def test_no_notice_for_an_erased_customer(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    w.erase(subject_id)
    with pytest.raises(KeyShredded):
        render(w, subject_id, recipients=[seller.id])


def test_a_disclosure_is_published_with_its_notice(w: World) -> None:
    storage = w.recipient(kind=RecipientKind.STORAGE, country="US")

    disclosure_id, notice = notices.publish_disclosure(
        w.gh,
        pack_id="KR-PIPA",
        recipient_ids=[storage.id],
        purpose="fulfilment",
        flow="storage",
        locale="ko",
    )

    published = w.db.tables.disclosures[disclosure_id]
    assert published["notice_hash"] == notice.hash and published["recipients"].keys() == {
        storage.id
    }
    assert w.db.tables.notices[notice.hash].kind == "disclosure"


def test_the_policy_in_force_is_linked_beside_the_notice_not_in_it(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    scope = notices.NoticeScope(subject_id, [seller.id], [], "fulfilment", "provision", None)

    before = notices.render_with_policy(w.gh, scope)
    put_policy(w.db, 1, effective_at=w.clock())
    opened = w.db.opened
    after = notices.render_with_policy(w.gh, scope)

    assert (before.policy_version, after.policy_version) == (None, 1)
    # One transaction renders, stores and reads the version.
    assert w.db.opened == opened + 1
    # The same notice, stored once: a policy version changes neither its body nor its hash.
    plain = render(w, subject_id, recipients=[seller.id])
    assert before.notice == after.notice == plain
    assert list(w.db.tables.notices) == [plain.hash]
    assert w.db.tables.notices[plain.hash].body == plain.body()
