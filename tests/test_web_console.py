"""The operator console over real HTTP: sign-in with an operator key, the five panels with
data made here, retrying a dead job, CSRF, languages, and the session table's migration."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, update

from gatehouse.services import outbox
from gatehouse.services.access import issue_operator_key
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.tables import api_keys, metadata
from gatehouse.store.web_tables import console_sessions
from gatehouse.web.site import text
from tests.conftest import Clock, Fresh, LiveServer
from tests.support.factories import subject_body
from tests.support.gateway import Seller, allowed_transfer, consent, new_order, new_seller
from tests.support.gateway import publish_terms as publish
from tests.support.operator_profiles import profile_body
from tests.support.outbox import dead_webhook_job
from tests.support.server import operator_api
from tests.test_web_portal import PortalClient, hidden, set_cookie_header

PROFILE = "/v1/operator/profile"


class Console(PortalClient):
    """A browser-like client that signs in to the console."""

    def login(self, api_key: str) -> httpx.Response:
        form = self.get("/console/login")
        assert form.status_code == 200, form.text
        return self.post(
            "/console/login", data={"api_key": api_key, "nonce": hidden(form.text, "nonce")}
        )

    def dashboard(self) -> str:
        page = self.get("/console")
        assert page.status_code == 200, page.text
        return page.text


@pytest.fixture
def console(live_server: LiveServer) -> Iterator[Console]:
    client = Console(live_server.url)
    yield client
    client.close()


@pytest.fixture
def sellers() -> Iterator[list[Seller]]:
    made: list[Seller] = []
    yield made
    for seller in made:
        seller.client.close()


def count_in(html: str, attribute: str, value: str) -> int:
    """The count cell of the row ``<tr data-<attribute>="<value>">``, 0 when there is none."""
    match = re.search(
        rf'<tr data-{attribute}="{re.escape(value)}">.*?<td class="count">(\d+)</td>', html, re.S
    )
    return int(match.group(1)) if match else 0


def customer_request(api: httpx.Client, base_url: str, kind: str) -> tuple[str, str]:
    """A new customer files a request through the customer API; (subject id, request id)."""
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
    filed = httpx.post(
        f"{base_url}/v1/me/requests",
        headers={"Authorization": f"Bearer {token}"},
        json={"type": kind, "message": "제 개인정보 처리 내역을 알려 주세요."},
    )
    assert filed.status_code == 201, filed.text
    return subject_id, str(filed.json()["id"])


def deleted_customer(api: httpx.Client, seller: Seller) -> str:
    """A customer whose data went to ``seller`` deletes the account; the erasure's id."""
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    consent(api, subject_id, seller)
    allowed_transfer(api, subject_id, seller)
    deleted = api.delete(f"/v1/subjects/{subject_id}")
    assert deleted.status_code == 202, deleted.text
    (notice,) = [n for n in deleted.json()["erasure_notices"] if n["recipient_id"] == seller.id]
    return str(notice["erasure_id"])


# --- signing in ---------------------------------------------------------------------------


