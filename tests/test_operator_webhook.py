"""The marketplace hears of every account deletion through its own signed webhook.

The operator sets its endpoint over HTTP and gets the signing secret once; a deletion, by the
customer or by the operator, queues a ``subject.deleted`` event in the same transaction, and
the worker delivers it to a real local HTTP endpoint with the recipients' retry rules. The
event names the marketplace's own customer id and nothing else personal, and that id is kept
sealed only until delivery.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from gatehouse.services import outbox, worker
from gatehouse.services.key_rotation import rewrap_all
from gatehouse.services.operator_webhook import DELIVER
from gatehouse.store.outbox_tables import operator_events, operator_webhooks, outbox_jobs
from gatehouse.vault import Keyring, MasterKey
from tests.conftest import Fresh
from tests.support.factories import subject_body
from tests.support.gateway import allowed_transfer, consent, new_seller, publish_terms
from tests.support.server import api_client, operator_api
from tests.support.webhook_sink import WebhookSink, verify_standard_webhook


@dataclass
class World:
    fresh: Fresh
    api: httpx.Client
    url: str


@pytest.fixture
def world(fresh: Fresh) -> Iterator[World]:
    with operator_api(fresh.gatehouse) as (server, api):
        yield World(fresh, api, server.url)


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    endpoint = WebhookSink()
    yield endpoint
    endpoint.close()


def _operator_jobs(world: World) -> list[dict[str, object]]:
    with world.fresh.gatehouse.engine.connect() as connection:
        rows = connection.execute(select(outbox_jobs).where(outbox_jobs.c.kind == DELIVER)).all()
    return [dict(row._mapping) for row in rows]


def test_the_operator_sets_its_webhook_and_sees_the_secret_once(
    world: World, sink: WebhookSink
) -> None:
    api = world.api
    assert api.get("/v1/operator/webhook").json()["url"] is None
    for bad in ("ftp://marketplace.example/hook", "not a url", "", "/relative/hook"):
        refused = api.put("/v1/operator/webhook", json={"url": bad})
        assert refused.status_code == 422, bad
    assert api.put("/v1/operator/webhook", json={}).status_code == 422

    set_ = api.put("/v1/operator/webhook", json={"url": sink.url})
    assert set_.status_code == 200, set_.text
    secret = set_.json()["webhook_secret"]
    assert secret.startswith("whsec_") and set_.json()["url"] == sink.url
    shown = api.get("/v1/operator/webhook")
    assert shown.json()["url"] == sink.url and shown.json()["events"] == ["subject.deleted"]
    assert "webhook_secret" not in shown.json() and secret[6:] not in shown.text
    with world.fresh.gatehouse.engine.connect() as connection:
        (row,) = connection.execute(select(operator_webhooks)).all()
    assert secret[6:].encode() not in bytes(row.secret_wrapped)

    # Setting it again replaces the secret; recipients and strangers cannot touch it.
    again = api.put("/v1/operator/webhook", json={"url": sink.url})
    assert again.json()["webhook_secret"] != secret
    with api_client(world.url) as anonymous:
        assert anonymous.get("/v1/operator/webhook").status_code == 401
    seller = new_seller(api, world.url, "CN", publish_terms(api))
    denied = seller.client.put("/v1/operator/webhook", json={"url": sink.url})
    assert denied.status_code == 403
    seller.client.close()


def test_a_deletion_reaches_the_marketplace_signed_with_only_its_customer_id(
    world: World, sink: WebhookSink
) -> None:
    api, fresh = world.api, world.fresh
    # Without a webhook there is no one to tell, and nothing is queued or kept for it.
    quiet = api.post("/v1/subjects", json=subject_body()).json()["id"]
    assert api.delete(f"/v1/subjects/{quiet}").json()["receipt"]["marketplace_notified"] is False
    assert _operator_jobs(world) == []

    secret = api.put("/v1/operator/webhook", json={"url": sink.url}).json()["webhook_secret"]
    body = subject_body(name="박지훈", customs_code="P202611280777")
    subject_id = api.post("/v1/subjects", json=body).json()["id"]
    seller = new_seller(api, world.url, "CN", publish_terms(api))
    consent(api, subject_id, seller)
    allowed_transfer(api, subject_id, seller)
    seller.client.close()
    token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
    with api_client(world.url, token) as me:
        deleted = me.delete("/v1/me")
    assert deleted.status_code == 202, deleted.text
    receipt = deleted.json()["receipt"]
    assert receipt["marketplace_notified"] is True

    # Queued in the deletion's transaction; the job holds an id only, the data is sealed.
    (job,) = _operator_jobs(world)
    assert body["external_ref"] not in json.dumps(job["payload"])
    with fresh.gatehouse.engine.connect() as connection:
        (event,) = connection.execute(select(operator_events)).all()
    assert event.deletion_id == receipt["deletion_id"]
    assert body["external_ref"].encode() not in bytes(event.ciphertext)

    # One worker pass delivers it, signed with the secret the operator was shown.
    worker.run_once(fresh.gatehouse, "test-worker", limit=100)
    (received,) = sink.received
    assert received.status == 204 and verify_standard_webhook(secret, received)
    headers = {k.lower(): v for k, v in received.headers.items()}
    assert headers["webhook-id"] == event.id
    delivered = json.loads(received.body)
    assert delivered["type"] == "subject.deleted"
    assert delivered["data"] == {
        "external_ref": body["external_ref"],
        "deletion_id": receipt["deletion_id"],
        "deleted_at": receipt["deleted_at"],
        "requested_by": "customer",
    }
    text = received.body.decode()
    for value in (body["name"], body["email"], body["phone"], "P202611280777", subject_id):
        assert value not in text
    for line in (body["address"]["postal_code"], body["address"]["line1"]):
        assert line not in text

    # Once delivered, nothing links the deletion to the customer id any more.
    with fresh.gatehouse.engine.connect() as connection:
        (event,) = connection.execute(select(operator_events)).all()
    assert event.ciphertext is None and event.wrapped_key is None and event.delivered_at
    assert worker.run_once(fresh.gatehouse, "test-worker").total == 0


def test_a_failing_marketplace_endpoint_is_retried_like_a_recipients(world: World) -> None:
    api, fresh = world.api, world.fresh
    flaky = WebhookSink(fail_first=2)
    try:
        secret = api.put("/v1/operator/webhook", json={"url": flaky.url}).json()["webhook_secret"]
        body = subject_body()
        subject_id = api.post("/v1/subjects", json=body).json()["id"]
        deleted = api.delete(f"/v1/subjects/{subject_id}")
        assert deleted.status_code == 202
        # The master key is rotated while the event waits: it is re-wrapped like every secret.
        new_key = MasterKey.generate()
        rewrap_all(fresh.gatehouse, Keyring([new_key, fresh.master_key]))
        fresh.gatehouse.keyring = Keyring([new_key])
        worker.load_handlers()
        outbox.run_once(fresh.gatehouse, "test-worker", limit=100)
        for _ in range(4):
            fresh.clock.advance(hours=7)
            worker.run_once(fresh.gatehouse, "test-worker", limit=100)
        assert [r.status for r in flaky.received] == [500, 500, 204]
        ids = {
            value
            for received in flaky.received
            for name, value in received.headers.items()
            if name.lower() == "webhook-id"
        }
        assert len(ids) == 1
        assert all(verify_standard_webhook(secret, r) for r in flaky.received)
        last = json.loads(flaky.received[-1].body)
        assert last["data"]["external_ref"] == body["external_ref"]
        assert last["data"]["requested_by"] == "operator"
        (job,) = _operator_jobs(world)
        assert (job["status"], job["attempts"]) == ("done", 3)
    finally:
        flaky.close()
