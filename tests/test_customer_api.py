"""The customer side over HTTP: sign-in links and sessions, isolation, who has my data (with
proofs), withdrawal, export and deleting the account, on each database."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from gatehouse.domain.errors import Unauthorized
from gatehouse.ledger import Checkpoint, LedgerEntry, verify_inclusion_proof
from gatehouse.services.customer import transfers_of
from gatehouse.services.customer_sessions import SESSION_COOKIE, open_link
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.customer_tables import customer_sessions
from gatehouse.store.tables import metadata
from tests.conftest import Clock, LiveServer
from tests.support import gateway
from tests.support.gateway import Seller, consent
from tests.support.server import api_client

ME_ROUTES = [
    ("GET", "/v1/me"),
    ("GET", "/v1/me/transfers"),
    ("GET", "/v1/me/consents"),
    ("GET", "/v1/me/requests"),
    ("GET", "/v1/me/export"),
]


# These helpers draw their unique values from uuid4 rather than tests.support.factories.unique(),
# so that adding these tests leaves the sequence other modules' bodies are built from unchanged.


def _n() -> int:
    return uuid.uuid4().int


def customer_body(**overrides: Any) -> dict[str, Any]:
    n = _n()
    body: dict[str, Any] = {
        "external_ref": f"me_{n % 10**16}",
        "name": "홍길동",
        "email": f"me{n % 10**12}@example.kr",
        # 010-2000-xxxx to 010-5899-xxxx: every one is a valid mobile number.
        "phone": f"010-{2000 + n % 3900:04d}-{n // 3900 % 10000:04d}",
        "address": {
            "postal_code": "06236",
            "line1": "서울특별시 강남구 테헤란로 152",
            "line2": "12층",
        },
        "customs_code": f"P{n % 10**12:012d}",
        "residence_country": "KR",
        "locale": "ko-KR",
    }
    body.update(overrides)
    return body


def publish_terms(api: httpx.Client) -> str:
    return gateway.publish_terms(api, f"me{_n() % 10**12}")


def new_seller(
    api: httpx.Client,
    base_url: str,
    country: str,
    terms: str,
    legal_name: str = "Shenzhen Bright Trade Co., Ltd.",
) -> Seller:
    n = _n() % 10**12
    created = api.post(
        "/v1/recipients",
        json={
            "kind": "seller",
            "legal_name": f"{legal_name} {n}",
            "country": country,
            "contact_phone": "+86 138 0013 8000",
            "contact_email": f"ops{n}@bright-trade.example.cn",
            "privacy_officer": {"name": "Li Wei", "email": f"privacy{n}@bright-trade.example.cn"},
            "purposes": ["fulfilment"],
            "retention_days": 90,
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    client = api_client(base_url, body["api_key"])
    assert client.post(f"/v1/recipient/terms/{terms}/accept").status_code == 200
    return Seller(body["id"], body["api_key"], client)


def new_order(api: httpx.Client, subject_id: str, seller: Seller) -> str:
    return gateway.new_order(api, subject_id, seller, ref=f"ME-{_n() % 10**12}")


def allowed_transfer(api: httpx.Client, subject_id: str, seller: Seller) -> str:
    """An order with an allowed fulfilment transfer; returns the transfer id."""
    return gateway.allowed_transfer(api, subject_id, seller, ref=f"ME-{_n() % 10**12}")[1]


@dataclass
class Customer:
    """A subject with a sign-in link, and an HTTP client that speaks as them."""

    subject_id: str
    body: dict[str, Any]
    token: str
    client: httpx.Client


def new_customer(api: httpx.Client, base_url: str, **overrides: Any) -> Customer:
    body = customer_body(**overrides)
    created = api.post("/v1/subjects", json=body)
    assert created.status_code == 201, created.text
    subject_id = created.json()["id"]
    token = new_link(api, subject_id)["token"]
    client = api_client(base_url, token)
    return Customer(subject_id, body, token, client)


def new_link(api: httpx.Client, subject_id: str) -> dict[str, Any]:
    response = api.post(f"/v1/subjects/{subject_id}/sessions")
    assert response.status_code == 201, response.text
    return dict(response.json())


def with_cookie(base_url: str, cookie: str, **headers: str) -> httpx.Client:
    """A browser-like client: the session cookie, as the privacy-center pages set it."""
    return api_client(base_url, headers={"Cookie": f"{SESSION_COOKIE}={cookie}", **headers})


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


@pytest.fixture
def terms(api: httpx.Client) -> str:
    return publish_terms(api)


@pytest.fixture
def customer(api: httpx.Client, live_server: LiveServer) -> Iterator[Customer]:
    person = new_customer(api, live_server.url)
    yield person
    person.client.close()


# -- sessions -------------------------------------------------------------------------------


def test_a_link_is_a_privacy_center_path_and_stores_only_a_hash(
    api: httpx.Client, gatehouse: Gatehouse, customer: Customer, clock: Clock
) -> None:
    link = new_link(api, customer.subject_id)
    assert link["url"] == f"/privacy/enter?token={link['token']}"
    assert link["url"].startswith("/privacy")
    assert len(link["token"]) >= 40
    with gatehouse.engine.connect() as connection:
        stored = connection.execute(
            select(customer_sessions).where(customer_sessions.c.subject_id == customer.subject_id)
        ).all()
    assert len(stored) == 2 and all(row.kind == "link" for row in stored)
    assert all(link["token"] not in str(tuple(row)) for row in stored)
    assert api.post("/v1/subjects/sub_nobody/sessions").status_code == 404


def test_a_link_opens_once_and_its_token_is_a_bearer_until_then(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer, customer: Customer
) -> None:
    me = customer.client.get("/v1/me")
    assert me.status_code == 200, me.text
    assert me.headers["cache-control"] == "no-store"
    cookie, expires_at = open_link(gatehouse, customer.token)
    assert (expires_at - gatehouse.clock()).total_seconds() == 8 * 3600
    with pytest.raises(Unauthorized) as second:
        open_link(gatehouse, customer.token)
    assert second.value.code == "link_used"
    # Opened in a browser, the link is spent for the app too: the cookie is the key now.
    assert customer.client.get("/v1/me").status_code == 401
    with with_cookie(live_server.url, cookie) as browser:
        assert browser.get("/v1/me").json()["subject_id"] == customer.subject_id
    with pytest.raises(Unauthorized) as unknown:
        open_link(gatehouse, "not-a-token")
    assert unknown.value.code == "unauthorized"


def test_a_link_expires_after_fifteen_minutes(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer, clock: Clock
) -> None:
    person = new_customer(api, live_server.url)
    spare = new_link(api, person.subject_id)["token"]
    clock.advance(minutes=14, seconds=59)
    assert person.client.get("/v1/me").status_code == 200
    clock.advance(seconds=1)
    expired = person.client.get("/v1/me")
    assert expired.status_code == 401 and error_code(expired) == "unauthorized"
    assert expired.json()["error"]["details"] is None
    with pytest.raises(Unauthorized) as late:
        open_link(gatehouse, spare)
    assert late.value.code == "link_expired"
    person.client.close()


def test_a_cookie_session_ends_after_thirty_idle_minutes_or_eight_hours(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer, clock: Clock
) -> None:
    person = new_customer(api, live_server.url)
    idle, _ = open_link(gatehouse, person.token)
    busy, _ = open_link(gatehouse, new_link(api, person.subject_id)["token"])
    with (
        with_cookie(live_server.url, idle) as idle_browser,
        with_cookie(live_server.url, busy) as busy_browser,
    ):
        # Each request slides the idle expiry: 29 minutes apart, the busy one stays in.
        for _ in range(2):
            clock.advance(minutes=29)
            assert busy_browser.get("/v1/me").status_code == 200
        assert idle_browser.get("/v1/me").status_code == 401
        for _ in range(14):  # 16 x 29 min = 7 h 44 min
            clock.advance(minutes=29)
            assert busy_browser.get("/v1/me").status_code == 200
        clock.advance(minutes=16)  # exactly 8 hours after it opened
        assert busy_browser.get("/v1/me").status_code == 401
    person.client.close()


def test_operator_revokes_every_session_of_a_subject(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer
) -> None:
    person = new_customer(api, live_server.url)
    other = new_customer(api, live_server.url)
    cookie, _ = open_link(gatehouse, new_link(api, person.subject_id)["token"])
    unopened = new_link(api, person.subject_id)["token"]
    revoked = api.post(f"/v1/subjects/{person.subject_id}/sessions/revoke")
    assert revoked.status_code == 200 and revoked.json() == {"revoked": 4}
    assert person.client.get("/v1/me").status_code == 401
    with with_cookie(live_server.url, cookie) as browser:
        assert browser.get("/v1/me").status_code == 401
    with pytest.raises(Unauthorized):
        open_link(gatehouse, unopened)
    assert other.client.get("/v1/me").status_code == 200  # only that subject's
    assert api.post("/v1/subjects/sub_nobody/sessions/revoke").status_code == 404
    person.client.close()
    other.client.close()


def test_a_deleted_subject_gets_no_session_and_loses_the_ones_it_had(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer
) -> None:
    person = new_customer(api, live_server.url)
    cookie, _ = open_link(gatehouse, new_link(api, person.subject_id)["token"])
    assert api.delete(f"/v1/subjects/{person.subject_id}").status_code == 202
    refused = api.post(f"/v1/subjects/{person.subject_id}/sessions")
    assert refused.status_code == 410, refused.text
    assert person.client.get("/v1/me").status_code == 401
    with with_cookie(live_server.url, cookie) as browser:
        assert browser.get("/v1/me").status_code == 401
    person.client.close()


def test_customer_calls_need_a_customer_session(
    api: httpx.Client, anonymous: httpx.Client, operator_key: str, customer: Customer
) -> None:
    for method, path in ME_ROUTES:
        response = anonymous.request(method, path)
        assert response.status_code == 401, (method, path)
        assert error_code(response) == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    # An operator key is not a customer session, and a customer token is not an operator key.
    assert api.get("/v1/me").status_code == 401
    assert anonymous.get("/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert customer.client.get(f"/v1/subjects/{customer.subject_id}").status_code == 401
    assert customer.client.get("/v1/requests").status_code == 401


def test_cookie_writes_must_come_from_our_own_origin(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer, customer: Customer
) -> None:
    cookie, _ = open_link(gatehouse, customer.token)
    request = {"type": "access", "message": "제 정보를 열람하고 싶습니다."}
    with with_cookie(live_server.url, cookie, Origin="https://evil.example") as forged:
        assert forged.get("/v1/me").status_code == 200  # reading is harmless: SOP hides it
        attack = forged.post("/v1/me/requests", json=request)
        assert attack.status_code == 403 and error_code(attack) == "cross_origin"
        assert forged.delete("/v1/me").status_code == 403
    with with_cookie(live_server.url, cookie, **{"Sec-Fetch-Site": "cross-site"}) as forged:
        assert forged.post("/v1/me/requests", json=request).status_code == 403
    own = live_server.url
    with with_cookie(live_server.url, cookie, Origin=own) as browser:
        assert browser.post("/v1/me/requests", json=request).status_code == 201


# -- isolation ------------------------------------------------------------------------------


def test_no_customer_path_names_a_subject(anonymous: httpx.Client) -> None:
    spec = anonymous.get("/openapi.json").json()
    customer_paths = {p: ops for p, ops in spec["paths"].items() if p.startswith("/v1/me")}
    assert {"/v1/me", "/v1/me/transfers", "/v1/me/export", "/v1/me/requests"} <= set(customer_paths)
    for path, operations in customer_paths.items():
        assert "subject" not in path.lower(), path
        for operation in operations.values():
            names = [p["name"].lower() for p in operation.get("parameters", [])]
            assert not [n for n in names if "subject" in n], (path, names)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                ref = body["schema"].get("$ref") or body["schema"]["anyOf"][0]["$ref"]
                schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
                assert not [f for f in schema["properties"] if "subject" in f], path


def test_a_customer_never_reaches_another_customers_data(
    api: httpx.Client, live_server: LiveServer, terms: str
) -> None:
    seller = new_seller(api, live_server.url, "CN", terms)
    alice = new_customer(api, live_server.url, name="김민지")
    bob = new_customer(api, live_server.url, name="박서준")
    bob_consent = consent(api, bob.subject_id, seller)
    bob_transfer = allowed_transfer(api, bob.subject_id, seller)
    bob_request = bob.client.post(
        "/v1/me/requests", json={"type": "access", "message": "열람 요청"}
    ).json()["id"]

    assert alice.client.get(f"/v1/me/transfers/{bob_transfer}").status_code == 404
    assert bob.client.get(f"/v1/me/transfers/{bob_transfer}").status_code == 200
    stolen = alice.client.post(f"/v1/me/consents/{bob_consent}/withdraw")
    assert stolen.status_code == 404 and error_code(stolen) == "consent_not_found"
    assert alice.client.get(f"/v1/me/requests/{bob_request}").status_code == 404
    assert bob.client.get(f"/v1/me/requests/{bob_request}").status_code == 200
    complaint = alice.client.post(
        "/v1/me/requests",
        json={"type": "complaint", "message": "이 이전이 궁금합니다", "transfer_id": bob_transfer},
    )
    assert complaint.status_code == 404 and error_code(complaint) == "transfer_not_found"
    # Nothing of Bob's shows up anywhere in Alice's answers, and a subject id in the body
    # (which the API does not take) is an error, not a way in.
    seen = " ".join(alice.client.get(path).text for _, path in ME_ROUTES)
    for secret in (bob.subject_id, bob_transfer, bob_consent, bob_request, "박서준"):
        assert secret not in seen
    injected = alice.client.post(
        "/v1/me/requests",
        json={"type": "access", "message": "x", "subject_id": bob.subject_id},
    )
    assert injected.status_code == 422
    assert bob.client.get("/v1/me/consents").json()["items"][0]["granted"] is True
    alice.client.close()
    bob.client.close()
    seller.client.close()


# -- who has my data --------------------------------------------------------------------------


def _checkpoint(api: httpx.Client) -> tuple[Checkpoint, str]:
    published = api.get("/v1/ledger/checkpoints/latest").json()
    return Checkpoint.from_dict(published), str(published["public_key"])


def test_my_transfers_match_the_ledger_and_every_proof_verifies(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer, terms: str
) -> None:
    china = new_seller(api, live_server.url, "CN", terms, legal_name="Shenzhen Lamp Co.")
    usa = new_seller(api, live_server.url, "US", terms, legal_name="Austin Parcel LLC")
    vietnam = new_seller(api, live_server.url, "VN", terms)
    person = new_customer(api, live_server.url)
    consent(api, person.subject_id, china)
    consent(api, person.subject_id, usa)
    allowed = [allowed_transfer(api, person.subject_id, s) for s in (china, china, usa)]
    order = new_order(api, person.subject_id, vietnam)  # no consent: refused
    refused = api.post(
        f"/v1/orders/{order}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert refused.status_code == 403
    refused_id = refused.json()["error"]["details"]["transfer_id"]

    page = person.client.get("/v1/me/transfers")
    assert page.status_code == 200, page.text
    body = page.json()
    items = body["items"]
    assert {i["transfer_id"] for i in items} == set(allowed)
    assert refused_id not in page.text and vietnam.id not in page.text
    assert body["by_country"] == {"CN": 2, "US": 1} and body["next_cursor"] is None

    ledgered = api.get(
        "/v1/ledger/entries",
        params={"subject_id": person.subject_id, "kind": "transfer.allowed", "limit": 100},
    ).json()["items"]
    expected = {
        e["payload"]["transfer_id"]: (e["recipient_id"], e["payload"]["country"]) for e in ledgered
    }
    assert {i["transfer_id"]: (i["recipient"]["id"], i["country"]) for i in items} == expected

    checkpoint, key = _checkpoint(api)
    for item in items:
        proof = item["proof"]
        assert verify_inclusion_proof(proof, checkpoint, key), item["transfer_id"]
        entry = LedgerEntry.from_dict(proof["entry"])
        assert entry.leaf().hex() == proof["leaf_hash"]
        assert entry.payload["transfer_id"] == item["transfer_id"]
        assert entry.kind == "transfer.allowed"
        # The customer gets the signed checkpoint and the key's fingerprint with the proof,
        # so it can be checked away from Gatehouse against the published fingerprint.
        carried = Checkpoint.from_dict(proof["checkpoint"])
        assert carried == checkpoint and proof["checkpoint"]["public_key"] == key
        assert proof["public_key_sha256"] == hashlib.sha256(base64.b64decode(key)).hexdigest()
        assert verify_inclusion_proof(proof, carried, proof["checkpoint"]["public_key"])

    # A page that only lists them can skip the proofs.
    listed = transfers_of(gatehouse, person.subject_id, with_proofs=False)
    assert [i.transfer_id for i in listed.items] == [i["transfer_id"] for i in items]
    assert all(i.proof is None for i in listed.items)

    lamp = next(i for i in items if i["recipient"]["id"] == china.id)
    assert lamp["recipient"]["legal_name"].startswith("Shenzhen Lamp Co. ")
    assert lamp["recipient"]["contact"]["email"].endswith("@bright-trade.example.cn")
    assert lamp["recipient"]["privacy_officer"]["name"] == "Li Wei"
    assert lamp["items"] == ["name", "phone", "address", "delivery_note"]
    assert lamp["item_labels"][0] == "성명"  # the customer's language
    assert (lamp["purpose"], lamp["basis"], lamp["status"]) == (
        "fulfilment",
        "SEPARATE_CONSENT",
        "open",
    )
    assert lamp["when"] and lamp["until"] > lamp["when"]

    # Pages walk newest first and cover everything once.
    first = person.client.get("/v1/me/transfers", params={"limit": 2}).json()
    second = person.client.get(
        "/v1/me/transfers", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [i["transfer_id"] for i in first["items"] + second["items"]] == [
        i["transfer_id"] for i in items
    ]
    assert second["next_cursor"] is None
    bad = person.client.get("/v1/me/transfers", params={"cursor": "nonsense"})
    assert bad.status_code == 422 and error_code(bad) == "invalid_cursor"
    for client in (china.client, usa.client, vietnam.client, person.client):
        client.close()


def test_withdrawing_through_me_stops_the_next_transfer(
    api: httpx.Client, live_server: LiveServer, terms: str
) -> None:
    seller = new_seller(api, live_server.url, "CN", terms)
    person = new_customer(api, live_server.url)
    consent_id = consent(api, person.subject_id, seller)
    transfer_id = allowed_transfer(api, person.subject_id, seller)
    listed = person.client.get("/v1/me/consents").json()["items"]
    assert [(c["id"], c["granted"]) for c in listed] == [(consent_id, True)]
    assert listed[0]["recipients"][0]["id"] == seller.id and listed[0]["countries"] == ["CN"]

    withdrawn = person.client.post(f"/v1/me/consents/{consent_id}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["granted"] is False and withdrawn.json()["withdrawn_at"]
    again = person.client.post(f"/v1/me/consents/{consent_id}/withdraw")
    assert again.status_code == 409

    order = new_order(api, person.subject_id, seller)
    refused = api.post(
        f"/v1/orders/{order}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert refused.status_code == 403 and error_code(refused) == "no_lawful_basis"
    closed = seller.client.get(f"/v1/recipient/transfers/{transfer_id}")
    assert closed.status_code == 410
    mine = person.client.get(f"/v1/me/transfers/{transfer_id}").json()
    assert (mine["status"], mine["close_reason"]) == ("closed", "consent_withdrawn")
    history = api.get(f"/v1/subjects/{person.subject_id}/consents").json()["items"]
    assert history[0]["channel"] == "web"
    seller.client.close()
    person.client.close()


def test_me_shows_my_own_data_with_the_customs_code_masked(customer: Customer) -> None:
    me = customer.client.get("/v1/me").json()
    body = customer.body
    assert me["subject_id"] == customer.subject_id
    assert (me["name"], me["email"]) == (body["name"], body["email"])
    assert me["phone"].endswith(body["phone"][-4:])
    assert me["address"] == body["address"]
    code = body["customs_code"]
    assert me["customs_code"] == code[0] + "*" * 9 + code[-3:]
    assert (me["locale"], me["residence_country"]) == ("ko-KR", "KR")


# -- export and deletion ----------------------------------------------------------------------


def test_export_holds_everything_and_delete_ends_every_session(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer, terms: str
) -> None:
    seller = new_seller(api, live_server.url, "CN", terms)
    person = new_customer(api, live_server.url, customs_code="P202611280777")
    consent_id = consent(api, person.subject_id, seller)
    transfer_id = allowed_transfer(api, person.subject_id, seller)
    person.client.post("/v1/me/requests", json={"type": "access", "message": "전부 보여주세요"})
    cookie, _ = open_link(gatehouse, new_link(api, person.subject_id)["token"])

    exported = person.client.get("/v1/me/export")
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-disposition"].startswith("attachment;")
    data = exported.json()
    profile = data["profile"]
    assert profile["name"] == person.body["name"]
    assert profile["customs_code"] == "P202611280777"  # whole: it is the customer's own copy
    assert profile["email"] == person.body["email"]
    (answer,) = data["consents"]
    notice = api.get(f"/v1/notices/{answer['notice']['hash']}").json()
    assert answer["id"] == consent_id and answer["notice"]["text"] == notice["text"]
    assert "Shenzhen Bright Trade" in answer["notice"]["text"]  # it names the recipient
    (order,) = data["orders"]
    assert order["delivery_note"].startswith("문 앞에 두세요")
    assert order["items"][0]["name"] == "휴대폰 케이스"
    assert [t["id"] for t in data["transfers"]] == [transfer_id]
    assert data["requests"][0]["message"] == "전부 보여주세요"
    kinds = {entry["kind"] for entry in data["ledger"]}
    assert {"consent.granted", "order.created", "transfer.allowed", "request.created"} <= kinds
    assert all(entry["subject_id"] == person.subject_id for entry in data["ledger"])

    deleted = person.client.delete("/v1/me")
    assert deleted.status_code == 202, deleted.text
    receipt = deleted.json()
    assert receipt["receipt"]["requested_by"] == "customer"
    assert [n["recipient_id"] for n in receipt["erasure_notices"]] == [seller.id]
    assert "gh_session=" in deleted.headers["set-cookie"]

    spec = api.get("/openapi.json").json()
    with with_cookie(live_server.url, cookie, Origin=live_server.url) as browser:
        for path, operations in spec["paths"].items():
            if not path.startswith("/v1/me"):
                continue
            url = path.replace("{transfer_id}", transfer_id).replace("{consent_id}", consent_id)
            url = url.replace("{request_id}", "req_x")
            for method in operations:
                for client in (person.client, browser):
                    answer_ = client.request(method.upper(), url, json={})
                    assert answer_.status_code == 401, (method, path, answer_.text)
    assert seller.client.get(f"/v1/recipient/transfers/{transfer_id}").status_code == 410
    assert api.post(f"/v1/subjects/{person.subject_id}/sessions").status_code == 410
    with gatehouse.engine.connect() as connection:
        live = connection.execute(
            select(customer_sessions).where(
                customer_sessions.c.subject_id == person.subject_id,
                customer_sessions.c.revoked_at.is_(None),
            )
        ).all()
    assert live == []
    seller.client.close()
    person.client.close()


def test_migration_matches_the_customer_tables(gatehouse: Gatehouse) -> None:
    with gatehouse.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    ours = ("customer_sessions", "rights_requests")
    assert [d for d in differences if any(name in repr(d) for name in ours)] == []
