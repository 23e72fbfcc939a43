"""Deleting a customer: shredded, views closed, the law's records kept apart, every recipient
told through a signed webhook (one endpoint failing three times), and erasure acknowledged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import event, func, select

from gatehouse.domain.errors import Unauthorized
from gatehouse.rules import load_packs
from gatehouse.services import outbox
from gatehouse.services.access import issue_operator_key
from gatehouse.services.customer import delete_account
from gatehouse.services.customer_sessions import authenticate_customer
from gatehouse.services.erasures import escalate_overdue
from gatehouse.services.retention import destroy_expired, read_record
from gatehouse.services.sql_unit_of_work import SqlWebhooks
from gatehouse.services.subjects import decrypt_pii
from gatehouse.services.worker import load_handlers
from gatehouse.store.customer_sessions import CustomerSessionRepository
from gatehouse.store.erasure_tables import deletions, erasure_requests, retention_records
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.outbox_tables import outbox_jobs
from gatehouse.store.retention_records import RetentionRecordRepository
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import pii_fields, views
from gatehouse.vault import KeyShredded
from tests.conftest import Fresh, LiveServer
from tests.support.factories import TERMS_CLAUSES, recipient_body, subject_body
from tests.support.gateway import allowed_transfer, consent, new_seller, publish_terms
from tests.support.server import api_client
from tests.support.webhook_sink import WebhookSink, verify_standard_webhook

PACK = load_packs().by_id("KR-PIPA")


@pytest.fixture
def world(fresh: Fresh) -> Iterator[tuple[Fresh, httpx.Client, LiveServer]]:
    with LiveServer(fresh.gatehouse) as server:
        key = issue_operator_key(fresh.gatehouse, fresh.clock(), label="tests")
        with api_client(server.url, key) as api:
            yield fresh, api, server


def _drain(fresh: Fresh, rounds: int = 12) -> None:
    """Run the worker until nothing is due, moving the clock past each retry's backoff."""
    load_handlers()
    for _ in range(rounds):
        outbox.run_once(fresh.gatehouse, "test-worker", limit=100)
        fresh.clock.advance(hours=7)


