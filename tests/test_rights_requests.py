"""Rights requests and complaints over HTTP: filed by the customer, on the pack's clock,
answered once by the operator, refusals with reasons, appeal route and remedies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.customer_tables import rights_requests
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import pii_fields
from tests.conftest import Clock, Fresh, LiveServer
from tests.support.gateway import consent
from tests.support.server import api_client, operator_api
from tests.test_customer_api import (
    Customer,
    allowed_transfer,
    error_code,
    new_customer,
    new_link,
    new_seller,
    publish_terms,
)

REMEDY_PHONES = ["118", "1833-6972", "1301", "182"]
REFUSAL = {
    "outcome": "refused",
    "message": "요청하신 주문 기록은 삭제할 수 없습니다.",
    "refusal_reason": "전자상거래법 제6조에 따라 계약 기록을 5년간 보존해야 합니다.",
    "appeal_route": "통지를 받은 날부터 7일 이내에 privacy@market.example.kr 로 이의를 신청하세요.",
}


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _queue(api: httpx.Client, **params: object) -> list[dict[str, object]]:
    response = api.get("/v1/requests", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _file(person: Customer, **body: object) -> dict[str, object]:
    response = person.client.post("/v1/me/requests", json={"type": "access", **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def person(api: httpx.Client, live_server: LiveServer) -> Iterator[Customer]:
    customer = new_customer(api, live_server.url)
    yield customer
    customer.client.close()


def test_a_complaint_about_my_transfer_is_due_in_ten_days_and_ledgered_without_its_text(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer, clock: Clock
) -> None:
    seller = new_seller(api, live_server.url, "CN", publish_terms(api))
    person = new_customer(api, live_server.url)
    consent(api, person.subject_id, seller)
    transfer_id = allowed_transfer(api, person.subject_id, seller)
    words = "판매자가 제 전화번호로 광고 문자를 보냈습니다. 010-2222-3333"
    filed = _file(person, type="complaint", message=words, transfer_id=transfer_id)
    assert _at(str(filed["due_at"])) == clock() + timedelta(days=10)
    assert (filed["type"], filed["status"], filed["transfer_id"]) == (
        "complaint",
        "pending",
        transfer_id,
    )

    mine = person.client.get("/v1/me/requests").json()["items"]
    # The phone number typed into the message was replaced before the message was stored.
    stored = "판매자가 제 전화번호로 광고 문자를 보냈습니다. [전화번호]"
    assert [(r["id"], r["message"], r["deadline_state"]) for r in mine] == [
        (filed["id"], stored, "on_time")
    ]
    entries = api.get(
        "/v1/ledger/entries", params={"subject_id": person.subject_id, "kind": "request.created"}
    ).json()["items"]
    (entry,) = entries
    assert entry["payload"]["request_id"] == filed["id"]
    assert entry["payload"]["type"] == "complaint"
    assert entry["payload"]["due_at"].startswith(str(filed["due_at"])[:19])
    assert "2222" not in json.dumps(entry, ensure_ascii=False) and "광고" not in json.dumps(
        entry, ensure_ascii=False
    )
    # The words are sealed under the subject's key, nowhere in plain text.
    with gatehouse.engine.connect() as connection:
        row = connection.execute(
            select(rights_requests).where(rights_requests.c.id == filed["id"])
        ).one()
        sealed = connection.execute(
            select(pii_fields).where(pii_fields.c.scope == f"request:{filed['id']}")
        ).all()
    assert "광고" not in str(tuple(row))
    assert [s.field for s in sealed] == ["message"] and words.encode() not in sealed[0].ciphertext
    seller.client.close()
    person.client.close()


def test_requests_are_validated(person: Customer) -> None:
    assert _file(person, message="가" * 4000)["type"] == "access"
    for body, code in (
        ({"type": "access", "message": "가" * 4001}, "validation_error"),
        ({"type": "access", "message": "   "}, "message_required"),
        ({"type": "access", "message": ""}, "validation_error"),
        ({"type": "erasure", "message": "지워 주세요"}, "validation_error"),
        ({"type": "access"}, "validation_error"),
        ({"type": "complaint", "message": "?", "transfer_id": "trf_nope"}, "transfer_not_found"),
    ):
        response = person.client.post("/v1/me/requests", json=body)
        assert response.status_code in (404, 422), response.text
        assert error_code(response) == code, body


def test_the_deadline_runs_due_soon_from_day_seven_and_overdue_after_day_ten(
    api: httpx.Client, live_server: LiveServer, clock: Clock, person: Customer
) -> None:
    filed = _file(person, type="deletion", message="계정 정보를 지워 주세요")

    def state() -> object:
        (item,) = _queue(api, subject_id=person.subject_id)
        assert item["id"] == filed["id"] and item["type"] == "deletion"
        return item["deadline_state"]

    assert state() == "on_time"
    clock.advance(days=7, seconds=-1)
    assert state() == "on_time"
    clock.advance(seconds=1)
    assert state() == "due_soon"
    clock.advance(days=3)  # exactly day 10: due now, not late yet
    assert state() == "due_soon"
    clock.advance(seconds=1)
    assert state() == "overdue"
    # The customer sees the same clock, through a new link (the first one expired long ago).
    token = new_link(api, person.subject_id)["token"]
    with api_client(live_server.url, token) as again:
        assert again.get("/v1/me/requests").json()["items"][0]["deadline_state"] == "overdue"
    # Answered late, it stays on record as answered late.
    done = api.post(f"/v1/requests/{filed['id']}/resolve", json={"outcome": "completed"})
    assert done.status_code == 200, done.text
    assert done.json()["deadline_state"] == "overdue" and done.json()["status"] == "resolved"


def test_a_refusal_needs_reasons_and_appeal_route_and_carries_the_remedies(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer, person: Customer
) -> None:
    refused = _file(person, type="deletion", message="주문 기록도 지워 주세요")
    granted = _file(person, type="access", message="제 정보를 보여 주세요")
    url = f"/v1/requests/{refused['id']}/resolve"
    for missing in (["refusal_reason", "appeal_route"], ["appeal_route"], ["refusal_reason"]):
        body = {k: v for k, v in REFUSAL.items() if k not in missing}
        response = api.post(url, json=body)
        assert response.status_code == 422, response.text
        assert error_code(response) == "refusal_incomplete"
        assert response.json()["error"]["details"] == {"missing": missing}
    partial = api.post(
        f"/v1/requests/{granted['id']}/resolve", json={"outcome": "partially_completed"}
    )
    assert partial.status_code == 422 and error_code(partial) == "refusal_incomplete"

    answer = api.post(url, json=REFUSAL)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["outcome"]) == ("resolved", "refused")
    assert body["refusal_reason"] == REFUSAL["refusal_reason"]
    assert body["appeal_route"] == REFUSAL["appeal_route"]
    assert [r["phone"] for r in body["remedies"]] == REMEDY_PHONES
    assert body["remedies"][0]["url"] == "https://privacy.kisa.or.kr"
    twice = api.post(url, json={"outcome": "completed"})
    assert twice.status_code == 409 and error_code(twice) == "request_resolved"

    done = api.post(
        f"/v1/requests/{granted['id']}/resolve",
        json={"outcome": "completed", "message": "내보내기 파일로 보내드렸습니다."},
    )
    assert done.status_code == 200 and done.json()["remedies"] is None

    mine = {r["id"]: r for r in person.client.get("/v1/me/requests").json()["items"]}
    seen = mine[refused["id"]]
    assert seen["outcome"] == "refused" and seen["response"] == REFUSAL["message"]
    assert [r["phone"] for r in seen["remedies"]] == REMEDY_PHONES
    assert seen["remedies"][1]["name"] == "개인정보분쟁조정위원회"  # in the customer's language
    assert seen["appeal_route"] == REFUSAL["appeal_route"]
    assert mine[granted["id"]]["remedies"] is None
    assert mine[granted["id"]]["response"] == "내보내기 파일로 보내드렸습니다."

    kinds = [
        (e["kind"], e["payload"].get("outcome"))
        for e in api.get(
            "/v1/ledger/entries", params={"subject_id": person.subject_id, "limit": 100}
        ).json()["items"]
        if e["kind"].startswith("request.")
    ]
    assert sorted(kinds, key=str) == sorted(
        [
            ("request.created", None),
            ("request.created", None),
            ("request.resolved", "refused"),
            ("request.resolved", "completed"),
        ],
        key=str,
    )

    # Reading the customer's words is an unmasked read, and recorded like one.
    detail = api.get(f"/v1/requests/{refused['id']}")
    assert detail.status_code == 200 and detail.json()["message"] == "주문 기록도 지워 주세요"
    with gatehouse.engine.connect() as connection:
        reads = SubjectRepository(connection).pii_reads(person.subject_id)
    assert [r.reason for r in reads] == [f"rights request {refused['id']}"]
    for bad in (
        api.post("/v1/requests/req_nope/resolve", json={"outcome": "completed"}),
        api.get("/v1/requests/req_nope"),
    ):
        assert bad.status_code == 404 and error_code(bad) == "request_not_found"
    assert api.post(url, json={"outcome": "ignored"}).status_code == 422


def test_a_deleted_customers_request_can_still_be_answered(
    api: httpx.Client, person: Customer
) -> None:
    filed = _file(person, type="suspension", message="처리를 멈춰 주세요")
    assert person.client.delete("/v1/me").status_code == 202
    assert api.get(f"/v1/requests/{filed['id']}").json()["message"] is None
    answer = api.post(
        f"/v1/requests/{filed['id']}/resolve",
        json={"outcome": "completed", "message": "계정 삭제로 처리가 정지되었습니다."},
    )
    assert answer.status_code == 200, answer.text
    # No one is left to read it, so the answer's text is not kept.
    assert answer.json()["response"] is None and answer.json()["status"] == "resolved"


# -- the operator's queue, counted on a database of its own --------------------------------


@pytest.fixture
def world(fresh: Fresh) -> Iterator[tuple[Fresh, httpx.Client, LiveServer]]:
    with operator_api(fresh.gatehouse) as (server, api):
        yield fresh, api, server


def test_the_queue_is_in_due_order_and_filters_and_pages(
    world: tuple[Fresh, httpx.Client, LiveServer],
) -> None:
    fresh, api, server = world
    first = new_customer(api, server.url)
    second = new_customer(api, server.url)
    ids = []
    for person, kind in ((second, "access"), (first, "complaint"), (second, "correction")):
        ids.append(_file(person, type=kind, message="요청")["id"])
        fresh.clock.advance(minutes=2)  # inside the links' 15 minutes
    assert _queue(api) == _queue(api, status="pending")
    assert [r["id"] for r in _queue(api)] == ids
    assert [r["id"] for r in _queue(api, subject_id=second.subject_id)] == [ids[0], ids[2]]
    due = _queue(api)[1]["due_at"]
    assert [r["id"] for r in _queue(api, due_before=due)] == [ids[0]]

    api.post(f"/v1/requests/{ids[1]}/resolve", json={"outcome": "completed"})
    assert [r["id"] for r in _queue(api, status="pending")] == [ids[0], ids[2]]
    assert [r["id"] for r in _queue(api, status="resolved")] == [ids[1]]

    seen, cursor = [], None
    while True:
        params: dict[str, object] = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = api.get("/v1/requests", params=params).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    for params in ({"cursor": "nonsense"}, {"status": "lost"}, {"limit": 0}):
        assert api.get("/v1/requests", params=params).status_code == 422, params
    first.client.close()
    second.client.close()
