"""PUT and GET /v1/operator/profile on each database: validation, versions, the agent status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gatehouse.store.operator_profiles import operator_profiles
from tests.conftest import Fresh
from tests.support.operator_profiles import profile_body
from tests.support.server import api_client, operator_api

PATH = "/v1/operator/profile"


@pytest.fixture
def api(fresh: Fresh) -> Iterator[httpx.Client]:
    with operator_api(fresh.gatehouse) as (_, client):
        yield client


def _fields(response: httpx.Response) -> set[str]:
    return {detail["field"] for detail in response.json()["error"]["details"]}


def test_put_then_get_round_trips_the_normalised_profile(api: httpx.Client) -> None:
    assert api.get(PATH).status_code == 404
    put = api.put(PATH, json=profile_body())
    assert put.status_code == 200, put.text
    got = api.get(PATH)
    assert got.status_code == 200
    body = got.json()
    assert body == put.json()
    assert body["version"] == 1 and len(body["content_hash"]) == 64
    profile = body["profile"]
    assert profile["privacy_officer"]["phone"] == "+82260001000"
    assert profile["privacy_officer"]["email"] == "Privacy@badamarket.example.kr"
    assert profile["domestic_agent"]["phone"] == "+82260004321"
    assert body["domestic_agent_status"] == {
        "required": True,
        "article": "「개인정보 보호법」 제31조의2제1항",
        "reasons": ["total_revenue"],
        "missing": [],
    }


def test_each_put_appends_a_version(api: httpx.Client, fresh: Fresh) -> None:
    first = api.put(PATH, json=profile_body()).json()
    second = api.put(PATH, json=profile_body(legal_name="Bada Market Holdings Ltd.")).json()
    assert (first["version"], second["version"]) == (1, 2)
    assert first["content_hash"] != second["content_hash"]
    with fresh.gatehouse.engine.connect() as connection:
        rows = connection.execute(select(operator_profiles).order_by("version")).all()
    assert [row.version for row in rows] == [1, 2]
    assert rows[0].content["legal_name"] == "Bada Market Ltd."
    assert api.get(PATH).json()["profile"]["legal_name"] == "Bada Market Holdings Ltd."


def test_a_missing_agent_is_stored_and_its_particulars_named(api: httpx.Client) -> None:
    response = api.put(PATH, json=profile_body(domestic_agent={"name": "바다마켓코리아 유한회사"}))
    assert response.status_code == 200
    assert response.json()["domestic_agent_status"]["missing"] == [
        "domestic_agent.address",
        "domestic_agent.phone",
        "domestic_agent.email",
    ]


@pytest.mark.parametrize(
    "field",
    [
        "legal_name",
        "address",
        "representative",
        "privacy_officer",
        "rights_channels",
        "korean_establishment",
        "figures",
    ],
)
def test_each_missing_required_item_is_named(api: httpx.Client, field: str) -> None:
    body = profile_body()
    del body[field]
    response = api.put(PATH, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert field in _fields(response)


@pytest.mark.parametrize("field", ["name", "title", "department", "phone", "email"])
def test_each_missing_officer_item_is_named(api: httpx.Client, field: str) -> None:
    body = profile_body()
    del body["privacy_officer"][field]
    response = api.put(PATH, json=body)
    assert response.status_code == 422
    assert f"privacy_officer.{field}" in _fields(response)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rights_channels": []}, "rights_channels"),
        ({"legal_name": ""}, "legal_name"),
        ({"legal_name": 5}, "legal_name"),
        ({"korean_establishment": "no"}, "korean_establishment"),
        ({"representative": "x" * 201}, "representative"),
        (
            {
                "figures": {
                    "total_revenue_krw": "1",
                    "korean_revenue_krw": 0,
                    "daily_korean_subjects": 0,
                }
            },
            "figures.total_revenue_krw",
        ),
        (
            {
                "figures": {
                    "total_revenue_krw": -1,
                    "korean_revenue_krw": 0,
                    "daily_korean_subjects": 0,
                }
            },
            "figures.total_revenue_krw",
        ),
        ({"rights_channels": [{"kind": "fax", "value": "02-123-4567"}]}, "rights_channels.0.kind"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_bad_types_and_unknown_fields_are_422_naming_the_field(
    api: httpx.Client, changes: dict[str, Any], field: str
) -> None:
    response = api.put(PATH, json=profile_body(**changes))
    assert response.status_code == 422, response.text
    assert field in _fields(response)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"legal_name": "   "}, "legal_name"),
        ({"rights_channels": [{"kind": "phone", "value": "12345"}]}, "rights_channels[0].value"),
        (
            {"rights_channels": [{"kind": "web", "value": "ftp://x.example"}]},
            "rights_channels[0].value",
        ),
        ({"domestic_agent": {"email": "nobody"}}, "domestic_agent.email"),
    ],
)
def test_domain_rules_refuse_with_the_field_named(
    api: httpx.Client, changes: dict[str, Any], field: str
) -> None:
    response = api.put(PATH, json=profile_body(**changes))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["details"][0]["field"] == field
    assert "12345" not in error["message"] and "nobody" not in error["message"]


def test_malformed_and_huge_bodies_are_4xx(api: httpx.Client) -> None:
    bad = api.put(PATH, content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400
    huge = api.put(PATH, json=profile_body(legal_name="x" * 2_000_000))
    assert huge.status_code == 413
    assert set(huge.json()["error"]) == {"code", "message", "details"}
    listed = api.put(PATH, json=[profile_body()])
    assert listed.status_code == 422


def test_the_profile_needs_the_operator_key(api: httpx.Client) -> None:
    with api_client(str(api.base_url)) as anonymous:
        assert anonymous.get(PATH).status_code == 401
        assert anonymous.put(PATH, json=profile_body()).status_code == 401