def test_deletion_reaches_every_recipient(world: tuple[Fresh, httpx.Client, LiveServer]) -> None:
    fresh, api, server = world
    gh = fresh.gatehouse
    assert (
        api.post("/v1/terms", json={"version": "v1", "clauses": TERMS_CLAUSES}).status_code == 201
    )
    sinks = {
        "ok": WebhookSink(),
        "flaky": WebhookSink(fail_first=3),
        "also": WebhookSink(),
        "never": WebhookSink(),
    }
    sellers: dict[str, dict[str, str]] = {}
    clients: dict[str, httpx.Client] = {}
    for name, sink in sinks.items():
        created = api.post("/v1/recipients", json=recipient_body(webhook_url=sink.url)).json()
        sellers[name] = created
        clients[name] = api_client(server.url, created["api_key"])
        assert clients[name].post("/v1/recipient/terms/v1/accept").status_code == 200
    body = subject_body(name="이서연", customs_code="P202611280001")
    subject_id = api.post("/v1/subjects", json=body).json()["id"]
    notice = api.get(
        "/v1/notices/render",
        params={
            "subject_id": subject_id,
            "purpose": "fulfilment",
            "recipient_id": [sellers[n]["id"] for n in ("ok", "flaky", "also")],
        },
    ).json()
    api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": notice["notice_hash"], "granted": True, "channel": "web"},
    )

    def order(seller: str, ref: str) -> str:
        response = api.post(
            "/v1/orders",
            json={
                "subject_id": subject_id,
                "recipient_id": sellers[seller]["id"],
                "external_ref": ref,
                "items": [{"sku": "TEA-9", "name": "녹차 세트", "quantity": 1}],
                "delivery_note": "경비실 010-5555-1234",
                "customs_required": True,
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    transfers = {}
    for seller, ref in (("ok", "A-1"), ("ok", "A-2"), ("flaky", "B-1"), ("also", "C-1")):
        oid = order(seller, ref)
        result = api.post(
            f"/v1/orders/{oid}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
        )
        assert result.status_code == 201, result.text
        transfers[ref] = (seller, oid, result.json()["transfer_id"])
    api.post(f"/v1/orders/{transfers['A-1'][1]}/events", json={"type": "delivered"})
    never_order = order("never", "D-1")  # never transferred: D must not be told anything
    pending_order = order("ok", "A-3")

    deleted = api.delete(f"/v1/subjects/{subject_id}")
    assert deleted.status_code == 202, deleted.text
    receipt = deleted.json()["receipt"]
    notified = {n["recipient_id"] for n in receipt["erasure_notices"]}
    assert notified == {sellers[n]["id"] for n in ("ok", "flaky", "also")}
    assert receipt["views_closed"] == 4

    # Every view answers 410; new transfers are refused; no endpoint returns the PII.
    for seller, _, transfer_id in transfers.values():
        closed = clients[seller].get(f"/v1/recipient/transfers/{transfer_id}")
        assert closed.status_code == 410
        assert closed.json()["error"]["details"]["reason"] == "subject_deleted"
    refused = api.post(
        f"/v1/orders/{pending_order}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "subject_deleted"
    shown = api.get(f"/v1/subjects/{subject_id}", params={"reason": "post-deletion check"}).json()
    assert shown["deleted"] is True and shown["pii"] is None
    assert api.get("/v1/subjects", params={"email": body["email"]}).json()["items"] == []
    assert (
        api.get(
            "/v1/notices/render",
            params={
                "subject_id": subject_id,
                "recipient_id": sellers["ok"]["id"],
                "purpose": "fulfilment",
            },
        ).status_code
        == 410
    )
    assert api.delete(f"/v1/subjects/{subject_id}").status_code == 410
    with gh.engine.connect() as connection:
        with pytest.raises(KeyShredded):
            decrypt_pii(gh, connection, subject_id)
        assert (
            connection.execute(
                select(pii_fields).where(pii_fields.c.subject_id == subject_id)
            ).all()
            == []
        )

    # The retention store holds only each hold's fields, sealed, until the statutory date.
    with gh.engine.connect() as connection:
        records = RetentionRecordRepository(connection).for_deletion(receipt["deletion_id"])
    assert {r.hold for r in records} == {"contracts", "payments"}
    # Six contracts, and one record of supply for the one delivered order.
    assert sorted(r.hold for r in records) == ["contracts"] * 6 + ["payments"]
    for record in records:
        allowed = set(PACK.retention_holds[record.hold].fields)
        data = read_record(gh, record)
        assert set(data) <= allowed and set(record.fields) == set(data)
        assert body["email"] not in json.dumps(data, ensure_ascii=False)
        assert "P202611280001" not in json.dumps(data) and "5555" not in json.dumps(data)
        assert body["name"] not in record.ciphertext.decode("latin-1")
        assert (record.kept_until - record.created_at).days >= 5 * 365 - 10

    # The worker delivers: one accepted, signed notice per recipient; the flaky one on retry.
    _drain(fresh)
    for name, sink in sinks.items():
        secret = sellers[name]["webhook_secret"]
        if name == "never":
            assert sink.received == []
            continue
        assert len(sink.accepted) == 1, name
        assert all(verify_standard_webhook(secret, r) for r in sink.received)
        assert not verify_standard_webhook(sellers["never"]["webhook_secret"], sink.accepted[0])
        ids = {
            r.headers["webhook-id"] if "webhook-id" in r.headers else r.headers["Webhook-Id"]
            for r in sink.received
        }
        assert len(ids) == 1
        event = json.loads(sink.accepted[0].body)
        assert event["type"] == "subject.erasure_requested"
        assert body["name"] not in sink.accepted[0].body.decode()
    assert len(sinks["flaky"].received) == 4
    assert [r.status for r in sinks["flaky"].received] == [500, 500, 500, 204]

    # Recipients acknowledge; the operator sees how many confirmed.
    erasures = clients["ok"].get("/v1/recipient/erasures").json()["items"]
    assert len(erasures) == 1 and set(erasures[0]["order_refs"]) == {"A-1", "A-2"}
    assert (
        clients["flaky"].post(f"/v1/recipient/erasures/{erasures[0]['id']}/ack").status_code == 404
    )
    ack = clients["ok"].post(
        f"/v1/recipient/erasures/{erasures[0]['id']}/ack",
        json={"attestation": "Deleted from WMS and label printer."},
    )
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    assert clients["ok"].post(f"/v1/recipient/erasures/{erasures[0]['id']}/ack").status_code == 409
    progress = api.get(f"/v1/deletions/{receipt['deletion_id']}").json()
    assert (progress["recipients"], progress["acknowledged"]) == (3, 1)

    for sink in sinks.values():
        sink.close()
    for client in clients.values():
        client.close()
    assert never_order


def test_unacknowledged_erasure_escalates_at_its_deadline(
    world: tuple[Fresh, httpx.Client, LiveServer],
) -> None:
    fresh, api, server = world
    gh = fresh.gatehouse
    api.post("/v1/terms", json={"version": "v1", "clauses": TERMS_CLAUSES})
    created = api.post("/v1/recipients", json=recipient_body()).json()
    seller = api_client(server.url, created["api_key"])
    seller.post("/v1/recipient/terms/v1/accept")
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    notice = api.get(
        "/v1/notices/render",
        params={"subject_id": subject_id, "recipient_id": created["id"], "purpose": "fulfilment"},
    ).json()
    api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": notice["notice_hash"], "granted": True, "channel": "web"},
    )
    oid = api.post(
        "/v1/orders",
        json={
            "subject_id": subject_id,
            "recipient_id": created["id"],
            "external_ref": "E-1",
            "items": [{"sku": "S", "name": "N", "quantity": 1}],
            "customs_required": False,
        },
    ).json()["id"]
    assert (
        api.post(
            f"/v1/orders/{oid}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
        ).status_code
        == 201
    )
    api.delete(f"/v1/subjects/{subject_id}")

    fresh.clock.advance(days=10)
    fresh.clock.advance(seconds=-1)
    assert escalate_overdue(gh) == 0
    assert api.get(f"/v1/recipients/{created['id']}").json()["eligible"] is True
    fresh.clock.advance(seconds=1)
    assert escalate_overdue(gh) == 1
    assert escalate_overdue(gh) == 0  # once
    overdue = api.get("/v1/erasures", params={"status": "overdue"}).json()["items"]
    assert [e["recipient_id"] for e in overdue] == [created["id"]] and overdue[0]["escalated_at"]
    standing = api.get(f"/v1/recipients/{created['id']}").json()
    assert standing["eligible"] is False and "erasures_overdue" in standing["missing"]
    ack = seller.post(f"/v1/recipient/erasures/{overdue[0]['id']}/ack")
    assert ack.status_code == 200
    assert api.get(f"/v1/recipients/{created['id']}").json()["eligible"] is True
    kinds = [
        e["kind"]
        for e in api.get(
            "/v1/ledger/entries", params={"recipient_id": created["id"], "limit": 200}
        ).json()["items"]
    ]
    assert "erasure.escalated" in kinds and "erasure.acknowledged" in kinds
    seller.close()


def test_retention_records_are_destroyed_after_their_date(
    world: tuple[Fresh, httpx.Client, LiveServer],
) -> None:
    fresh, api, _ = world
    gh = fresh.gatehouse
    api.post("/v1/terms", json={"version": "v1", "clauses": TERMS_CLAUSES})
    created = api.post("/v1/recipients", json=recipient_body()).json()
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    api.post(
        "/v1/orders",
        json={
            "subject_id": subject_id,
            "recipient_id": created["id"],
            "external_ref": "R-1",
            "items": [{"sku": "S", "name": "N", "quantity": 1}],
            "customs_required": False,
        },
    )
    receipt = api.delete(f"/v1/subjects/{subject_id}").json()["receipt"]
    assert {r["hold"] for r in receipt["retained"]} == {
        "contracts"
    }  # never delivered: no supply record
    fresh.clock.advance(days=5 * 365)
    assert destroy_expired(gh) == 0
    fresh.clock.advance(days=10)
    assert destroy_expired(gh) == 1
    with gh.engine.connect() as connection:
        (record,) = RetentionRecordRepository(connection).for_deletion(receipt["deletion_id"])
    assert (
        record.destroyed_at is not None and record.ciphertext is None and record.wrapped_key is None
    )
    kinds = [
        e["kind"]
        for e in api.get("/v1/ledger/entries", params={"kind": "retention.destroyed"}).json()[
            "items"
        ]
    ]
    assert kinds == ["retention.destroyed"]
    assert timedelta(0) < fresh.clock() - record.kept_until


def test_complaints_are_kept_three_years_with_only_their_fields(
    world: tuple[Fresh, httpx.Client, LiveServer],
) -> None:
    fresh, api, server = world
    gh = fresh.gatehouse
    body = subject_body()
    subject_id = api.post("/v1/subjects", json=body).json()["id"]
    token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
    with api_client(server.url, token) as me:
        filed = me.post(
            "/v1/me/requests", json={"type": "complaint", "message": "배송이 너무 늦어요"}
        )
        assert filed.status_code == 201, filed.text
    receipt = api.delete(f"/v1/subjects/{subject_id}").json()["receipt"]
    (kept,) = [r for r in receipt["retained"] if r["hold"] == "complaints"]
    assert set(kept["fields"]) <= set(PACK.retention_holds["complaints"].fields)
    with gh.engine.connect() as connection:
        (record,) = [
            r
            for r in RetentionRecordRepository(connection).for_deletion(receipt["deletion_id"])
            if r.hold == "complaints"
        ]
    data = read_record(gh, record)
    assert data["message"] == "배송이 너무 늦어요" and data["email"] == body["email"]
    assert "phone" not in data and "customs_code" not in data
    assert 3 * 365 - 5 <= (record.kept_until - record.created_at).days <= 3 * 365 + 5


def _fail(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("down")


@pytest.mark.parametrize(
    "where",
    [(CustomerSessionRepository, "revoke_subject"), (SqlWebhooks, "enqueue_many")],
    ids=["revoking sessions", "a webhook"],
)
def test_a_failed_account_deletion_leaves_nothing_half_done(
    world: tuple[Fresh, httpx.Client, LiveServer],
    monkeypatch: pytest.MonkeyPatch,
    where: tuple[type, str],
) -> None:
    fresh, api, server = world
    gh = fresh.gatehouse
    seller = new_seller(api, server.url, "CN", publish_terms(api))
    seller.client.close()
    subject_id = str(api.post("/v1/subjects", json=subject_body()).json()["id"])
    consent(api, subject_id, seller)
    _order, transfer_id = allowed_transfer(api, subject_id, seller)
    token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]

    def counts() -> dict[str, int]:
        with gh.engine.connect() as connection:
            return {
                table.name: int(
                    connection.execute(select(func.count()).select_from(table)).scalar_one()
                )
                for table in (deletions, erasure_requests, retention_records, outbox_jobs)
            }

    before = counts()
    monkeypatch.setattr(*where, _fail)
    with pytest.raises(RuntimeError):
        delete_account(gh, subject_id)

    # Nothing of it happened: the subject, its key, its view, its session and the ledger.
    assert counts() == before
    with gh.engine.connect() as connection:
        subjects = SubjectRepository(connection)
        subject = subjects.get(subject_id)
        assert subject is not None and not subject.deleted
        assert subjects.wrapped_key(subject_id) is not None
        assert decrypt_pii(gh, connection, subject_id).name
        view = connection.execute(select(views).where(views.c.transfer_id == transfer_id)).one()
        assert view.closed_at is None
        ledger = LedgerRepository(connection)
        assert ledger.find(kind="subject.deleted", subject_id=subject_id) == []
        assert ledger.find(kind="view.closed", subject_id=subject_id) == []
    assert authenticate_customer(gh, token).subject_id == subject_id

    # Once the failure is gone, the same deletion goes through, whole.
    monkeypatch.undo()
    receipt = delete_account(gh, subject_id)
    assert receipt.views_closed == 1 and len(receipt.erasure_notices) == 1
    with pytest.raises(Unauthorized):
        authenticate_customer(gh, token)
    with gh.engine.connect() as connection:
        assert SubjectRepository(connection).wrapped_key(subject_id) is None


def test_orders_at_many_sellers_take_the_same_statements_as_one(
    world: tuple[Fresh, httpx.Client, LiveServer],
) -> None:
    """Twelve orders at four sellers: the sealed orders are read with one query, and the four
    erasure requests and their webhooks go in with one insert each."""
    fresh, api, server = world
    gh = fresh.gatehouse
    terms = publish_terms(api)
    sellers = [new_seller(api, server.url, "CN", terms) for _ in range(4)]
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    for seller in sellers:
        consent(api, subject_id, seller)
    for number in range(12):
        allowed_transfer(api, subject_id, sellers[number % 4])
    for seller in sellers:
        seller.client.close()
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(" ".join(str(args[2]).split()).upper())

    event.listen(gh.engine, "before_cursor_execute", record)
    try:
        receipt = delete_account(gh, subject_id)
    finally:
        event.remove(gh.engine, "before_cursor_execute", record)
    assert len(receipt.erasure_notices) == 4 and len(receipt.retained) >= 12
    sealed_reads = [s for s in seen if s.startswith("SELECT PII_FIELDS.SCOPE")]
    assert len(sealed_reads) == 1
    assert len([s for s in seen if s.startswith("INSERT INTO ERASURE_REQUESTS ")]) == 1
    assert len([s for s in seen if s.startswith("INSERT INTO OUTBOX_JOBS ")]) == 1
    # However many orders and sellers: the whole deletion stays a fixed number of statements.
    assert len(seen) <= 40
    with gh.engine.connect() as c:
        asked = c.execute(
            select(erasure_requests.c.recipient_id, erasure_requests.c.transfer_ids).where(
                erasure_requests.c.deletion_id == receipt.deletion_id
            )
        ).all()
        queued = c.execute(select(outbox_jobs.c.payload)).scalars().all()
    assert sorted(r.recipient_id for r in asked) == sorted(s.id for s in sellers)
    assert all(len(r.transfer_ids) == 3 for r in asked)
    webhooks = {
        p["webhook_id"]: p for p in queued if p.get("event_type") == "subject.erasure_requested"
    }
    assert set(webhooks) == {n.erasure_id for n in receipt.erasure_notices}
    for notice in receipt.erasure_notices:
        data = webhooks[notice.erasure_id]["data"]
        assert webhooks[notice.erasure_id]["recipient_id"] == notice.recipient_id
        assert data["acknowledge"] == f"/v1/recipient/erasures/{notice.erasure_id}/ack"


def test_closing_many_views_takes_the_same_statements_as_one(
    world: tuple[Fresh, httpx.Client, LiveServer],
) -> None:
    """A customer with ten open views is erased with one closing, one release of numbers, one
    move of the ledger shard's head, one insert of the ledger's entries and one of retained
    records."""
    fresh, api, server = world
    gh = fresh.gatehouse
    seller = new_seller(api, server.url, "CN", publish_terms(api))
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    consent(api, subject_id, seller)
    for _ in range(10):
        allowed_transfer(api, subject_id, seller)
    seller.client.close()
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(" ".join(str(args[2]).split()).upper())

    event.listen(gh.engine, "before_cursor_execute", record)
    try:
        receipt = delete_account(gh, subject_id)
    finally:
        event.remove(gh.engine, "before_cursor_execute", record)
    assert receipt.views_closed == 10
    assert len([s for s in seen if s.startswith("UPDATE VIEWS ")]) == 1
    assert len([s for s in seen if s.startswith("UPDATE SAFE_NUMBERS ")]) == 1
    assert len([s for s in seen if s.startswith("UPDATE VIEW_WINDOWS ")]) == 1
    # The shard's row: locked once (an UPDATE of its time) and its head saved once.
    assert len([s for s in seen if s.startswith("UPDATE LEDGER_SHARDS ")]) == 2
    # Eleven entries or more (a view closed each, and the deletion), given at once.
    assert len([s for s in seen if s.startswith("INSERT INTO LEDGER_ENTRIES ")]) == 1
    # Every order's records for the law's holds, sealed apart, go in with one statement.
    assert len(receipt.retained) >= 10
    assert len([s for s in seen if s.startswith("INSERT INTO RETENTION_RECORDS ")]) == 1
    with gh.engine.connect() as c:
        open_views = select(func.count()).where(
            views.c.subject_id == subject_id, views.c.closed_at.is_(None)
        )
        still_open = c.execute(open_views).scalar_one()
    assert still_open == 0