def test_an_operator_key_signs_in_and_a_recipient_key_does_not(
    console: Console,
    operator_key: str,
    api: httpx.Client,
    live_server: LiveServer,
    sellers: list[Seller],
    gatehouse: Gatehouse,
) -> None:
    assert console.get("/console").headers["location"] == "/console/login"
    sellers.append(new_seller(api, live_server.url, "CN", None))
    refused = console.login(sellers[0].key)
    assert refused.status_code == 401 and 'role="alert"' in refused.text
    assert "gh_console" not in console.cookies
    unknown = console.login("gh_op_" + "x" * 43)
    assert unknown.status_code == 401
    error = re.compile(r'<p class="error"[^>]*>(.*?)</p>', re.S)
    first, second = error.search(refused.text), error.search(unknown.text)
    assert first and second and first.group(1) == second.group(1)
    forged = console.post("/console/login", data={"api_key": operator_key})
    assert forged.status_code == 403 and "gh_console" not in console.cookies

    signed_in = console.login(operator_key)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console"
    header = set_cookie_header(signed_in, "gh_console")
    attributes = {part.strip().lower() for part in header.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/console"} <= attributes
    token = console.cookies["gh_console"]
    with gatehouse.engine.connect() as connection:
        row = connection.execute(
            select(console_sessions).where(
                console_sessions.c.token_hash == hashlib.sha256(token.encode()).hexdigest()
            )
        ).one()
    assert (row.expires_at - row.created_at) == timedelta(hours=8)
    html = console.dashboard()
    assert '<html lang="en">' in html and "Rights requests by due date" in html
    korean = console.get("/console?lang=ko")
    assert '<html lang="ko">' in korean.text and "오늘 처리할 일" in korean.text
    assert console.cookies["gh_lang"] == "ko"
    assert '<html lang="en">' in console.get("/console?lang=en").text
    # Recipient API keys see nothing here, and operator API routes are not the console.
    assert console.get("/console/nothing").status_code == 404
    assert api.get("/console").status_code == 303


def test_the_console_and_the_portal_share_one_sign_in_page(
    console: Console, live_server: LiveServer
) -> None:
    portal = PortalClient(live_server.url)
    try:
        pages = {
            "/console": console.get("/console/login?lang=ko"),
            "/recipient": portal.get("/recipient/login?lang=ko"),
        }
    finally:
        portal.close()
    labels = {"/console": "Operator API key", "/recipient": "Recipient API key"}
    nonces = {"/console": "gh_console_login", "/recipient": "gh_portal_login"}
    for path, page in pages.items():
        assert page.status_code == 200 and '<html lang="ko">' in page.text
        assert f'<form class="stacked" method="post" action="{path}/login">' in page.text
        assert f'<label for="api_key">{text("ko", labels[path])}</label>' in page.text
        header = set_cookie_header(page, nonces[path])
        assert f"path={path}/login" in header.lower() and "samesite=strict" in header.lower()
    # Each site frames it as its own.
    assert text("ko", "Gatehouse console") in pages["/console"].text
    assert text("ko", "Gatehouse recipient portal") in pages["/recipient"].text


def test_logout_and_a_revoked_key_end_the_session(console: Console, gatehouse: Gatehouse) -> None:
    key = issue_operator_key(gatehouse, gatehouse.clock(), label="console-test")
    assert console.login(key).status_code == 303
    html = console.dashboard()
    assert console.post("/console/logout").status_code == 403
    out = console.post("/console/logout", data={"csrf_token": hidden(html, "csrf_token")})
    assert out.status_code == 303 and out.headers["location"] == "/console/login?signed_out=1"
    assert console.get("/console").status_code == 303
    assert console.login(key).status_code == 303
    with gatehouse.engine.begin() as connection:
        connection.execute(
            update(api_keys)
            .where(api_keys.c.label == "console-test")
            .values(revoked_at=gatehouse.clock())
        )
    ended = console.get("/console")
    assert ended.status_code == 303 and ended.headers["location"] == "/console/login?expired=1"


# --- the five panels ----------------------------------------------------------------------


def test_the_panels_show_what_needs_attention(
    console: Console,
    operator_key: str,
    api: httpx.Client,
    live_server: LiveServer,
    gatehouse: Gatehouse,
    clock: Clock,
    sellers: list[Seller],
) -> None:
    terms = publish(api)
    # One seller gets the data, one is told to erase late, one is told to erase now.
    sellers.extend(new_seller(api, live_server.url, cc, terms) for cc in ("NZ", "MY", "MX"))
    nz, my, mx = sellers
    assert console.login(operator_key).status_code == 303
    before = console.dashboard()

    # Requests: one 11 days old (overdue), one 8 days old (day 7 flag), one new.
    _, late = customer_request(api, live_server.url, "access")
    old_erasure = deleted_customer(api, my)
    clock.advance(days=3)
    _, soon = customer_request(api, live_server.url, "complaint")
    clock.advance(days=8)
    _, fresh = customer_request(api, live_server.url, "correction")
    new_erasure = deleted_customer(api, mx)

    # Transfers: two more to New Zealand, and one refused for want of consent.
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    consent(api, subject_id, nz)
    allowed_transfer(api, subject_id, nz)
    allowed_transfer(api, subject_id, nz)
    refused = api.post(
        f"/v1/orders/{new_order(api, subject_id, mx)}/transfers",
        json={"purpose": "fulfilment", "flow": "provision"},
    )
    assert refused.status_code == 403

    # A dead job: a webhook for a recipient that has no webhook URL, run first.
    job_id = dead_webhook_job(gatehouse, mx.id, "console test")
    assert outbox.get_job(gatehouse, job_id).status.value == "dead"

    # The console session opened before the clock moved 11 days has ended.
    assert console.get("/console").status_code == 303
    assert console.login(operator_key).status_code == 303
    html = console.dashboard()

    # 1. Requests by due date, with the day-7 flag and the overdue marker.
    states = dict(
        re.findall(r'<tr class="request" id="request-([^"]+)" data-state="([a-z_]+)"', html)
    )
    assert states[late] == "overdue" and states[soon] == "due_soon" and states[fresh] == "on_time"
    order = [rid for rid in re.findall(r'id="request-([^"]+)"', html) if rid in (late, soon, fresh)]
    assert order == [late, soon, fresh]
    assert "Day 7: answer due soon" in html and "Overdue" in html
    soon_row = html.split(f'id="request-{soon}"', 1)[1].split("</tr>", 1)[0]
    assert "8 of 10 days" in soon_row

    # 2. Erasure acknowledgements outstanding: overdue first, then pending.
    statuses = dict(
        re.findall(r'<tr class="erasure" id="erasure-([^"]+)" data-status="([a-z]+)"', html)
    )
    assert statuses[old_erasure] == "overdue" and statuses[new_erasure] == "pending"

    # 3. The dead job, with a retry button that needs the CSRF token.
    assert f'id="job-{job_id}"' in html
    action = f"/console/jobs/{job_id}/retry"
    assert f'action="{action}"' in html
    assert console.post(action).status_code == 403
    retried = console.post(action, data={"csrf_token": hidden(html, "csrf_token")})
    assert (
        retried.status_code == 303 and retried.headers["location"] == "/console?done=retried#jobs"
    )
    assert outbox.get_job(gatehouse, job_id).status.value == "pending"
    assert f'id="job-{job_id}"' not in console.dashboard()
    again = console.post(action, data={"csrf_token": hidden(html, "csrf_token")})
    assert again.status_code == 409
    missing = console.post(
        "/console/jobs/job_nothing/retry", data={"csrf_token": hidden(html, "csrf_token")}
    )
    assert missing.status_code == 404

    # 4. Refused transfers by reason, and 5. allowed transfers by country, with the chart.
    assert (
        count_in(html, "refusal", "no_lawful_basis")
        == count_in(before, "refusal", "no_lawful_basis") + 1
    )
    # A deleted customer's transfers still count: they happened.
    assert count_in(html, "country", "NZ") == count_in(before, "country", "NZ") + 2
    assert count_in(html, "country", "MX") == count_in(before, "country", "MX") + 1
    assert re.search(r'<svg class="chart" id="console-countries" role="img"', html)
    assert 'data-label="New Zealand (NZ)"' in html

    korean = console.get("/console?lang=ko").text
    assert "7일차: 답변 기한 임박" in korean and "뉴질랜드 (NZ)" in korean


def test_migration_matches_the_console_table(gatehouse: Gatehouse) -> None:
    with gatehouse.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert [d for d in differences if "console_sessions" in repr(d)] == []


# --- the operator profile and the domestic agent ----------------------------------------------


def test_the_console_says_when_the_profile_or_the_domestic_agent_is_missing(
    fresh: Fresh,
) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        key = str(api.headers["Authorization"]).removeprefix("Bearer ")
        browser = Console(server.url)
        try:
            assert browser.login(key).status_code in (200, 303)
            page = browser.get("/console?lang=ko").text
            assert 'id="operator-profile"' in page and 'id="domestic-agent"' not in page
            assert text("ko", "Operator profile not set") in page

            agent = {"name": "바다마켓코리아 유한회사", "email": "agent@bada.example.kr"}
            assert api.put(PROFILE, json=profile_body(domestic_agent=agent)).status_code == 200
            page = browser.get("/console?lang=ko").text
            assert 'id="domestic-agent"' in page and 'id="operator-profile"' not in page
            assert "「개인정보 보호법」 제31조의2제1항" in page
            assert text("ko", "address (for a company, its place of business)") in page
            assert text("ko", "phone number") in page
            assert text("ko", "e-mail address") not in page

            assert api.put(PROFILE, json=profile_body()).status_code == 200
            page = browser.get("/console?lang=ko").text
            assert 'id="domestic-agent"' not in page and 'id="operator-profile"' not in page
        finally:
            browser.close()
