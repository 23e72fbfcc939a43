"""The privacy policy version in force, over HTTP on each backend: recorded with every consent
and withdrawal, linked beside the checkout notice (outside its hash) and the deletion receipt."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gatehouse.store.tables import consents
from tests.conftest import Fresh
from tests.support.operator_profiles import profile_body
from tests.support.server import api_client, operator_api

PUBLISH = "/v1/privacy-policy/publish"

# Unique values come from uuid4, not tests.support.factories.unique(), so that this module
# leaves the sequence other modules' bodies are built from unchanged.


def _n() -> int:
    return uuid.uuid4().int % 10**12


@dataclass
class World:
    fresh: Fresh
    api: httpx.Client
    base_url: str


@pytest.fixture
def world(fresh: Fresh) -> Iterator[World]:
    with operator_api(fresh.gatehouse) as (server, api):
        assert api.put("/v1/operator/profile", json=profile_body()).status_code == 200
        yield World(fresh, api, server.url)


def _seller(api: httpx.Client) -> str:
    n = _n()
    created = api.post(
        "/v1/recipients",
        json={
            "kind": "seller",
            "legal_name": f"Shenzhen Policy Trade Co., Ltd. {n}",
            "country": "CN",
            "contact_phone": "+86 138 0013 8000",
            "contact_email": f"ops{n}@policy-trade.example.cn",
            "privacy_officer": {"name": "Li Wei", "email": f"privacy{n}@policy-trade.example.cn"},
            "purposes": ["fulfilment"],
            "retention_days": 90,
        },
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _subject(api: httpx.Client) -> str:
    n = _n()
    created = api.post(
        "/v1/subjects",
        json={
            "external_ref": f"pol_{n}",
            "name": "홍길동",
            "email": f"policy{n}@example.kr",
            # 010-2000-xxxx to 010-5899-xxxx: every one is a valid mobile number.
            "phone": f"010-{2000 + n % 3900:04d}-{n // 3900 % 10000:04d}",
            "address": {"postal_code": "06236", "line1": "서울특별시 강남구 테헤란로 152"},
            "customs_code": f"P{n:012d}",
            "residence_country": "KR",
            "locale": "ko-KR",
        },
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _customer(world: World, subject_id: str) -> httpx.Client:
    link = world.api.post(f"/v1/subjects/{subject_id}/sessions")
    assert link.status_code == 201, link.text
    token = link.json()["token"]
    return api_client(world.base_url, token)


def _render(api: httpx.Client, subject_id: str, seller_id: str) -> dict[str, Any]:
    response = api.get(
        "/v1/notices/render",
        params={"subject_id": subject_id, "recipient_id": seller_id, "purpose": "fulfilment"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _grant(api: httpx.Client, subject_id: str, seller_id: str) -> dict[str, Any]:
    notice_hash = _render(api, subject_id, seller_id)["notice_hash"]
    response = api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": notice_hash, "granted": True, "channel": "web"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _publish(world: World) -> int:
    response = world.api.post(PUBLISH)
    assert response.status_code == 200, response.text
    assert response.json()["created"] is True
    return int(response.json()["version"]["version"])


def _stored_versions(world: World, subject_id: str) -> dict[str, int | None]:
    with world.fresh.gatehouse.engine.connect() as connection:
        rows = connection.execute(
            select(consents.c.id, consents.c.policy_version).where(
                consents.c.subject_id == subject_id
            )
        )
        return {row.id: row.policy_version for row in rows}


def _link(version: int) -> dict[str, Any]:
    return {"version": version, "url": f"/privacy-policy/v/{version}"}


def test_each_consent_records_the_policy_version_in_force(world: World) -> None:
    api = world.api
    first, second, third = _seller(api), _seller(api), _seller(api)
    subject_id = _subject(api)

    before_any = _grant(api, subject_id, first)
    assert (before_any["policy_version"], before_any["policy_url"]) == (None, None)

    assert _publish(world) == 1
    under_first = _grant(api, subject_id, second)
    assert under_first["policy_version"] == 1
    assert under_first["policy_url"] == "/privacy-policy/v/1"

    # A changed contact is not material: the new version is in force once published.
    changed = api.patch(f"/v1/recipients/{third}", json={"contact_email": f"new{_n()}@x.cn"})
    assert changed.status_code == 200, changed.text
    world.fresh.clock.advance(hours=1)
    assert _publish(world) == 2
    under_second = _grant(api, subject_id, third)
    assert (under_second["policy_version"], under_second["policy_url"]) == (
        2,
        "/privacy-policy/v/2",
    )

    expected = {before_any["id"]: None, under_first["id"]: 1, under_second["id"]: 2}
    assert _stored_versions(world, subject_id) == expected
    listed = api.get(f"/v1/subjects/{subject_id}/consents").json()["items"]
    assert {c["id"]: c["policy_version"] for c in listed} == expected
    with _customer(world, subject_id) as customer:
        mine = customer.get("/v1/me/consents")
        assert mine.status_code == 200, mine.text
        shown = {c["id"]: (c["policy_version"], c["policy_url"]) for c in mine.json()["items"]}
        assert shown == {
            before_any["id"]: (None, None),
            under_first["id"]: (1, "/privacy-policy/v/1"),
            under_second["id"]: (2, "/privacy-policy/v/2"),
        }

        # A withdrawal is an answer of its own, recorded under the version in force now; the
        # grant it withdraws still says what was in force then.
        withdrawn = customer.post(f"/v1/me/consents/{under_first['id']}/withdraw")
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["granted"] is False
        assert withdrawn.json()["policy_version"] == 2
        exported = customer.get("/v1/me/export")
        assert exported.status_code == 200, exported.text
        answers = exported.json()["consents"]
        grants = {a["id"]: a["policy_version"] for a in answers if a["withdraws"] is None}
        assert grants == expected
        assert [(a["withdraws"], a["policy_version"]) for a in answers if a["withdraws"]] == [
            (under_first["id"], 2)
        ]
    stored = _stored_versions(world, subject_id)
    assert stored[under_first["id"]] == 1 and list(stored.values()).count(2) == 2

    by_operator = api.post(f"/v1/subjects/{subject_id}/consents/{before_any['id']}/withdraw")
    assert by_operator.status_code == 201, by_operator.text
    assert by_operator.json()["withdraws"] == before_any["id"]
    assert by_operator.json()["policy_url"] == "/privacy-policy/v/2"
    assert _stored_versions(world, subject_id)[before_any["id"]] is None


def test_the_notice_links_the_policy_outside_its_hash(world: World) -> None:
    api = world.api
    seller, subject_id = _seller(api), _subject(api)

    before = _render(api, subject_id, seller)
    assert before["privacy_policy"] is None
    _publish(world)
    after = _render(api, subject_id, seller)

    assert after["privacy_policy"] == _link(1)
    assert {**after, "privacy_policy": None} == before
    stored = api.get(f"/v1/notices/{after['notice_hash']}").json()
    assert "privacy_policy" not in stored and "privacy_policy" not in stored["body"]
    # A disclosure's notice is not a checkout notice and carries no link.
    spec = api.get("/openapi.json").json()["components"]["schemas"]
    assert "privacy_policy" in spec["RenderedNoticeOut"]["properties"]
    assert "privacy_policy" not in spec["NoticeOut"]["properties"]


def test_deleting_my_account_links_the_policy_beside_the_receipt(world: World) -> None:
    api = world.api
    early, late = _subject(api), _subject(api)
    with _customer(world, early) as customer:
        before_any = customer.delete("/v1/me")
    assert before_any.status_code == 202, before_any.text
    assert before_any.json()["privacy_policy"] is None

    _publish(world)
    with _customer(world, late) as customer:
        deleted = customer.delete("/v1/me")
    assert deleted.status_code == 202, deleted.text
    body = deleted.json()
    assert body["privacy_policy"] == _link(1)
    assert set(body) == {"receipt", "erasure_notices", "privacy_policy"}
    # The receipt itself is what the deletion did, as stored; the link is not part of it.
    assert "privacy_policy" not in body["receipt"]
    assert set(body["receipt"]) == set(before_any.json()["receipt"])
