"""Signed webhooks to a real local endpoint: signatures, retries, dead jobs, secret rotation.

The recipient's endpoint is a real HTTP server in a thread that records what it receives;
signatures are checked by a verifier written here from the Standard Webhooks spec, with the
standard library's HMAC rather than the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gatehouse.services import outbox, webhooks, worker
from gatehouse.services.access import issue_operator_key
from gatehouse.services.outbox import JobStatus
from gatehouse.services.recipients import RecipientInput, Registered, register_recipient
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.webhooks import enqueue_webhook
from tests.conftest import Fresh, LiveServer
from tests.support.factories import unique
from tests.support.server import api_client
from tests.support.webhook_sink import parse_secret

# -- a recipient's endpoint ---------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One request as the endpoint saw it."""

    path: str
    headers: dict[str, str]
    body: bytes


class Endpoint:
    """A real HTTP server answering POSTs with scripted statuses, recording every request."""

    def __init__(self, statuses: list[int] | None = None, default: int = 204, delay: float = 0.0):
        self.statuses = deque(statuses or [])
        self.default = default
        self.delay = delay
        self.received: list[Received] = []
        self._lock = threading.Lock()
        endpoint = self

        class Handle(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                # Recorded on arrival, before answering: a sender that dies while waiting
                # for the answer has still delivered.
                with endpoint._lock:
                    endpoint.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = endpoint.statuses.popleft() if endpoint.statuses else endpoint.default
                if endpoint.delay:
                    threading.Event().wait(endpoint.delay)  # a slow recipient
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("location", "http://127.0.0.1:9/elsewhere")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/gatehouse"

    def __enter__(self) -> Endpoint:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    with Endpoint() as server:
        yield server


# -- a verifier written from the spec -----------------------------------------------------


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, now: int, tolerance: int = 300
) -> bool:
    """Standard Webhooks verification: any v1 signature over ``id.timestamp.body`` matches."""
    try:
        msg_id = headers["webhook-id"]
        timestamp = headers["webhook-timestamp"]
        signatures = headers["webhook-signature"]
    except KeyError:
        return False
    if abs(now - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


# -- helpers ------------------------------------------------------------------------------


def _recipient(gh: Gatehouse, url: str | None) -> Registered:
    return register_recipient(
        gh, RecipientInput(kind="seller", legal_name=f"Seller {unique()}", webhook_url=url)
    )


def _send(gh: Gatehouse, recipient_id: str, webhook_id: str | None = None, **data: Any) -> str:
    with gh.engine.begin() as connection:
        return enqueue_webhook(
            connection,
            recipient_id=recipient_id,
            event_type="subject.erasure_requested",
            webhook_id=webhook_id or f"era_{unique()}",
            data=data or {"erasure_id": "era_1", "order_refs": ["ORD-1"]},
            at=gh.clock(),
        )


def _run(gh: Gatehouse) -> outbox.RunReport:
    return worker.run_once(gh, "test-worker")


def _now(fresh: Fresh) -> int:
    return int(fresh.clock().timestamp())


@pytest.fixture
def gh(fresh: Fresh) -> Gatehouse:
    return fresh.gatehouse


# -- signing ------------------------------------------------------------------------------


def test_signing_reproduces_the_specification_test_vector() -> None:
    secret = parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    body = b'{"test": 2432232314}'
    signature = webhooks.sign([secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_delivery_is_signed_and_verifies_only_with_the_right_secret(
    fresh: Fresh, gh: Gatehouse, endpoint: Endpoint
) -> None:
    seller = _recipient(gh, endpoint.url)
    rid = seller.standing.recipient.id
    job_id = _send(gh, rid, "era_sig1", erasure_id="era_sig1", order_refs=["ORD-7"])
    assert _run(gh).done >= 1
    assert outbox.get_job(gh, job_id).status is JobStatus.DONE

    [request] = endpoint.received
    assert request.path == "/hooks/gatehouse"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "era_sig1"
    assert request.headers["webhook-timestamp"] == str(_now(fresh))
    event = json.loads(request.body)
    assert event == {
        "type": "subject.erasure_requested",
        "timestamp": "2026-11-28T09:00:00Z",
        "data": {"erasure_id": "era_sig1", "order_refs": ["ORD-7"]},
    }
    assert verify(seller.webhook_secret, request.headers, request.body, _now(fresh))

    other = webhooks.format_secret(b"\x01" * 32)
    assert not verify(other, request.headers, request.body, _now(fresh))
    tampered = request.body.replace(b"ORD-7", b"ORD-8")
    assert not verify(seller.webhook_secret, request.headers, tampered, _now(fresh))
    assert not verify(seller.webhook_secret, request.headers, request.body, _now(fresh) + 3600)


def test_failing_endpoint_is_retried_with_growing_backoff_and_the_same_id(
    fresh: Fresh, gh: Gatehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The jitter's random fraction is fixed at its maximum so the growth is visible.
    monkeypatch.setattr(outbox, "_jitter", lambda: 1.0)
    with Endpoint(statuses=[500, 502, 503], default=200) as flaky:
        seller = _recipient(gh, flaky.url)
        job_id = _send(gh, seller.standing.recipient.id, "era_flaky")
        delays = []
        for attempt in (1, 2, 3):
            failed_at = fresh.clock()
            assert _run(gh).retried == 1
            job = outbox.get_job(gh, job_id)
            assert job.status is JobStatus.PENDING and job.attempts == attempt
            assert job.last_error in {"HTTP 500", "HTTP 502", "HTTP 503"}
            delays.append(job.run_at - failed_at)
            assert _run(gh).total == 0  # not due yet
            fresh.clock.now = job.run_at + timedelta(seconds=1)
        assert _run(gh).done == 1
        received = list(flaky.received)

    assert delays == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    job = outbox.get_job(gh, job_id)
    assert job.status is JobStatus.DONE and job.attempts == 4 and job.last_error is None
    assert len(received) == 4
    assert {r.headers["webhook-id"] for r in received} == {"era_flaky"}
    assert len({r.body for r in received}) == 1, "every attempt must send the same body"
    assert len({r.headers["webhook-timestamp"] for r in received}) == 4
    for request in received:
        stamp = int(request.headers["webhook-timestamp"])
        assert verify(seller.webhook_secret, request.headers, request.body, stamp)


def test_dead_after_max_attempts_is_listed_and_retryable_over_http(
    fresh: Fresh, gh: Gatehouse
) -> None:
    with Endpoint(default=503) as down, LiveServer(gh) as server:
        seller = _recipient(gh, down.url)
        rid = seller.standing.recipient.id
        job_id = _send(gh, rid, "era_down")
        for _ in range(outbox.DEFAULT_MAX_ATTEMPTS):
            _run(gh)
            fresh.clock.advance(hours=7)  # past the longest backoff
        assert len(down.received) == outbox.DEFAULT_MAX_ATTEMPTS
        assert outbox.get_job(gh, job_id).status is JobStatus.DEAD

        operator = issue_operator_key(gh, gh.clock(), label="tests")
        with api_client(server.url, operator) as api:
            listed = api.get("/v1/outbox/jobs", params={"status": "dead"})
            assert listed.status_code == 200, listed.text
            [item] = [i for i in listed.json()["items"] if i["id"] == job_id]
            assert item["kind"] == "webhook.deliver" and item["status"] == "dead"
            assert item["attempts"] == outbox.DEFAULT_MAX_ATTEMPTS
            assert item["last_error"] == "HTTP 503"
            assert item["refs"] == {"recipient_id": rid, "webhook_id": "era_down"}
            assert "data" not in item and "payload" not in item
            assert api.get("/v1/outbox/counts").json()["dead"] == 1
            one = api.get(f"/v1/outbox/jobs/{job_id}")
            assert one.status_code == 200 and one.json() == item
            unknown = api.get("/v1/outbox/jobs/job_nope")
            assert unknown.status_code == 404
            assert unknown.json()["error"]["code"] == "job_not_found"
            assert api.get("/v1/outbox/jobs/" + "j" * 65).status_code == 422

            retried = api.post(f"/v1/outbox/jobs/{job_id}/retry")
            assert retried.status_code == 200, retried.text
            assert retried.json()["status"] == "pending" and retried.json()["attempts"] == 0
            again = api.post(f"/v1/outbox/jobs/{job_id}/retry")
            assert again.status_code == 409
            assert again.json()["error"]["code"] == "job_not_dead"
            missing = api.post("/v1/outbox/jobs/job_nope/retry")
            assert missing.status_code == 404
            assert api.get("/v1/outbox/jobs", params={"status": "lost"}).status_code == 422

            down.default = 200
            assert _run(gh).done >= 1
            assert outbox.get_job(gh, job_id).status is JobStatus.DONE
            assert api.get("/v1/outbox/counts").json()["dead"] == 0

            seller_key = {"Authorization": f"Bearer {seller.api_key}"}
            assert api.get("/v1/outbox/counts", headers=seller_key).status_code == 403


def test_a_recipient_without_webhook_url_makes_the_job_dead_at_once(gh: Gatehouse) -> None:
    seller = _recipient(gh, None)
    job_id = _send(gh, seller.standing.recipient.id)
    assert _run(gh).dead == 1
    job = outbox.get_job(gh, job_id)
    assert job.status is JobStatus.DEAD and job.attempts == 1
    assert job.last_error == "the recipient has no webhook_url"


def test_410_gone_is_final_and_other_failures_retry(gh: Gatehouse) -> None:
    with Endpoint(statuses=[410, 301]) as gone:
        seller = _recipient(gh, gone.url)
        rid = seller.standing.recipient.id
        stopped = _send(gh, rid)
        assert _run(gh).dead == 1
        assert outbox.get_job(gh, stopped).last_error is not None
        assert "410" in str(outbox.get_job(gh, stopped).last_error)
        moved = _send(gh, rid)
        assert _run(gh).retried == 1
        assert outbox.get_job(gh, moved).last_error == "HTTP 301 (redirects are not followed)"
        assert len(gone.received) == 2  # the redirect was not followed anywhere

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    unreachable = _recipient(gh, f"http://127.0.0.1:{port}/hook")
    job_id = _send(gh, unreachable.standing.recipient.id)
    assert _run(gh).retried >= 1
    assert outbox.get_job(gh, job_id).last_error == "the request failed (ConnectError)"


def test_enqueue_webhook_dedupes_and_checks_its_input(gh: Gatehouse) -> None:
    seller = _recipient(gh, None)
    rid = seller.standing.recipient.id
    assert _send(gh, rid, "era_same") == _send(gh, rid, "era_same")
    for bad_id in ("", "has space", "dots.are.ambiguous", "x" * 101):
        with pytest.raises(ValueError), gh.engine.begin() as connection:
            enqueue_webhook(
                connection,
                recipient_id=rid,
                event_type="subject.erasure_requested",
                webhook_id=bad_id,
                data={},
                at=gh.clock(),
            )


# -- secret rotation ----------------------------------------------------------------------


def test_rotation_signs_with_both_secrets_for_24_hours_then_only_the_new(
    fresh: Fresh, gh: Gatehouse, endpoint: Endpoint
) -> None:
    seller = _recipient(gh, endpoint.url)
    rid = seller.standing.recipient.id
    old = seller.webhook_secret
    new = webhooks.rotate_webhook_secret(gh, rid)
    assert new.startswith("whsec_") and new != old
    assert len(parse_secret(new)) == 32
    assert webhooks.webhook_settings(gh, rid).previous_secret_active

    _send(gh, rid)
    _run(gh)
    during = endpoint.received[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert verify(old, during.headers, during.body, _now(fresh))
    assert verify(new, during.headers, during.body, _now(fresh))

    fresh.clock.advance(hours=23, minutes=59)
    _send(gh, rid)
    _run(gh)
    assert verify(old, endpoint.received[-1].headers, endpoint.received[-1].body, _now(fresh))

    fresh.clock.advance(minutes=2)
    assert not webhooks.webhook_settings(gh, rid).previous_secret_active
    _send(gh, rid)
    _run(gh)
    after = endpoint.received[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert not verify(old, after.headers, after.body, _now(fresh))
    assert verify(new, after.headers, after.body, _now(fresh))

    # The expired secret is deleted by its periodic job, not merely ignored.
    webhooks.prune_previous_secrets(gh)
    assert webhooks.webhook_settings(gh, rid).previous_secret_expires_at is None


def test_rotating_twice_keeps_only_the_latest_previous_secret(
    fresh: Fresh, gh: Gatehouse, endpoint: Endpoint
) -> None:
    seller = _recipient(gh, endpoint.url)
    rid = seller.standing.recipient.id
    second = webhooks.rotate_webhook_secret(gh, rid)
    third = webhooks.rotate_webhook_secret(gh, rid)
    _send(gh, rid)
    _run(gh)
    request = endpoint.received[-1]
    assert verify(third, request.headers, request.body, _now(fresh))
    assert verify(second, request.headers, request.body, _now(fresh))
    assert not verify(seller.webhook_secret, request.headers, request.body, _now(fresh))


# -- the recipient's endpoints ------------------------------------------------------------


def test_recipient_webhook_endpoints_are_scoped_to_the_caller(
    fresh: Fresh, gh: Gatehouse, endpoint: Endpoint
) -> None:
    alpha = _recipient(gh, "https://alpha.example.cn/hooks")
    beta = _recipient(gh, "https://beta.example.cn/hooks")
    with LiveServer(gh) as server, api_client(server.url) as client:

        def as_(who: Registered) -> dict[str, str]:
            return {"Authorization": f"Bearer {who.api_key}"}

        shown = client.get("/v1/recipient/webhook", headers=as_(alpha))
        assert shown.status_code == 200, shown.text
        assert shown.json() == {
            "url": "https://alpha.example.cn/hooks",
            "previous_secret_active": False,
            "previous_secret_expires_at": None,
        }
        moved = client.put("/v1/recipient/webhook", json={"url": endpoint.url}, headers=as_(alpha))
        assert moved.status_code == 200 and moved.json()["url"] == endpoint.url
        assert client.get("/v1/recipient/webhook", headers=as_(beta)).json()["url"] == (
            "https://beta.example.cn/hooks"
        )

        for bad in ("ftp://alpha.example.cn/x", "/relative", "https://", 42):
            refused = client.put("/v1/recipient/webhook", json={"url": bad}, headers=as_(alpha))
            assert refused.status_code == 422, bad
        extra = client.put(
            "/v1/recipient/webhook",
            json={"url": endpoint.url, "recipient_id": beta.standing.recipient.id},
            headers=as_(alpha),
        )
        assert extra.status_code == 422
        assert client.get("/v1/recipient/webhook", headers=as_(beta)).json()["url"] == (
            "https://beta.example.cn/hooks"
        )

        rotated = client.post("/v1/recipient/webhook/rotate", headers=as_(alpha))
        assert rotated.status_code == 200, rotated.text
        secret = rotated.json()["webhook_secret"]
        assert secret.startswith("whsec_")
        assert rotated.json()["previous_secret_expires_at"] is not None
        assert client.get("/v1/recipient/webhook", headers=as_(alpha)).json()[
            "previous_secret_active"
        ]
        assert not client.get("/v1/recipient/webhook", headers=as_(beta)).json()[
            "previous_secret_active"
        ]

        # The new secret signs alpha's deliveries; beta's secret is untouched.
        _send(gh, alpha.standing.recipient.id)
        _run(gh)
        request = endpoint.received[-1]
        assert verify(secret, request.headers, request.body, _now(fresh))
        assert not verify(beta.webhook_secret, request.headers, request.body, _now(fresh))

        cleared = client.put("/v1/recipient/webhook", json={"url": None}, headers=as_(alpha))
        assert cleared.status_code == 200 and cleared.json()["url"] is None

        assert client.get("/v1/recipient/webhook").status_code == 401
        operator = issue_operator_key(gh, gh.clock(), label="tests")
        as_operator = {"Authorization": f"Bearer {operator}"}
        assert client.get("/v1/recipient/webhook", headers=as_operator).status_code == 403
        assert client.post("/v1/recipient/webhook/rotate", headers=as_operator).status_code == 403
