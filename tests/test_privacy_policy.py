"""The privacy policy over HTTP, on each backend: publishing, every required item, versions that
keep their address, the change log and its notice period, and the register each version shows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gatehouse.domain.policy.policy_texts import REQUIRED_SECTIONS
from tests.conftest import Fresh
from tests.support.gateway import Seller, new_order, new_seller, new_subject, publish_terms
from tests.support.operator_profiles import profile_body
from tests.support.register_rows import RegisterRows
from tests.support.server import api_client, operator_api

PUBLISH = "/v1/privacy-policy/publish"


@dataclass
class World:
    fresh: Fresh
    url: str
    api: httpx.Client
    public: httpx.Client
    rows: RegisterRows
    ids: dict[str, str]


def _at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.fixture
def world(fresh: Fresh) -> Iterator[World]:
    rows = RegisterRows(fresh.gatehouse.engine)
    ids = {
        "alpha": rows.recipient("Alpha Trading Co", country="CN"),
        "beta": rows.recipient("Beta Cold Storage Pte. Ltd.", country="SG", kind="storage"),
        "gamma": rows.recipient("Gamma LLC", country="US"),
        "old": rows.recipient("Old Shop", country="CN", status="suspended"),
        "home": rows.recipient("Home Logistics Co", country="KR", kind="logistics"),
    }
    rows.transfer(ids["alpha"], _at(2026, 6, 1))
    rows.transfer(ids["old"], _at(2024, 6, 1))
    with operator_api(fresh.gatehouse) as (server, api):
        assert api.put("/v1/operator/profile", json=profile_body()).status_code == 200
        with api_client(server.url) as public:
            yield World(fresh, server.url, api, public, rows, ids)


def _publish(api: httpx.Client) -> dict[str, Any]:
    response = api.post(PUBLISH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _register(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/privacy-policy/register", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        entries.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return entries


def test_before_anything_is_published_the_policy_is_a_404(fresh: Fresh) -> None:
    with operator_api(fresh.gatehouse) as (_, api):
        response = api.get("/v1/privacy-policy")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "policy_not_published"
        # No operator profile yet: publishing names the missing controller.
        refused = api.post(PUBLISH)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["details"] == {"item": "controller"}


def test_the_published_policy_has_every_section_and_is_public(world: World) -> None:
    published = _publish(world.api)
    assert published["created"] is True and published["version"]["version"] == 1
    response = world.public.get("/v1/privacy-policy")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["locale"] == "ko" and body["in_force"] is True
    assert [s["key"] for s in body["sections"]] == list(REQUIRED_SECTIONS)
    sections = {s["key"]: s for s in body["sections"]}
    officer = {f["key"]: f["value"] for f in sections["privacy_officer"]["facts"]}
    assert officer["name"] == "박지민" and officer["email"]
    agent = {f["key"]: f["value"] for f in sections["domestic_agent"]["facts"]}
    assert agent["name"].startswith("바다마켓코리아") and agent["address"]
    remedies = [r["cells"]["phone"] for r in sections["remedies"]["tables"][0]["rows"]]
    assert remedies == ["118", "1833-6972", "1301", "182"]
    entrustees = sections["entrustment"]["tables"][0]["rows"]
    # The storage provider abroad and the logistics company at home are named; sellers are not.
    assert {r["cells"]["entrustee"] for r in entrustees} == {
        "Beta Cold Storage Pte. Ltd.",
        "Home Logistics Co",
    }
    overseas = {t["key"]: t for t in sections["overseas_transfer"]["tables"]}
    named = overseas["entrustees"]["rows"]
    assert [r["cells"]["entrustee"] for r in named] == ["Beta Cold Storage Pte. Ltd."]
    assert all(v for v in named[0]["cells"].values())
    countries = {r["key"]: r["cells"]["recipients"] for r in overseas["countries"]["rows"]}
    assert countries == {"CN": "1", "SG": "1", "US": "1"}
    english = world.public.get("/v1/privacy-policy", params={"locale": "en"}).json()
    assert english["title"] == "Privacy policy"
    assert english["version"]["content_hash"] == body["version"]["content_hash"]


def test_publishing_again_without_a_change_makes_no_version(world: World) -> None:
    first = _publish(world.api)
    again = _publish(world.api)
    assert again["created"] is False
    assert again["version"]["version"] == first["version"]["version"]


def test_the_register_lists_exactly_the_recipients_abroad_and_who_received(world: World) -> None:
    _publish(world.api)
    entries = _register(world.public, limit=1)
    ids = {e["recipient_id"] for e in entries}
    assert ids == {world.ids["alpha"], world.ids["beta"], world.ids["gamma"]}
    received = {e["recipient_id"] for e in entries if e["received"]}
    assert received == {world.ids["alpha"]}
    countries = [e["country"]["code"] for e in entries]
    assert countries == sorted(countries)


def test_a_recipient_change_makes_a_new_version_and_the_old_one_keeps_its_url(
    world: World,
) -> None:
    first = _publish(world.api)["version"]
    renamed = world.api.patch(
        f"/v1/recipients/{world.ids['gamma']}", json={"contact_email": "new@gamma.example.com"}
    )
    assert renamed.status_code == 200, renamed.text
    world.fresh.clock.advance(hours=1)
    second = _publish(world.api)["version"]
    assert second["version"] == first["version"] + 1
    assert second["changes"] == [
        {"section": "register", "kind": "changed", "material": False, "count": 1}
    ]
    # Not material: in force at once.
    assert second["effective_at"] == second["published_at"]
    old = _register(world.public, version=first["version"], q="gamma")
    new = _register(world.public, version=second["version"], q="gamma")
    assert old[0]["contact"]["email"] == "privacy@example.cn"
    assert new[0]["contact"]["email"] == "new@gamma.example.com"
    kept = world.public.get("/v1/privacy-policy", params={"version": first["version"]}).json()
    assert kept["version"]["content_hash"] == first["content_hash"]
    assert kept["in_force"] is False and kept["in_force_version"] == second["version"]
    log = world.public.get("/v1/privacy-policy/versions").json()["items"]
    assert [v["version"] for v in log] == [second["version"], first["version"]]
    assert log[1]["url"] == f"/privacy-policy/v/{first['version']}"


def test_a_material_change_is_announced_before_it_takes_effect(world: World) -> None:
    first = _publish(world.api)["version"]
    world.rows.recipient("Delta Fulfilment GmbH", country="DE", kind="logistics")
    second = _publish(world.api)["version"]
    kinds = {(c["section"], c["kind"]) for c in second["changes"]}
    assert ("entrustment", "changed") in kinds and second["material"] is True
    published = datetime.fromisoformat(second["published_at"])
    assert datetime.fromisoformat(second["effective_at"]) == published + timedelta(days=7)
    shown = world.public.get("/v1/privacy-policy").json()
    assert shown["version"]["version"] == first["version"]
    assert shown["upcoming"]["version"] == second["version"]
    world.fresh.clock.advance(days=7, seconds=1)
    assert world.public.get("/v1/privacy-policy").json()["version"]["version"] == 2


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"version": "0"}, 422, "validation_error"),
        ({"version": "x"}, 422, "validation_error"),
        ({"version": "99"}, 404, "policy_not_found"),
        ({"locale": "fr"}, 422, "unsupported_locale"),
    ],
)
def test_bad_policy_parameters(
    world: World, params: dict[str, str], status: int, code: str
) -> None:
    _publish(world.api)
    response = world.public.get("/v1/privacy-policy", params=params)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"cursor": "bogus"}, "invalid_cursor"),
        ({"cursor": "p.!!!"}, "invalid_cursor"),
        ({"cursor": "p.WzFd"}, "invalid_cursor"),
        ({"country": "XX"}, "invalid_country"),
        ({"q": "  "}, "invalid_search"),
        ({"limit": "0"}, "validation_error"),
    ],
)
def test_bad_register_parameters(world: World, params: dict[str, str], code: str) -> None:
    _publish(world.api)
    response = world.public.get("/v1/privacy-policy/register", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


def test_publishing_needs_the_operator_key(world: World) -> None:
    assert world.public.post(PUBLISH).status_code == 401


def _entrust(api: httpx.Client, subject_id: str, carrier: Seller, flow: str) -> httpx.Response:
    order = new_order(api, subject_id, carrier)
    return api.post(f"/v1/orders/{order}/transfers", json={"purpose": "fulfilment", "flow": flow})


def test_the_policy_in_force_is_the_disclosure_entrustment_abroad_rests_on(world: World) -> None:
    """「개인정보 보호법」 제28조의8제1항제3호: disclosed in the privacy policy, nothing else."""
    api = world.api
    terms = publish_terms(api)
    carrier = new_seller(api, world.url, "SG", accept=terms, kind="logistics")
    subject_id = new_subject(api)
    try:
        refused = _entrust(api, subject_id, carrier, "entrustment")
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "no_lawful_basis"

        first = _publish(api)["version"]
        allowed = _entrust(api, subject_id, carrier, "entrustment")
        assert allowed.status_code == 201, allowed.text
        assert allowed.json()["basis"] == "CONTRACT_ENTRUST_STORE"
        assert allowed.json()["notice_hash"] == first["content_hash"]
        # The basis never covers provision to the carrier as a controller of its own.
        provided = _entrust(api, subject_id, carrier, "provision")
        assert provided.status_code == 403

        # A changed carrier is no longer the one the policy disclosed, until the next version.
        changed = api.patch(f"/v1/recipients/{carrier.id}", json={"contact_email": "x@sg.example"})
        assert changed.status_code == 200, changed.text
        assert _entrust(api, subject_id, carrier, "entrustment").status_code == 403
        second = _publish(api)["version"]
        # A contact corrected is no material change: in force at once.
        assert second["material"] is False and second["effective_at"] == second["published_at"]
        again = _entrust(api, subject_id, carrier, "entrustment")
        assert again.status_code == 201 and again.json()["notice_hash"] == second["content_hash"]

        # A new entrustee waits for the notice period of the version that adds it.
        late = new_seller(api, world.url, "JP", accept=terms, kind="storage")
        try:
            third = _publish(api)["version"]
            assert third["material"] is True
            assert _entrust(api, subject_id, late, "storage").status_code == 403
            world.fresh.clock.advance(days=7, seconds=1)
            stored = _entrust(api, subject_id, late, "storage")
            assert stored.status_code == 201, stored.text
            assert stored.json()["notice_hash"] == third["content_hash"]
        finally:
            late.client.close()
    finally:
        carrier.client.close()


def test_a_seller_abroad_is_never_disclosed_into_a_basis(world: World) -> None:
    api = world.api
    terms = publish_terms(api)
    seller = new_seller(api, world.url, "CN", accept=terms)
    try:
        _publish(api)
        refused = _entrust(api, new_subject(api), seller, "provision")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "no_lawful_basis"
    finally:
        seller.client.close()


def test_an_empty_required_item_stops_publishing_and_is_named(world: World) -> None:
    first = _publish(world.api)["version"]
    # The profile keeps an agent without a phone (it is stored, and flagged), but the policy
    # cannot be published without it: 「개인정보 보호법」 제31조의2 puts it in the policy.
    agent = {
        "name": "바다마켓코리아 유한회사",
        "address": "서울특별시 마포구 양화로 45",
        "email": "agent@bada.example.kr",
    }
    stored = world.api.put("/v1/operator/profile", json=profile_body(domestic_agent=agent))
    assert stored.status_code == 200, stored.text
    refused = world.api.post(PUBLISH)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "policy_incomplete"
    assert error["details"] == {"item": "domestic_agent.phone"}
    assert "domestic_agent.phone" in error["message"]
    # Nothing was half-written: the version in force is still the first.
    shown = world.public.get("/v1/privacy-policy").json()
    assert shown["version"]["version"] == first["version"]
    assert [
        v["version"] for v in world.public.get("/v1/privacy-policy/versions").json()["items"]
    ] == [first["version"]]


def test_entrustee_tables_page_with_next_cursor_and_search(world: World) -> None:
    for n in reversed(range(30)):
        world.rows.recipient(f"Parcel {n:02d} GmbH", country="DE", kind="logistics")
    _publish(world.api)
    body = world.public.get("/v1/privacy-policy", params={"locale": "en"}).json()
    sections = {s["key"]: s for s in body["sections"]}
    table = sections["entrustment"]["tables"][0]
    # 30 parcel companies, the storage provider abroad and the logistics company at home.
    assert table["total"] == 32 and len(table["rows"]) == 20
    assert table["next_cursor"] is not None
    assert sections["remedies"]["tables"][0]["total"] is None
    names = [r["cells"]["entrustee"] for r in table["rows"]]
    cursor = table["next_cursor"]
    while cursor is not None:
        response = world.public.get(
            "/v1/privacy-policy/entrustees",
            params={"table": "entrustment", "cursor": cursor, "limit": 5, "locale": "en"},
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == 32 and page["table"] == "entrustment"
        names.extend(r["cells"]["entrustee"] for r in page["items"])
        cursor = page["next_cursor"]
    expected = ["Beta Cold Storage Pte. Ltd.", "Home Logistics Co"]
    expected += [f"Parcel {n:02d} GmbH" for n in range(30)]
    assert names == expected
    found = world.public.get(
        "/v1/privacy-policy/entrustees", params={"table": "overseas_transfer", "q": "PARCEL 2"}
    ).json()
    assert [r["cells"]["entrustee"] for r in found["items"]] == [
        f"Parcel {n:02d} GmbH" for n in range(20, 30)
    ]
    assert found["next_cursor"] is None and found["total"] == 31
    refused = world.public.get("/v1/privacy-policy/entrustees", params={"table": "remedies"})
    assert refused.status_code == 422
    bad = world.public.get(
        "/v1/privacy-policy/entrustees", params={"table": "entrustment", "cursor": "e.!!"}
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"
