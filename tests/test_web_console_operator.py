"""The console's operator pages over real HTTP, on each backend: the profile form (a new version
per save, a refused value named beside its field, CSRF) and the privacy-policy panel (publish
now, a missing item named, the version in force and an announced one)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import Fresh
from tests.support.operator_profiles import profile_body
from tests.support.register_rows import RegisterRows
from tests.support.server import api_client, operator_api
from tests.test_web_console import Console
from tests.test_web_portal import hidden

FORM = {
    "legal_name": "Hanbit Global Commerce Pte. Ltd.",
    "address": "1 Raffles Place, #20-01, Singapore 048616",
    "representative": "Tan Wei Ming",
    "privacy_officer.name": "임수진",
    "privacy_officer.title": "개인정보 보호책임자",
    "privacy_officer.department": "개인정보보호팀",
    "privacy_officer.phone": "02-6000-1234",
    "privacy_officer.email": "privacy@hanbit.example.com",
    "channel.web": "https://hanbit.example.com/privacy",
    "channel.email": "",
    "channel.phone": "02-6000-1234",
    "figures.total_revenue_krw": "2,000,000,000,000",
    "figures.korean_revenue_krw": "0",
    "figures.daily_korean_subjects": "10",
    "domestic_agent.name": "한빛글로벌코리아 유한회사 (대표 김하늘)",
    "domestic_agent.address": "서울특별시 중구 을지로 100, 10층",
    "domestic_agent.phone": "02-6000-4321",
    "domestic_agent.email": "agent@hanbit.example.kr",
}


@dataclass
class Signed:
    browser: Console
    api: httpx.Client


@pytest.fixture
def signed(fresh: Fresh) -> Iterator[Signed]:
    with operator_api(fresh.gatehouse) as (server, api):
        key = str(api.headers["Authorization"]).removeprefix("Bearer ")
        browser = Console(server.url)
        try:
            assert browser.login(key).status_code in (200, 303)
            yield Signed(browser, api)
        finally:
            browser.close()


def _post(signed: Signed, path: str, data: dict[str, str]) -> httpx.Response:
    page = signed.browser.get("/console/profile")
    return signed.browser.post(path, data={**data, "csrf_token": hidden(page.text, "csrf_token")})


def test_the_form_saves_a_new_version_that_the_api_reads(signed: Signed) -> None:
    empty = signed.browser.get("/console/profile")
    assert empty.status_code == 200 and 'name="legal_name"' in empty.text
    saved = _post(signed, "/console/profile", FORM)
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=saved")
    current = signed.api.get("/v1/operator/profile").json()
    assert current["version"] == 1
    profile = current["profile"]
    assert profile["legal_name"] == FORM["legal_name"]
    assert profile["figures"]["total_revenue_krw"] == 2_000_000_000_000
    assert [c["kind"] for c in profile["rights_channels"]] == ["web", "phone"]
    assert profile["domestic_agent"]["email"] == "agent@hanbit.example.kr"
    assert current["domestic_agent_status"]["missing"] == []
    again = signed.browser.get("/console/profile?done=saved").text
    assert "version 1" in again and 'value="Tan Wei Ming"' in again


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("privacy_officer.email", "not an address"),
        ("figures.total_revenue_krw", "lots"),
        ("channel.web", "http://insecure.example.com"),
        ("legal_name", "   "),
    ],
)
def test_a_refused_value_is_named_beside_its_field_and_nothing_is_saved(
    signed: Signed, field: str, value: str
) -> None:
    refused = _post(signed, "/console/profile", {**FORM, field: value})
    assert refused.status_code == 422, refused.text
    assert f'id="error-{field}"' in refused.text
    assert re.search(rf'id="f-{re.escape(field)}"[^>]*aria-invalid="true"', refused.text)
    assert signed.api.get("/v1/operator/profile").status_code == 404


def test_no_rights_channel_is_refused(signed: Signed) -> None:
    blank = {**FORM, "channel.web": "", "channel.phone": ""}
    refused = _post(signed, "/console/profile", blank)
    assert refused.status_code == 422 and 'id="error-channel.web"' in refused.text


def test_the_form_needs_the_sessions_csrf_token(signed: Signed) -> None:
    forged = signed.browser.post("/console/profile", data={**FORM, "csrf_token": "forged"})
    assert forged.status_code == 403
    assert signed.api.get("/v1/operator/profile").status_code == 404
    published = signed.browser.post("/console/policy/publish", data={"csrf_token": "x"})
    assert published.status_code == 403


def test_signed_out_the_pages_send_to_the_login(fresh: Fresh) -> None:
    with (
        operator_api(fresh.gatehouse) as (server, _),
        api_client(server.url) as anon,
    ):
        assert anon.get("/console/profile").status_code in (302, 303)
        assert anon.post("/console/profile", data=FORM).status_code in (302, 303)


def test_the_policy_panel_publishes_and_names_a_missing_item(signed: Signed, fresh: Fresh) -> None:
    page = signed.browser.dashboard()
    assert 'id="policy"' in page and "No version is in force yet." in page
    refused = _post(signed, "/console/policy/publish", {})
    assert refused.status_code == 303
    assert refused.headers["location"].endswith("policy_missing=controller#policy")
    shown = signed.browser.get(refused.headers["location"]).text
    assert "controller is missing or empty" in shown
    # Free text in the query is never echoed.
    injected = signed.browser.get("/console?policy_missing=<b>call+us</b>").text
    assert "call us" not in injected and "<b>" not in injected

    assert signed.api.put("/v1/operator/profile", json=profile_body()).status_code == 200
    RegisterRows(fresh.gatehouse.engine).recipient("Lotus Trading Co", country="CN")
    published = _post(signed, "/console/policy/publish", {})
    assert published.headers["location"].endswith("done=policy_published#policy")
    page = signed.browser.get("/console").text
    assert "Version 1 is in force" in page and 'href="/privacy-policy/v/1"' in page
    unchanged = _post(signed, "/console/policy/publish", {})
    assert unchanged.headers["location"].endswith("done=policy_unchanged#policy")

    RegisterRows(fresh.gatehouse.engine).recipient(
        "Rhein Parcel GmbH", country="DE", kind="logistics"
    )
    _post(signed, "/console/policy/publish", {})
    page = signed.browser.get("/console").text
    assert "Version 2 is announced" in page and 'href="/privacy-policy/v/2"' in page
