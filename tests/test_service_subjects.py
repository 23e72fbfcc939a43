"""The subject registry, on the in-memory unit of work (no database)."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.domain.subjects import validate_subject_pii
from gatehouse.services import subjects
from gatehouse.services.ports import DuplicateKey
from tests.support.factories import korean_mobile, unique
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def new_subject(ref: str | None = None, email: str | None = None) -> subjects.NewSubject:
    n = unique()
    pii = validate_subject_pii(
        external_ref=ref or f"cus_{n}",
        name="홍길동",
        email=email or f"gildong{n}@example.kr",
        phone=korean_mobile(n),
        postal_code="06236",
        line1="서울특별시 강남구 테헤란로 152",
        line2=None,
        customs_code=None,
    )
    return subjects.NewSubject(pii, "KR", "ko-KR")


def test_personal_data_is_only_ever_stored_sealed(w: World) -> None:
    subject = subjects.create_subject(w.gh, new_subject(email="Gil.Dong@Example.kr"))

    assert subject.rule_pack == "KR-PIPA" and not subject.deleted
    sealed = w.db.tables.ciphertexts[(subject.id, subjects.SUBJECT_SCOPE)]
    assert "name" in sealed and "홍길동".encode() not in b"".join(sealed.values())
    assert subjects.find_subjects(w.gh, kind="email", normalised_value="gil.dong@example.kr") == [
        subject.id
    ]


def test_an_external_ref_belongs_to_one_subject(w: World) -> None:
    subjects.create_subject(w.gh, new_subject(ref="cus_1"))
    before = w.db.committed()
    with pytest.raises(Conflict):
        subjects.create_subject(w.gh, new_subject(ref="cus_1"))
    with pytest.raises(Conflict):
        subjects.create_subjects(w.gh, [new_subject(ref="cus_2"), new_subject(ref="cus_2")])
    # Stored concurrently between the check and the insert.
    w.db.fail("Subjects.add_many", DuplicateKey("uq_external_ref"), times=1)
    with pytest.raises(Conflict):
        subjects.create_subject(w.gh, new_subject(ref="cus_3"))
    assert w.db.tables == before


def test_a_batch_is_stored_whole_or_not_at_all(w: World) -> None:
    batch = subjects.create_subjects(w.gh, [new_subject(), new_subject()])
    assert set(w.db.tables.subjects) == {s.id for s in batch}


def test_reads_are_masked_unless_a_reason_is_recorded(w: World) -> None:
    subject_id = subjects.create_subject(w.gh, new_subject()).id

    masked = subjects.read_subject(w.gh, subject_id, api_key_id="key_op", reason=None)
    assert masked.masked and masked.pii is not None and masked.pii["name"] != "홍길동"
    assert w.db.tables.pii_reads == []
    with pytest.raises(InvalidInput):
        subjects.read_subject(w.gh, subject_id, api_key_id="key_op", reason="why")
    full = subjects.read_subject(
        w.gh, subject_id, api_key_id="key_op", reason="  customer asked by phone  "
    )
    assert not full.masked and full.pii is not None and full.pii["name"] == "홍길동"
    ((whose, read),) = w.db.tables.pii_reads
    assert whose == subject_id and read.reason == "customer asked by phone"
    with pytest.raises(NotFound):
        subjects.read_subject(w.gh, "sub_nobody", api_key_id="key_op", reason=None)


def test_an_erased_subject_reads_as_a_tombstone(w: World) -> None:
    subject_id = w.subject()
    w.erase(subject_id)

    view = subjects.read_subject(w.gh, subject_id, api_key_id="key_op", reason=None)

    assert view.subject.deleted and view.pii is None
