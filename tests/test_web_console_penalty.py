"""The console's penalty-estimate form over real HTTP, on each backend: the same arithmetic as
``POST /v1/penalty-estimate`` shown step by step with sources and the pack's disclaimer, the
pack's choices in the page's language, every refused figure named beside its field (422,
never a 500), CSRF, the sign-in, and nothing of the figures in the logs.

The seriousness level and the factors are made for these tests and labelled as such; the
shipped pack declares none (see the ``[penalty]`` comment in kr-pipa.toml), and one test
runs on it to show what the page says then.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatehouse.config import Settings
from gatehouse.domain.penalty import MAX_KRW
from gatehouse.rules import PACKS_DIR
from gatehouse.services.access import issue_operator_key
from gatehouse.services.runtime import open_gatehouse
from gatehouse.vault import MasterKey
from tests.conftest import Clock, Fresh, fresh_backend
from tests.support.server import LiveServer, api_client, operator_api
from tests.test_web_console import Console
from tests.test_web_portal import hidden

PATH = "/console/penalty"
BN = 1_000_000_000
TEST_SOURCE = "test-only figure, not from any notice"
TEST_RULES = f"""
[penalty.seriousness.test_level]
label = {{ ko = "시험용 중대성 단계", en = "Test seriousness level" }}
source = "{TEST_SOURCE}"
rate = {{ numerator = 2, denominator = 100, source = "{TEST_SOURCE}" }}

[penalty.factors.test_first_up]
label = {{ ko = "시험용 가중 요소", en = "Test aggravating factor" }}
source = "{TEST_SOURCE}"
stage = "first_adjustment"
percent = 50

[penalty.factors.test_reduce]
label = {{ ko = "시험용 감경 요소", en = "Test mitigating factor" }}
source = "{TEST_SOURCE}"
stage = "reduction"
percent = -30
"""

FORM = {
    "violation_year": "2025",
    "revenue.1.year": "2022",
    "revenue.1.amount_krw": "10,000,000,000",
    "revenue.2.year": "2023",
    "revenue.2.amount_krw": "12000000000",
    "revenue.3.year": "2024",
    "revenue.3.amount_krw": "20,000,000,000",
    "excluded_krw": "2,000,000,000",
}
API_BODY: dict[str, Any] = {
    "violation_year": 2025,
    "revenues": [
        {"year": 2022, "amount_krw": 10 * BN},
        {"year": 2023, "amount_krw": 12 * BN},
        {"year": 2024, "amount_krw": 20 * BN},
    ],
    "excluded_krw": 2 * BN,
}


@dataclass
class Signed:
    browser: Console
    api: httpx.Client

    def post(self, data: dict[str, Any], *, lang: str = "en") -> httpx.Response:
        """Post the form as the page does, in ``lang`` (the module's browser remembers one)."""
        page = self.browser.get(PATH)
        assert page.status_code == 200, page.text
        form = {**data, "csrf_token": hidden(page.text, "csrf_token")}
        return self.browser.post(f"{PATH}?lang={lang}", data=form)


def _signed(server: LiveServer, api: httpx.Client) -> Console:
    key = str(api.headers["Authorization"]).removeprefix("Bearer ")
    browser = Console(server.url)
    assert browser.login(key).status_code in (200, 303)
    return browser


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def signed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Signed]:
    """A console signed in on a Gatehouse whose pack has a test level and test factors."""
    rules: Path = tmp_path_factory.mktemp("pack")
    shipped = (PACKS_DIR / "kr-pipa.toml").read_text(encoding="utf-8")
    (rules / "kr-pipa.toml").write_text(shipped + TEST_RULES, encoding="utf-8")
    for backend in fresh_backend(request.param, tmp_path_factory):
        env = {
            "GATEHOUSE_DATABASE_URL": backend.url,
            "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64(),
            "GATEHOUSE_RULES_DIR": str(rules),
        }
        gh = open_gatehouse(Settings.from_env(env), clock=Clock())
        key = issue_operator_key(gh, gh.clock(), label="penalty form")
        headers = {"Authorization": f"Bearer {key}"}
        with (
            LiveServer(gh) as server,
            api_client(server.url, headers=headers) as api,
        ):
            browser = _signed(server, api)
            try:
                yield Signed(browser, api)
            finally:
                browser.close()
        gh.close()


