"""Rights requests and complaints on the in-memory unit of work (no database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.domain.requests import DeadlineState, RequestStatus
from gatehouse.services import rights_requests as requests
from gatehouse.services.request_records import request_scope
from gatehouse.vault import KeyShredded
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def test_a_complaint_about_my_transfer_is_due_in_ten_days_and_sealed(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    transfer_id = w.transfer(w.order(subject_id, seller), consent_notice=None)

    record = requests.submit_request(
        w.gh,
        subject_id,
        request_type="complaint",
        message="왜 제 주소가 필요했나요?",
        transfer_id=transfer_id,
    )

    request = record.request
    assert request.deadline.due_at == w.clock() + timedelta(days=10)
    assert request.deadline.alert_at == w.clock() + timedelta(days=7)
    assert request.status is RequestStatus.PENDING and record.message.startswith("왜")
    # The words are sealed under the subject's key, and only that.
    sealed = w.db.tables.ciphertexts[(subject_id, request_scope(request.id))]
    assert set(sealed) == {"message"} and "왜".encode() not in sealed["message"]
    (entry,) = w.db.entries("request.created")
    assert entry.payload["transfer_id"] == transfer_id and "message" not in entry.payload
    assert all("왜" not in str(e.payload) for e in w.db.entries())


def test_identifiers_typed_into_a_message_are_replaced_before_it_is_stored(w: World) -> None:
    subject_id = w.subject()
    message = (
        "배송이 안 와요ㅠㅠ 주문번호 20261129-0001234, 연락은 010-2345-6789로 주시고 "
        "환불은 농협 302-1234-5678-91로 해주세요"
    )

    record = requests.submit_request(w.gh, subject_id, request_type="complaint", message=message)

    for gone in ("2345-6789", "302-1234-5678-91"):
        assert gone not in record.message
    assert "[전화번호]" in record.message and "[계좌번호]" in record.message
    # What the request is about stays readable, the order number with it.
    assert record.message.startswith("배송이 안 와요ㅠㅠ 주문번호 20261129-0001234")
    (stored,) = requests.requests_of_subject(w.gh, subject_id)
    assert stored.message == record.message


def test_someone_elses_transfer_is_not_found_and_nothing_is_filed(w: World) -> None:
    alice, bob = w.subject(), w.subject()
    bobs = w.transfer(w.order(bob, w.recipient()), consent_notice=None)
    before = w.db.committed()

    with pytest.raises(NotFound) as refused:
        requests.submit_request(
            w.gh, alice, request_type="complaint", message="이건 뭐죠", transfer_id=bobs
        )
    assert refused.value.code == "transfer_not_found"
    assert w.db.tables == before


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"request_type": "refund"}, "invalid_request_type"),
        ({"message": "   "}, "message_required"),
        ({"channel": "fax"}, "invalid_channel"),
    ],
)
def test_requests_are_validated(w: World, fields: dict[str, str], code: str) -> None:
    subject_id = w.subject()
    given = {"request_type": "access", "message": "보여주세요", **fields}
    with pytest.raises(InvalidInput) as refused:
        requests.submit_request(w.gh, subject_id, **given)
    assert refused.value.code == code
    assert w.db.tables.requests == {}


def test_an_erased_or_unknown_subject_files_nothing(w: World) -> None:
    subject_id = w.subject()
    w.erase(subject_id)
    with pytest.raises(KeyShredded):
        requests.submit_request(w.gh, subject_id, request_type="access", message="보여주세요")
    with pytest.raises(NotFound):
        requests.submit_request(w.gh, "sub_nobody", request_type="access", message="보여주세요")


def test_my_requests_newest_first_and_only_mine(w: World) -> None:
    alice, bob = w.subject(), w.subject()
    first = requests.submit_request(w.gh, alice, request_type="access", message="하나")
    w.advance(minutes=1)
    second = requests.submit_request(w.gh, alice, request_type="deletion", message="둘")
    bobs = requests.submit_request(w.gh, bob, request_type="access", message="셋")

    mine = requests.requests_of_subject(w.gh, alice)

    assert [r.request.id for r in mine] == [second.request.id, first.request.id]
    assert [r.message for r in mine] == ["둘", "하나"]
    with pytest.raises(NotFound):
        requests.get_request(w.gh, bobs.request.id, subject_id=alice)
    assert requests.get_request(w.gh, first.request.id, subject_id=alice).message == "하나"
    # The customer reading their own words is no operator read.
    assert w.db.tables.pii_reads == []


def test_the_operator_reading_a_request_is_recorded(w: World) -> None:
    subject_id = w.subject()
    filed = requests.submit_request(w.gh, subject_id, request_type="access", message="보여주세요")

    read = requests.get_request(w.gh, filed.request.id, api_key_id="key_op")

    assert read.message == "보여주세요"
    ((whose, access),) = w.db.tables.pii_reads
    assert whose == subject_id and access.api_key_id == "key_op"
    assert access.reason == f"rights request {filed.request.id}" and access.fields == ["message"]


def test_a_refusal_needs_reasons_and_is_answered_once(w: World) -> None:
    subject_id = w.subject()
    filed = requests.submit_request(w.gh, subject_id, request_type="deletion", message="지워")
    before = w.db.committed()

    with pytest.raises(InvalidInput) as incomplete:
        requests.resolve_request(w.gh, filed.request.id, outcome="refused", message="안 됩니다")
    assert incomplete.value.code == "refusal_incomplete"
    assert w.db.tables == before

    w.advance(days=11)
    answered = requests.resolve_request(
        w.gh,
        filed.request.id,
        outcome="refused",
        message="법에 따라 보관합니다",
        refusal_reason="전자상거래법 제6조",
        appeal_route="개인정보 분쟁조정위원회 1833-6972",
    )

    resolution = answered.request.resolution
    assert resolution is not None and resolution.message == "법에 따라 보관합니다"
    assert answered.message == "지워"
    (entry,) = w.db.entries("request.resolved")
    assert entry.payload["outcome"] == "refused"
    assert entry.payload["deadline_state"] == DeadlineState.OVERDUE.value
    with pytest.raises(Conflict) as again:
        requests.resolve_request(w.gh, filed.request.id, outcome="completed", message=None)
    assert again.value.code == "request_resolved"
    (mine,) = requests.requests_of_subject(w.gh, subject_id)
    assert mine.request.resolution == resolution


def test_an_answer_that_fails_to_ledger_leaves_the_request_pending(w: World) -> None:
    subject_id = w.subject()
    filed = requests.submit_request(w.gh, subject_id, request_type="access", message="보여줘")
    before = w.db.committed()
    w.db.fail("Ledger.append", RuntimeError("disk full"))

    with pytest.raises(RuntimeError):
        requests.resolve_request(w.gh, filed.request.id, outcome="completed", message="여기요")

    assert w.db.tables == before
    (mine,) = requests.requests_of_subject(w.gh, subject_id)
    assert mine.request.status is RequestStatus.PENDING


def test_an_erased_customers_request_is_answered_without_keeping_the_answer(w: World) -> None:
    subject_id = w.subject()
    filed = requests.submit_request(w.gh, subject_id, request_type="access", message="보여줘")
    w.erase(subject_id)

    answered = requests.resolve_request(
        w.gh, filed.request.id, outcome="completed", message="삭제되었습니다"
    )

    assert answered.erased and answered.message is None
    assert answered.request.resolution is not None
    assert answered.request.resolution.message is None
    assert (subject_id, request_scope(filed.request.id)) not in w.db.tables.ciphertexts


def test_the_queue_is_in_due_order_filters_and_pages(w: World) -> None:
    alice, bob = w.subject(), w.subject()
    filed = []
    for n in range(5):
        filed.append(
            requests.submit_request(
                w.gh, alice if n % 2 else bob, request_type="access", message=f"{n}"
            )
        )
        w.advance(hours=1)
    requests.resolve_request(w.gh, filed[0].request.id, outcome="completed", message=None)

    page, cursor = requests.list_requests(w.gh, limit=2)
    assert [r.id for r in page] == [f.request.id for f in filed[:2]]
    rest, end = requests.list_requests(w.gh, after=cursor, limit=10)
    assert [r.id for r in rest] == [f.request.id for f in filed[2:]] and end is None
    pending, _ = requests.list_requests(w.gh, status="pending")
    assert filed[0].request.id not in {r.id for r in pending} and len(pending) == 4
    alices, _ = requests.list_requests(w.gh, subject_id=alice)
    assert {r.subject_id for r in alices} == {alice}
    soon, _ = requests.list_requests(w.gh, due_before=filed[2].request.deadline.due_at)
    assert [r.id for r in soon] == [f.request.id for f in filed[:2]]
    with pytest.raises(InvalidInput):
        requests.list_requests(w.gh, status="lost")
    with pytest.raises(InvalidInput):
        requests.list_requests(w.gh, after="not-a-cursor")


def test_remedies_come_in_the_subjects_language(w: World) -> None:
    subject_id = w.subject()
    remedies = requests.remedies_for(w.gh, subject_id)
    assert remedies and all(r["phone"] for r in remedies)
    with pytest.raises(NotFound):
        requests.remedies_for(w.gh, "sub_nobody")
