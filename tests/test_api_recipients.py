"""The recipient registry over HTTP: validation, eligibility, terms, suspension."""

from __future__ import annotations

import httpx
import pytest

from tests.support.factories import TERMS_CLAUSES, recipient_body, unique


@pytest.fixture
def current_terms(api: httpx.Client) -> str:
    version = f"t{unique()}"
    response = api.post("/v1/terms", json={"version": version, "clauses": TERMS_CLAUSES})
    assert response.status_code == 201, response.text
    return version


def test_create_normalises_contacts_and_returns_key_once(api: httpx.Client) -> None:
    response = api.post("/v1/recipients", json=recipient_body(country="cn"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["country"] == "CN"
    assert body["contact_phone"] == "+8613800138000"
    assert body["privacy_officer"]["phone"] == "+8613900139000"
    assert body["api_key"].startswith("gh_rk_")
    assert body["webhook_secret"].startswith("whsec_")
    again = api.get(f"/v1/recipients/{body['id']}").json()
    assert "api_key" not in again and "webhook_secret" not in again
    assert again["legal_name"] == body["legal_name"]


def test_incomplete_recipient_is_not_eligible_and_says_why(api: httpx.Client) -> None:
    body = recipient_body(contact_phone=None, contact_email=None, privacy_officer={})
    created = api.post("/v1/recipients", json=body).json()
    assert created["eligible"] is False
    assert "contact" in created["missing"]
    assert "privacy_officer_contact" in created["missing"]
    assert "legal_name" not in created["missing"]


def test_eligible_only_after_accepting_current_terms(
    api: httpx.Client, anonymous: httpx.Client, current_terms: str
) -> None:
    created = api.post("/v1/recipients", json=recipient_body()).json()
    assert created["eligible"] is False
    assert created["missing"] == ["accepted_terms"]
    headers = {"Authorization": f"Bearer {created['api_key']}"}
    shown = anonymous.get("/v1/recipient/terms/current", headers=headers)
    assert shown.status_code == 200 and shown.json()["version"] == current_terms
    accepted = anonymous.post(f"/v1/recipient/terms/{current_terms}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["eligible"] is True
    assert api.get(f"/v1/recipients/{created['id']}").json()["missing"] == []
    # A newer version makes the old acceptance stale, so eligibility drops until re-accepted.
    newer = f"t{unique()}"
    assert (
        api.post("/v1/terms", json={"version": newer, "clauses": TERMS_CLAUSES}).status_code == 201
    )
    stale = api.get(f"/v1/recipients/{created['id']}").json()
    assert stale["eligible"] is False and stale["missing"] == ["accepted_terms"]
    old = anonymous.post(f"/v1/recipient/terms/{current_terms}/accept", headers=headers)
    assert old.status_code == 409 and old.json()["error"]["code"] == "terms_not_current"


def test_terms_missing_clauses_are_each_named(api: httpx.Client) -> None:
    clauses = dict(TERMS_CLAUSES)
    del clauses["onward_transfer"]
    clauses["complaint_handling"] = " "
    response = api.post("/v1/terms", json={"version": f"t{unique()}", "clauses": clauses})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "terms_missing_clauses"
    missing = {item["clause"] for item in error["details"]["missing"]}
    assert missing == {"onward_transfer", "complaint_handling"}


def test_recipient_key_cannot_use_operator_endpoints(
    api: httpx.Client, anonymous: httpx.Client
) -> None:
    created = api.post("/v1/recipients", json=recipient_body()).json()
    headers = {"Authorization": f"Bearer {created['api_key']}"}
    response = anonymous.get("/v1/recipients", headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_audience"
    me = anonymous.get("/v1/recipient/me", headers=headers)
    assert me.status_code == 200 and me.json()["id"] == created["id"]


def test_suspend_and_resume_recipient_and_country(api: httpx.Client) -> None:
    created = api.post("/v1/recipients", json=recipient_body(country="VN")).json()
    suspended = api.post(f"/v1/recipients/{created['id']}/suspend", json={"reason": "audit"})
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["suspended_reason"] == "audit"
    listed = api.get("/v1/recipients", params={"status": "suspended", "country": "VN"}).json()
    assert created["id"] in {item["id"] for item in listed["items"]}
    assert api.post(f"/v1/recipients/{created['id']}/resume").json()["status"] == "active"

    country = api.post("/v1/countries/vn/suspend", json={"reason": "PIPC order"})
    assert country.status_code == 200 and country.json()["changed"] is True
    assert api.get(f"/v1/recipients/{created['id']}").json()["country_suspended"] is True
    assert api.post("/v1/countries/VN/suspend").json()["changed"] is False
    assert api.post("/v1/countries/VN/resume").json()["changed"] is True
    assert api.get(f"/v1/recipients/{created['id']}").json()["country_suspended"] is False


def test_list_paginates_with_cursor(api: httpx.Client) -> None:
    ids = {
        api.post("/v1/recipients", json=recipient_body(country="NZ")).json()["id"] for _ in range(5)
    }
    seen: list[str] = []
    cursor = None
    while True:
        params = {"country": "NZ", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get("/v1/recipients", params=params).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ids <= set(seen)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"country": "KOR"}, "invalid_country"),
        ({"country": "XX"}, "invalid_country"),
        ({"contact_phone": "12345"}, "invalid_phone"),
        ({"contact_email": "not-an-email"}, "invalid_email"),
        ({"purposes": ["marketing_spam"]}, "unknown_purpose"),
        ({"retention_days": 0}, "invalid_retention"),
        ({"webhook_url": "ftp://example.com/hook"}, "invalid_url"),
    ],
)
def test_invalid_recipient_fields(
    api: httpx.Client, override: dict[str, object], code: str
) -> None:
    response = api.post("/v1/recipients", json=recipient_body(**override))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


def test_unknown_recipient_is_404(api: httpx.Client) -> None:
    response = api.get("/v1/recipients/rcp_doesnotexist")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "recipient_not_found"
    assert api.post("/v1/recipients/rcp_nope/suspend").status_code == 404


# Recipients are named one by one (PIPA Art. 28-8(2) item 3)


@pytest.mark.parametrize(
    ("legal_name", "term"),
    [
        ("sellers", "sellers"),
        ("ＳＥＬＬＥＲＳ", "sellers"),
        ("All Sellers", "all sellers"),
        ("Overseas Partners", "overseas partners"),
        ("Various vendors, etc.", "vendors"),
        ("worldwide", "worldwide"),
        ("World-Wide", "worldwide"),
        ("해외 판매자", "해외 판매자"),
        ("해외판매자", "해외 판매자"),
        ("전 세계", "전 세계"),
        ("판매자 전체", "판매자 전체"),
        ("각국 판매자", "각국 판매자"),
        ("기타 판매자들 등", "판매자"),
        ("Overseas", "Overseas"),
    ],
)
def test_registration_refuses_group_names(api: httpx.Client, legal_name: str, term: str) -> None:
    response = api.post("/v1/recipients", json=recipient_body(legal_name=legal_name))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "group_name_not_allowed"
    assert "own legal name" in error["message"] and "Art. 28-8(2)" in error["message"]
    assert error["details"] == {
        "field": "legal_name",
        "term": term,
        "rule": "PIPA Art. 28-8(2) item 3",
    }


@pytest.mark.parametrize(
    "legal_name",
    [
        "Sellers Supply Co., Ltd.",
        "Global Logistics Pte. Ltd.",
        "Worldwide Express Inc.",
        "해외판매자코리아 주식회사",
    ],
)
def test_company_names_containing_a_group_word_are_registered(
    api: httpx.Client, legal_name: str
) -> None:
    response = api.post("/v1/recipients", json=recipient_body(legal_name=legal_name))
    assert response.status_code == 201, response.text
    assert response.json()["legal_name"] == legal_name


def test_renaming_to_a_group_name_is_refused(api: httpx.Client) -> None:
    created = api.post("/v1/recipients", json=recipient_body()).json()
    renamed = api.patch(f"/v1/recipients/{created['id']}", json={"legal_name": "판매자 전체"})
    assert renamed.status_code == 422
    assert renamed.json()["error"]["code"] == "group_name_not_allowed"
    assert (
        api.get(f"/v1/recipients/{created['id']}").json()["legal_name"] == (created["legal_name"])
    )
    fine = api.patch(f"/v1/recipients/{created['id']}", json={"legal_name": "Sellers Supply Co."})
    assert fine.status_code == 200 and fine.json()["legal_name"] == "Sellers Supply Co."