def _rows(page: str) -> dict[str, list[str]]:
    """The result table: each step's key and its cells (label, amount, formula, source)."""
    rows = {}
    for key, body in re.findall(r'<tr class="step" data-step="([a-z_]+)">(.*?)</tr>', page, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", body, re.S)
        rows[key] = [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]
    return rows


def _same_as_the_api(signed: Signed, page: str, body: dict[str, Any], locale: str) -> None:
    """Every step of the page is the API's step: label, amount, formula and source."""
    answer = signed.api.post("/v1/penalty-estimate", params={"locale": locale}, json=body)
    assert answer.status_code == 200, answer.text
    expected = answer.json()
    rows = _rows(page)
    assert list(rows) == [step["key"] for step in expected["steps"]]
    for step in expected["steps"]:
        shown = [step["label"], f"{step['amount_krw']:,}", step["formula"], step["source"]]
        assert rows[step["key"]] == shown
    assert html.escape(expected["disclaimer"], quote=False) in page


# --- the estimate ---------------------------------------------------------------------------


def test_the_form_offers_the_packs_choices_in_the_pages_language(signed: Signed) -> None:
    page = signed.browser.get(PATH + "?lang=en")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    text = page.text
    for name in ("violation_year", "revenue.3.amount_krw", "revenue.1.months", "excluded_krw"):
        assert f'name="{name}"' in text
    assert 'name="revenue.4.year"' not in text  # the pack averages three years
    assert 'value="test_first_up"' in text
    assert "Test aggravating factor (+50%, First adjustment)" in text
    assert "Test mitigating factor (-30%, Reductions)" in text
    assert re.search(r'id="base-three_year_average"[^>]*checked', text)
    assert "not legal advice" in text
    korean = signed.browser.get(PATH + "?lang=ko")
    assert korean.headers["content-language"] == "ko"
    assert "시험용 가중 요소 (+50%, 1차 조정)" in korean.text
    assert "법률 자문이 아닙니다" in korean.text
    assert "과징금 추정액" in korean.text
    assert "<style" not in text and "<script" not in text


def test_an_estimate_shows_every_step_as_the_api_computes_it(signed: Signed) -> None:
    shown = signed.post(FORM)
    assert shown.status_code == 200, shown.text
    _same_as_the_api(signed, shown.text, API_BODY, "en")
    rows = _rows(shown.text)
    assert rows["statutory_maximum"][2] == "12,000,000,000 × 3/100"
    assert rows["statutory_maximum"][3].startswith("「개인정보 보호법」 제64조의2제1항")
    assert "Estimated surcharge: KRW 360,000,000" in shown.text
    assert 'id="no-seriousness"' in shown.text
    # The figures stay in the form, to be changed and estimated again.
    assert 'value="20,000,000,000"' in shown.text


def test_a_level_and_factors_apply_in_the_notices_order_in_korean(signed: Signed) -> None:
    form = {**FORM, "seriousness": "test_level", "factor": ["test_reduce", "test_first_up"]}
    shown = signed.post(form, lang="ko")
    assert shown.status_code == 200, shown.text
    body = {**API_BODY, "seriousness": "test_level", "factors": ["test_reduce", "test_first_up"]}
    _same_as_the_api(signed, shown.text, body, "ko")
    rows = _rows(shown.text)
    # 12 bn × 2/100 = 240 m; +50% = 360 m; −30% = 252 m, under the 360 m cap.
    assert rows["first_adjustment"][1] == "360,000,000"
    assert rows["reduction"][1] == "252,000,000"
    assert "추정 과징금: 252,000,000원" in shown.text
    assert 'id="no-seriousness"' not in shown.text
    assert re.search(r'id="factor-test_reduce"[^>]*checked', shown.text)
    assert re.search(r'id="seriousness-test_level"[^>]*checked', shown.text)


def test_the_announced_base_says_it_is_not_the_decree_in_force(signed: Signed) -> None:
    shown = signed.post({**FORM, "base": "greater_of_previous_year_or_average"})
    assert shown.status_code == 200, shown.text
    assert 'id="announced"' in shown.text
    assert _rows(shown.text)["rounded"][1] == "540,000,000"


def test_no_revenue_starts_from_the_provisos_cap(signed: Signed) -> None:
    form = {"violation_year": "2025", "no_revenue": "on", "excluded_krw": ""}
    shown = signed.post(form)
    assert shown.status_code == 200, shown.text
    _same_as_the_api(signed, shown.text, {"violation_year": 2025, "revenues": []}, "en")
    assert "Estimated surcharge: KRW 2,000,000,000" in shown.text
    assert 'id="no-revenue-applied"' in shown.text


def test_a_business_that_began_in_the_violation_year_gives_that_year_alone(
    signed: Signed,
) -> None:
    form = {
        "violation_year": "2025",
        "revenue.2.year": "2025",
        "revenue.2.amount_krw": "6,000,000,000",
        "revenue.2.months": "6",
    }
    shown = signed.post(form)
    assert shown.status_code == 200, shown.text
    body = {"violation_year": 2025, "revenues": [{"year": 2025, "amount_krw": 6 * BN, "months": 6}]}
    _same_as_the_api(signed, shown.text, body, "en")
    assert _rows(shown.text)["average_revenue"][1] == "12,000,000,000"


def test_the_years_may_be_typed_in_any_order(signed: Signed) -> None:
    form = {
        **FORM,
        "revenue.1.year": "2024",
        "revenue.1.amount_krw": FORM["revenue.3.amount_krw"],
        "revenue.3.year": "2022",
        "revenue.3.amount_krw": FORM["revenue.1.amount_krw"],
    }
    shown = signed.post(form)
    assert shown.status_code == 200, shown.text
    _same_as_the_api(signed, shown.text, API_BODY, "en")


# --- refused figures ------------------------------------------------------------------------

TOO_LARGE = f"Too large: at most {MAX_KRW:,} won."
BAD_FORMS: list[tuple[dict[str, Any], str, str]] = [
    ({**FORM, "revenue.3.amount_krw": "lots"}, "revenue.3.amount_krw", "whole number of won"),
    ({**FORM, "revenue.2.amount_krw": "-5"}, "revenue.2.amount_krw", "Must not be negative."),
    ({**FORM, "excluded_krw": "-1"}, "excluded_krw", "Must not be negative."),
    ({**FORM, "revenue.1.amount_krw": str(MAX_KRW + 1)}, "revenue.1.amount_krw", TOO_LARGE),
    ({**FORM, "excluded_krw": "9" * 60}, "excluded_krw", TOO_LARGE),
    ({**FORM, "revenue.1.amount_krw": "1e20"}, "revenue.1.amount_krw", "whole number of won"),
    ({**FORM, "revenue.1.amount_krw": "²"}, "revenue.1.amount_krw", "whole number of won"),
    ({**FORM, "revenue.1.amount_krw": "١٢"}, "revenue.1.amount_krw", "whole number of won"),
    ({**FORM, "violation_year": ""}, "violation_year", "Enter a year between 1900 and 2999"),
    ({**FORM, "violation_year": "20255"}, "violation_year", "Enter a year between 1900"),
    ({**FORM, "revenue.1.months": "13"}, "revenue.1.months", "months from 1 to 12"),
    ({**FORM, "revenue.1.months": "0"}, "revenue.1.months", "months from 1 to 12"),
    ({**FORM, "revenue.3.months": "6"}, "revenue.3.months", "Only the first business year"),
    ({**FORM, "revenue.2.year": ""}, "revenue.2.year", "Enter the business year"),
    ({**FORM, "revenue.2.amount_krw": ""}, "revenue.2.amount_krw", "Enter the revenue of this"),
    ({**FORM, "revenue.2.year": "2022"}, "revenue.2.year", "entered twice"),
    ({**FORM, "revenue.1.year": "2021"}, "revenue.2.year", "with no gap"),
    ({**FORM, "violation_year": "2026"}, "revenue.3.year", "must be 2025, the year before"),
    (
        {"violation_year": "2025", "excluded_krw": "0"},
        "revenue.1.year",
        "Enter the revenue of at least one business year",
    ),
    ({**FORM, "no_revenue": "on"}, "no_revenue", "Leave the years empty"),
    ({**FORM, "excluded_krw": "15,000,000,000"}, "excluded_krw", "excluded revenue is larger"),
    ({**FORM, "base": "last_year_only"}, "base", "Choose one of the listed options."),
    ({**FORM, "seriousness": "grave"}, "seriousness", "Choose one of the listed options."),
    ({**FORM, "factor": ["cooperation"]}, "factor", "Choose only the listed factors"),
    ({**FORM, "factor": ["test_reduce", "test_reduce"]}, "factor", "each once"),
]


@pytest.mark.parametrize(("form", "field", "message"), BAD_FORMS)
def test_a_refused_figure_is_named_beside_its_field(
    signed: Signed, form: dict[str, Any], field: str, message: str
) -> None:
    refused = signed.post(form)
    assert refused.status_code == 422, refused.text
    error = re.search(rf'<p class="error" id="error-{re.escape(field)}">(.*?)</p>', refused.text)
    assert error, f"no message beside {field}"
    assert message in html.unescape(error.group(1))
    assert re.search(rf'id="f-{re.escape(field)}"[^>]*aria-invalid="true"', refused.text)
    assert 'id="result"' not in refused.text


def test_a_refusal_is_said_in_korean_on_a_korean_page(signed: Signed) -> None:
    refused = signed.post({**FORM, "revenue.2.amount_krw": "-5"}, lang="ko")
    assert refused.status_code == 422
    assert "0 이상의 금액을 입력하십시오." in refused.text


def test_a_form_that_is_not_the_consoles_own_is_refused(signed: Signed) -> None:
    forged = signed.browser.post(PATH, data={**FORM, "csrf_token": "forged"})
    assert forged.status_code == 403 and 'id="result"' not in forged.text
    missing = signed.browser.post(PATH, data=FORM)
    assert missing.status_code == 403


def test_the_figures_are_not_logged(signed: Signed, caplog: pytest.LogCaptureFixture) -> None:
    secret = "31,415,926,535"
    with caplog.at_level(logging.DEBUG):
        assert signed.post({**FORM, "revenue.3.amount_krw": secret}).status_code == 200
        assert signed.post({**FORM, "revenue.3.amount_krw": "x" + secret}).status_code == 422
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert secret not in logged and secret.replace(",", "") not in logged


# --- the shipped pack, and signing in ---------------------------------------------------------


def test_with_the_shipped_pack_the_estimate_is_the_statutory_maximum(fresh: Fresh) -> None:
    with operator_api(fresh.gatehouse) as (server, api):
        browser = _signed(server, api)
        try:
            page = browser.get(PATH).text
            assert 'id="no-levels"' in page and 'id="no-factors"' in page
            assert 'name="factor"' not in page and 'name="seriousness"' not in page
            shown = Signed(browser, api).post(FORM)
            assert shown.status_code == 200, shown.text
            rows = _rows(shown.text)
            assert rows["rounded"][1] == rows["statutory_maximum"][1] == "360,000,000"
            refused = Signed(browser, api).post({**FORM, "factor": ["test_reduce"]})
            assert refused.status_code == 422 and 'id="error-factor"' in refused.text
        finally:
            browser.close()


def _without_penalty(pack: str) -> str:
    """The pack's text with its ``[penalty]`` tables taken out."""
    kept, skipping = [], False
    for line in pack.splitlines(keepends=True):
        if line.startswith("["):
            skipping = line.startswith(("[penalty]", "[penalty."))
        if not skipping:
            kept.append(line)
    return "".join(kept)


def test_without_penalty_rules_the_page_says_no_estimate_can_be_made(
    fresh: Fresh, tmp_path: Path
) -> None:
    shipped = (PACKS_DIR / "kr-pipa.toml").read_text(encoding="utf-8")
    (tmp_path / "kr-pipa.toml").write_text(_without_penalty(shipped), encoding="utf-8")
    env = {
        "GATEHOUSE_DATABASE_URL": fresh.backend.url,
        "GATEHOUSE_MASTER_KEY": fresh.master_key.to_b64(),
        "GATEHOUSE_RULES_DIR": str(tmp_path),
    }
    gh = open_gatehouse(Settings.from_env(env), clock=fresh.clock)
    try:
        assert gh.packs.for_country("KR").penalty is None
        with operator_api(gh) as (server, api):
            browser = _signed(server, api)
            try:
                page = browser.get(PATH)
                assert page.status_code == 404 and "no estimate can be made" in page.text
                assert 'name="violation_year"' not in page.text
                form = {**FORM, "csrf_token": hidden(browser.get("/console").text, "csrf_token")}
                posted = browser.post(PATH, data=form)
                assert posted.status_code == 404 and 'id="result"' not in posted.text
            finally:
                browser.close()
    finally:
        gh.close()


def test_signed_out_the_form_sends_to_the_login(fresh: Fresh) -> None:
    with (
        operator_api(fresh.gatehouse) as (server, _),
        api_client(server.url) as anon,
    ):
        assert anon.get(PATH).headers["location"] == "/console/login"
        assert anon.post(PATH, data=FORM).headers["location"] == "/console/login"
