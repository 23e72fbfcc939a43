"""The recipient portal over real HTTP: sign-in, cookies, languages, views, erasures, CSRF.

The session cookie is Secure, and httpx (rightly) never sends a Secure cookie over plain
http, so :class:`PortalClient` keeps the cookies itself, as a browser on localhost would.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.tables import api_keys, metadata
from gatehouse.store.web_tables import portal_sessions
from gatehouse.web.i18n import LOCALE_DIR, SUPPORTED_LOCALES
from tests.conftest import Clock, LiveServer
from tests.support.factories import TERMS_CLAUSES, recipient_body, subject_body, unique
from tests.support.server import api_client

WEB_DIR = LOCALE_DIR.parent
SAFE_NUMBER = re.compile(r"0505-\d{4}-\d{4}")
DELIVERY_NOTE = "문 앞에 두세요. 부재 시 010-9876-5432 로 연락, 메일 buyer@example.kr"


class PortalClient:
    """An HTTP client that keeps cookies like a browser on localhost, Secure ones included."""

    def __init__(self, base_url: str) -> None:
        self.http = api_client(base_url, follow_redirects=False)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, url, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def login(self, api_key: str) -> httpx.Response:
        """Load the sign-in form, then send it with the key."""
        form = self.get("/recipient/login")
        assert form.status_code == 200, form.text
        return self.post(
            "/recipient/login", data={"api_key": api_key, "nonce": hidden(form.text, "nonce")}
        )

    def close(self) -> None:
        self.http.close()


def hidden(html: str, name: str) -> str:
    """The value of the first hidden field ``name`` in a page."""
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no hidden field {name!r}"
    return match.group(1)


def set_cookie_header(response: httpx.Response, name: str) -> str:
    """The Set-Cookie header that sets ``name``."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no Set-Cookie for {name}")


@dataclass
class Scenario:
    """A seller in good standing with one open view of a Korean buyer's order."""

    seller_id: str
    api_key: str
    subject: dict[str, Any]
    subject_id: str
    order_id: str
    order_ref: str
    transfer_id: str


def publish_terms(api: httpx.Client) -> str:
    """Publish a new current terms version and return it."""
    version = f"portal{unique()}"
    response = api.post("/v1/terms", json={"version": version, "clauses": TERMS_CLAUSES})
    assert response.status_code == 201, response.text
    return version


def new_seller(api: httpx.Client, base_url: str, terms: str | None) -> tuple[str, str]:
    """Register a seller and (when ``terms`` is given) accept them with its own key."""
    created = api.post("/v1/recipients", json=recipient_body(country="CN")).json()
    if terms:
        accepted = httpx.post(
            f"{base_url}/v1/recipient/terms/{terms}/accept",
            headers={"Authorization": f"Bearer {created['api_key']}"},
        )
        assert accepted.status_code == 200, accepted.text
    return str(created["id"]), str(created["api_key"])


