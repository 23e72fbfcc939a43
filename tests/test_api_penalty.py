"""POST /v1/penalty-estimate over HTTP on each database: the arithmetic, the label, bad inputs.

The figures are the statute's arithmetic (「개인정보 보호법」 제64조의2제1항, 시행령 제60조의2);
see tests/test_domain_penalty.py for the sources and why no decision is reproduced.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Fresh
from tests.support.server import api_client, operator_api

PATH = "/v1/penalty-estimate"
BN = 1_000_000_000


@pytest.fixture
def client(fresh: Fresh) -> Iterator[tuple[str, httpx.Client]]:
    with operator_api(fresh.gatehouse) as (server, api):
        yield server.url, api


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "violation_year": 2025,
        "revenues": [
            {"year": 2022, "amount_krw": 10 * BN},
            {"year": 2023, "amount_krw": 12 * BN},
            {"year": 2024, "amount_krw": 20 * BN},
        ],
        "excluded_krw": 2 * BN,
    }
    body.update(overrides)
    return body


def test_estimate_shows_each_step_with_its_source(client: tuple[str, httpx.Client]) -> None:
    _, api = client
    response = api.post(PATH, json=_body())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["informational"] is True
    assert body["locale"] == "ko"
    assert "법률 자문이 아닙니다" in body["disclaimer"]
    assert body["amount_krw"] == body["statutory_maximum_krw"] == 360_000_000
    steps = {step["key"]: step for step in body["steps"]}
    assert steps["average_revenue"]["amount_krw"] == 14 * BN
    assert steps["relevant_revenue"]["amount_krw"] == 12 * BN
    assert steps["statutory_maximum"]["formula"] == "12,000,000,000 × 3/100"
    assert steps["statutory_maximum"]["source"].startswith("「개인정보 보호법」 제64조의2제1항")
    assert set(body["sources"]) == {step["source"] for step in body["steps"]}

    english = api.post(PATH, params={"locale": "en"}, json=_body()).json()
    assert english["locale"] == "en" and "not legal advice" in english["disclaimer"]
    assert english["steps"][0]["label"] == "Average annual revenue"


def test_announced_base_and_no_revenue(client: tuple[str, httpx.Client]) -> None:
    _, api = client
    announced = api.post(PATH, json=_body(base="greater_of_previous_year_or_average")).json()
    assert announced["amount_krw"] == 540_000_000
    assert announced["base_status"] == "announced"
    none = api.post(PATH, json=_body(revenues=[], excluded_krw=0)).json()
    assert none["no_revenue"] is True
    assert none["amount_krw"] == 2 * BN


BAD_BODIES: list[tuple[dict[str, Any], str]] = [
    (_body(violation_year="2025"), "validation_error"),
    (_body(violation_year=2025.0), "validation_error"),
    (_body(violation_year=True), "validation_error"),
    (_body(violation_year=10**30), "validation_error"),
    (_body(excluded_krw=-1), "validation_error"),
    (_body(excluded_krw=10**30), "validation_error"),
    (_body(excluded_krw=1e20), "validation_error"),
    (_body(revenues=[{"year": 2024, "amount_krw": -5}]), "validation_error"),
    (_body(revenues=[{"year": 2024, "amount_krw": 10**19}]), "validation_error"),
    (_body(revenues=[{"year": 2024, "amount_krw": "1000"}]), "validation_error"),
    (_body(revenues=[{"year": 2024, "amount_krw": 1, "months": 13}]), "validation_error"),
    (_body(revenues=[{"year": 2024, "amount_krw": 1, "extra": 1}]), "validation_error"),
    (_body(revenues=[{"year": 2024, "amount_krw": 1}] * 11), "validation_error"),
    (_body(revenues="lots"), "validation_error"),
    (_body(factors=["Not A Key"]), "validation_error"),
    (_body(factors="first"), "validation_error"),
    (_body(surprise=1), "validation_error"),
    ({"revenues": []}, "validation_error"),
    (_body(factors=["cooperation"]), "unknown_factor"),
    (_body(seriousness="grave"), "unknown_seriousness"),
    (_body(base="last_year_only"), "unknown_base"),
    (_body(excluded_krw=15 * BN), "exclusion_exceeds_revenue"),
    (
        _body(revenues=[{"year": 2024, "amount_krw": 1}, {"year": 2023, "amount_krw": 1}]),
        "years_out_of_order",
    ),
    (_body(revenues=[{"year": 2025 - 4 + i, "amount_krw": 1} for i in range(4)]), "too_many_years"),
    (_body(revenues=[{"year": 2026, "amount_krw": 1}]), "years_not_before_violation"),
    (
        _body(
            revenues=[{"year": 2023, "amount_krw": 1}, {"year": 2024, "amount_krw": 1, "months": 6}]
        ),
        "invalid_months",
    ),
]


def test_every_bad_input_is_a_4xx_with_a_code(client: tuple[str, httpx.Client]) -> None:
    _, api = client
    for body, code in BAD_BODIES:
        response = api.post(PATH, json=body)
        assert 400 <= response.status_code < 500, (body, response.text)
        error = response.json()["error"]
        assert (error["code"], bool(error["message"])) == (code, True), body
    malformed = api.post(PATH, content=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "malformed_json"
    wrong_locale = api.post(PATH, params={"locale": "fr"}, json=_body())
    assert wrong_locale.status_code == 422


def test_the_operator_key_is_required(client: tuple[str, httpx.Client]) -> None:
    url, _ = client
    with api_client(url) as anonymous:
        response = anonymous.post(PATH, json=_body())
    assert response.status_code == 401
    assert response.json()["error"]["code"]