def allowed_transfer(
    api: httpx.Client, seller_id: str, **subject_overrides: Any
) -> tuple[dict[str, Any], str, str, str, str]:
    """A consenting buyer, an order to the seller and its allowed transfer."""
    body = subject_body(**subject_overrides)
    subject_id = api.post("/v1/subjects", json=body).json()["id"]
    notice = api.get(
        "/v1/notices/render",
        params={"subject_id": subject_id, "recipient_id": seller_id, "purpose": "fulfilment"},
    ).json()
    consent = api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": notice["notice_hash"], "granted": True, "channel": "web"},
    )
    assert consent.status_code == 201, consent.text
    order_ref = f"AE-{unique()}"
    order = api.post(
        "/v1/orders",
        json={
            "subject_id": subject_id,
            "recipient_id": seller_id,
            "external_ref": order_ref,
            "items": [{"sku": "CASE-01", "name": "휴대폰 케이스", "quantity": 2}],
            "delivery_note": DELIVERY_NOTE,
            "customs_required": False,
        },
    )
    assert order.status_code == 201, order.text
    order_id = str(order.json()["id"])
    transfer = api.post(
        f"/v1/orders/{order_id}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert transfer.status_code == 201, transfer.text
    return body, subject_id, order_id, order_ref, str(transfer.json()["transfer_id"])


def open_view(api: httpx.Client, base_url: str) -> Scenario:
    """Terms, a seller that accepted them, and an allowed transfer to it."""
    terms = publish_terms(api)
    seller_id, key = new_seller(api, base_url, terms)
    body, subject_id, order_id, order_ref, transfer_id = allowed_transfer(
        api, seller_id, name="홍길동", phone="010-2468-1357"
    )
    return Scenario(seller_id, key, body, subject_id, order_id, order_ref, transfer_id)


def pending_erasure(api: httpx.Client, seller_id: str) -> str:
    """Another buyer whose data went to the seller deletes their account; the erasure's id."""
    _body, subject_id, *_ = allowed_transfer(api, seller_id)
    deleted = api.delete(f"/v1/subjects/{subject_id}")
    assert deleted.status_code == 202, deleted.text
    notices = [n for n in deleted.json()["erasure_notices"] if n["recipient_id"] == seller_id]
    assert len(notices) == 1
    return str(notices[0]["erasure_id"])


def view_reads(api: httpx.Client, subject_id: str) -> int:
    """How many ``view.read`` entries the ledger holds for a subject."""
    response = api.get("/v1/ledger/entries", params={"subject_id": subject_id, "limit": 200})
    assert response.status_code == 200, response.text
    return sum(1 for entry in response.json()["items"] if entry["kind"] == "view.read")


@pytest.fixture
def scenario(api: httpx.Client, live_server: LiveServer) -> Scenario:
    return open_view(api, live_server.url)


@pytest.fixture
def portal(live_server: LiveServer) -> Iterator[PortalClient]:
    client = PortalClient(live_server.url)
    yield client
    client.close()


def signed_in(portal: PortalClient, key: str) -> str:
    """Sign in and return the dashboard's HTML."""
    assert portal.login(key).status_code == 303
    page = portal.get("/recipient")
    assert page.status_code == 200, page.text
    return page.text


# --- signing in ---------------------------------------------------------------------------


def test_login_sets_a_secure_httponly_strict_cookie_and_stores_only_its_hash(
    portal: PortalClient, scenario: Scenario, gatehouse: Gatehouse
) -> None:
    response = portal.login(scenario.api_key)
    assert response.status_code == 303
    assert response.headers["location"] == "/recipient"
    header = set_cookie_header(response, "gh_portal")
    attributes = {part.strip().lower() for part in header.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/recipient"} <= attributes
    token = portal.cookies["gh_portal"]
    assert len(token) >= 40
    with gatehouse.engine.connect() as connection:
        row = connection.execute(
            select(portal_sessions).where(
                portal_sessions.c.token_hash == hashlib.sha256(token.encode()).hexdigest()
            )
        ).one()
    assert row.recipient_id == scenario.seller_id
    assert (row.expires_at - row.created_at).total_seconds() == 8 * 3600
    assert token not in repr(tuple(row))
    dashboard = portal.get("/recipient")
    assert dashboard.status_code == 200
    assert dashboard.headers["cache-control"] == "no-store"
    assert scenario.order_ref in dashboard.text


def test_a_wrong_key_gets_the_form_again_with_401_and_no_hint(
    portal: PortalClient, api: httpx.Client, operator_key: str, live_server: LiveServer
) -> None:
    unknown = portal.login("gh_rk_" + "x" * 43)
    assert unknown.status_code == 401
    assert 'name="api_key"' in unknown.text and 'role="alert"' in unknown.text
    assert "gh_portal=" not in " ".join(unknown.headers.get_list("set-cookie"))
    # An operator key and a revoked-looking garbage key get exactly the same answer.
    operator = portal.login(operator_key)
    assert operator.status_code == 401
    error = re.compile(r'<p class="error"[^>]*>(.*?)</p>', re.S)
    unknown_error, operator_error = error.search(unknown.text), error.search(operator.text)
    assert unknown_error and operator_error
    assert unknown_error.group(1) == operator_error.group(1)
    assert operator_key not in operator.text
    assert portal.get("/recipient").status_code == 303


def test_the_login_form_must_come_from_our_page(portal: PortalClient, scenario: Scenario) -> None:
    forged = portal.post("/recipient/login", data={"api_key": scenario.api_key})
    assert forged.status_code == 403
    assert "gh_portal" not in portal.cookies


def test_pages_render_in_english_and_korean_and_remember_the_choice(
    portal: PortalClient, scenario: Scenario
) -> None:
    english = signed_in(portal, scenario.api_key)
    assert '<html lang="en">' in english and "Open views" in english
    korean = portal.get("/recipient?lang=ko")
    assert '<html lang="ko">' in korean.text and "열람 가능한 주문" in korean.text
    assert "Open views" not in korean.text
    assert korean.headers["content-language"] == "ko"
    assert portal.cookies["gh_lang"] == "ko"
    remembered = portal.get(f"/recipient/transfers/{scenario.transfer_id}")
    assert '<html lang="ko">' in remembered.text and "받는 분" in remembered.text
    back = portal.get("/recipient?lang=en")
    assert '<html lang="en">' in back.text and portal.cookies["gh_lang"] == "en"
    login_ko = portal.http.get("/recipient/login?lang=ko")
    assert '<html lang="ko">' in login_ko.text and "로그인" in login_ko.text


def test_static_css_is_served_by_gatehouse(anonymous: httpx.Client) -> None:
    response = anonymous.get("/static/portal.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


# --- views --------------------------------------------------------------------------------


def test_a_view_page_shows_only_the_masked_view_and_is_ledgered(
    portal: PortalClient, scenario: Scenario, api: httpx.Client
) -> None:
    signed_in(portal, scenario.api_key)
    before = view_reads(api, scenario.subject_id)
    page = portal.get(f"/recipient/transfers/{scenario.transfer_id}")
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert "홍*동" in html and "홍길동" not in html
    assert SAFE_NUMBER.search(html)
    assert scenario.subject["address"]["line1"] in html
    assert "문 앞에 두세요" in html
    for secret in ("2468-1357", "010-9876-5432", "buyer@example.kr", scenario.subject["email"]):
        assert secret not in html
    assert scenario.subject["customs_code"] not in html and 'id="field-customs_code"' not in html
    assert view_reads(api, scenario.subject_id) == before + 1


def test_a_closed_view_says_so_with_410_and_its_reason(
    portal: PortalClient, scenario: Scenario, api: httpx.Client
) -> None:
    cancelled = api.post(f"/v1/orders/{scenario.order_id}/events", json={"type": "cancelled"})
    assert cancelled.status_code == 201, cancelled.text
    signed_in(portal, scenario.api_key)
    page = portal.get(f"/recipient/transfers/{scenario.transfer_id}")
    assert page.status_code == 410
    assert "This view is closed" in page.text and "The order was cancelled" in page.text
    assert "홍*동" not in page.text
    korean = portal.get(f"/recipient/transfers/{scenario.transfer_id}?lang=ko")
    assert korean.status_code == 410 and "주문이 취소되었습니다" in korean.text


def test_another_recipients_ids_are_404_pages(
    portal: PortalClient, scenario: Scenario, api: httpx.Client, live_server: LiveServer
) -> None:
    erasure_id = pending_erasure(api, scenario.seller_id)
    _other_id, other_key = new_seller(api, live_server.url, terms=None)
    html = signed_in(portal, other_key)
    transfer = portal.get(f"/recipient/transfers/{scenario.transfer_id}")
    assert transfer.status_code == 404 and "Not found" in transfer.text
    assert "홍*동" not in transfer.text
    ack = portal.post(
        f"/recipient/erasures/{erasure_id}/ack", data={"csrf_token": hidden(html, "csrf_token")}
    )
    assert ack.status_code == 404
    assert portal.get("/recipient/nothing-here").status_code == 404
    # The owner still sees its erasure pending: the other recipient's attempt changed nothing.
    owner = PortalClient(live_server.url)
    signed_in(owner, scenario.api_key)
    assert 'data-status="pending"' in owner.get("/recipient/erasures").text
    owner.close()


# --- erasures, terms, webhook -------------------------------------------------------------


def test_an_erasure_is_acknowledged_once_with_an_attestation(
    portal: PortalClient, scenario: Scenario, api: httpx.Client, live_server: LiveServer
) -> None:
    erasure_id = pending_erasure(api, scenario.seller_id)
    dashboard = signed_in(portal, scenario.api_key)
    assert 'href="/recipient/erasures"' in dashboard
    page = portal.get("/recipient/erasures")
    assert f'action="/recipient/erasures/{erasure_id}/ack"' in page.text
    form = {"csrf_token": hidden(page.text, "csrf_token"), "attestation": "Erased 2026-11-28."}
    done = portal.post(f"/recipient/erasures/{erasure_id}/ack", data=form)
    assert done.status_code == 303
    after = portal.get(done.headers["location"])
    assert 'data-status="acknowledged"' in after.text
    assert f'action="/recipient/erasures/{erasure_id}/ack"' not in after.text
    again = portal.post(f"/recipient/erasures/{erasure_id}/ack", data=form)
    assert again.status_code == 409
    listed = httpx.get(
        f"{live_server.url}/v1/recipient/erasures",
        headers={"Authorization": f"Bearer {scenario.api_key}"},
    ).json()["items"]
    assert [item["status"] for item in listed if item["id"] == erasure_id] == ["acknowledged"]


def test_new_terms_are_accepted_from_the_portal(
    portal: PortalClient, scenario: Scenario, api: httpx.Client
) -> None:
    version = publish_terms(api)
    dashboard = signed_in(portal, scenario.api_key)
    assert 'href="/recipient/terms"' in dashboard
    page = portal.get("/recipient/terms")
    assert f'action="/recipient/terms/{version}/accept"' in page.text
    accepted = portal.post(
        f"/recipient/terms/{version}/accept", data={"csrf_token": hidden(page.text, "csrf_token")}
    )
    assert accepted.status_code == 303
    assert "has accepted this version" in portal.get("/recipient/terms").text
    standing = api.get(f"/v1/recipients/{scenario.seller_id}").json()
    assert standing["eligible"] is True


def test_webhook_settings_are_changed_and_the_secret_rotated(
    portal: PortalClient, scenario: Scenario
) -> None:
    signed_in(portal, scenario.api_key)
    page = portal.get("/recipient/webhook")
    assert page.status_code == 200
    csrf = hidden(page.text, "csrf_token")
    bad = portal.post("/recipient/webhook", data={"csrf_token": csrf, "url": "ftp://x"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    url = f"https://hooks.example.cn/gatehouse/{unique()}"
    saved = portal.post("/recipient/webhook", data={"csrf_token": csrf, "url": url})
    assert saved.status_code == 303
    assert url in portal.get("/recipient/webhook").text
    rotated = portal.post("/recipient/webhook/rotate", data={"csrf_token": csrf})
    assert rotated.status_code == 200
    secret = re.search(r'id="new-secret">(whsec_[^<]+)<', rotated.text)
    assert secret
    assert secret.group(1) not in portal.get("/recipient/webhook").text


# --- CSRF, sign-out, expiry ---------------------------------------------------------------


def test_state_changing_posts_need_the_sessions_csrf_token(
    portal: PortalClient, scenario: Scenario, api: httpx.Client, live_server: LiveServer
) -> None:
    version = publish_terms(api)
    html = signed_in(portal, scenario.api_key)
    accept = f"/recipient/terms/{version}/accept"
    assert portal.post(accept).status_code == 403
    assert portal.post(accept, data={"csrf_token": "0" * 64}).status_code == 403
    # Another session's token does not work either: the token is tied to the session.
    other = PortalClient(live_server.url)
    other_html = signed_in(other, scenario.api_key)
    assert hidden(other_html, "csrf_token") != hidden(html, "csrf_token")
    stolen = portal.post(accept, data={"csrf_token": hidden(other_html, "csrf_token")})
    assert stolen.status_code == 403
    assert portal.post("/recipient/logout").status_code == 403
    assert portal.get("/recipient").status_code == 200  # still signed in
    assert api.get(f"/v1/recipients/{scenario.seller_id}").json()["eligible"] is False
    other.close()


def test_logout_revokes_the_session(
    portal: PortalClient, scenario: Scenario, gatehouse: Gatehouse
) -> None:
    html = signed_in(portal, scenario.api_key)
    token = portal.cookies["gh_portal"]
    out = portal.post("/recipient/logout", data={"csrf_token": hidden(html, "csrf_token")})
    assert out.status_code == 303 and out.headers["location"] == "/recipient/login?signed_out=1"
    assert "gh_portal" not in portal.cookies
    replay = portal.get("/recipient", headers={"Cookie": f"gh_portal={token}"})
    assert replay.status_code == 303 and replay.headers["location"].startswith("/recipient/login")
    with gatehouse.engine.connect() as connection:
        revoked_at = connection.execute(
            select(portal_sessions.c.revoked_at).where(
                portal_sessions.c.token_hash == hashlib.sha256(token.encode()).hexdigest()
            )
        ).scalar_one()
    assert revoked_at is not None


def test_a_session_ends_after_eight_hours(
    portal: PortalClient, scenario: Scenario, clock: Clock
) -> None:
    signed_in(portal, scenario.api_key)
    clock.advance(hours=7, minutes=59)
    assert portal.get("/recipient").status_code == 200
    clock.advance(hours=1, minutes=1)
    expired = portal.get("/recipient")
    assert expired.status_code == 303
    assert expired.headers["location"] == "/recipient/login?expired=1"
    assert "gh_portal" not in portal.cookies
    again = portal.get(expired.headers["location"])
    assert "Your session has ended" in again.text


def test_a_revoked_api_key_ends_its_portal_sessions(
    portal: PortalClient, scenario: Scenario, gatehouse: Gatehouse
) -> None:
    signed_in(portal, scenario.api_key)
    with gatehouse.engine.begin() as connection:
        connection.execute(
            api_keys.update()
            .where(api_keys.c.recipient_id == scenario.seller_id)
            .values(revoked_at=gatehouse.clock())
        )
    assert portal.get("/recipient").status_code == 303


def test_portal_pages_spend_the_keys_rate_limit(portal: PortalClient, scenario: Scenario) -> None:
    signed_in(portal, scenario.api_key)
    # The test clock stands still, so no token comes back: the burst runs out for good.
    statuses = [portal.get("/recipient/webhook").status_code for _ in range(101)]
    assert statuses[0] == 200 and statuses[-1] == 429
    limited = portal.get("/recipient/webhook")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "Too many requests" in limited.text


# --- catalogs and schema ------------------------------------------------------------------


def test_every_message_is_in_both_catalogs_and_translated_into_korean() -> None:
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    extracted = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(WEB_DIR), method_map, options, keywords
        )
    }
    assert len(extracted) > 50
    for locale in SUPPORTED_LOCALES:
        with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalog = read_po(po)
        ids = {message.id for message in catalog if message.id}
        assert extracted <= ids, f"{locale}: run pybabel update; missing {extracted - ids}"
        if locale == "ko":
            untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
            assert untranslated == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_compiled_catalogs_match_their_sources(locale: str) -> None:
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po:
        catalog = read_po(po)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert (folder / "messages.mo").read_bytes() == compiled.getvalue(), "run `make catalogs`"


def test_migration_matches_the_portal_tables(gatehouse: Gatehouse) -> None:
    with gatehouse.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert [d for d in differences if "portal_sessions" in repr(d)] == []
