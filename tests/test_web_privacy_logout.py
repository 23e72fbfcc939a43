"""Signing out of the privacy center: the session ends on the server, not just in the browser.

A cookie that a browser forgot could still be replayed by whoever copied it, so the test keeps
the old token and tries it again, as a cookie and as a bearer token for ``/v1/me``.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.customer_tables import customer_sessions
from tests.conftest import LiveServer
from tests.support.factories import subject_body
from tests.test_web_portal import PortalClient, hidden, set_cookie_header


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[PortalClient]:
    client = PortalClient(live_server.url)
    yield client
    client.close()


def signed_in_customer(api: httpx.Client, browser: PortalClient) -> tuple[str, str, str]:
    """Register a customer, follow a fresh link; return (subject id, cookie, home page)."""
    created = api.post("/v1/subjects", json=subject_body())
    assert created.status_code == 201, created.text
    subject_id = str(created.json()["id"])
    link = api.post(f"/v1/subjects/{subject_id}/sessions")
    assert link.status_code == 201, link.text
    entered = browser.get(str(link.json()["url"]))
    assert entered.status_code == 303, entered.text
    home = browser.get("/privacy")
    assert home.status_code == 200, home.text
    return subject_id, browser.cookies["gh_session"], home.text


def me(anonymous: httpx.Client, token: str) -> httpx.Response:
    return anonymous.get("/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_signing_out_ends_the_session_for_the_cookie_and_the_token(
    api: httpx.Client,
    anonymous: httpx.Client,
    browser: PortalClient,
    live_server: LiveServer,
    gatehouse: Gatehouse,
) -> None:
    subject_id, cookie, home = signed_in_customer(api, browser)
    assert 'action="/privacy/logout"' in home
    assert me(anonymous, cookie).json()["subject_id"] == subject_id

    # Without the session's CSRF token a cross-site form cannot sign anyone out.
    forged = browser.post("/privacy/logout")
    assert forged.status_code == 403
    assert browser.get("/privacy").status_code == 200

    out = browser.post("/privacy/logout", data={"csrf_token": hidden(home, "csrf_token")})
    assert out.status_code == 200, out.text
    assert "로그아웃되었습니다." in out.text
    assert out.headers["cache-control"] == "no-store"
    cleared = set_cookie_header(out, "gh_session").lower()
    assert "max-age=0" in cleared and "secure" in cleared and "httponly" in cleared
    assert "gh_session" not in browser.cookies
    assert browser.get("/privacy").status_code == 401

    # The server revoked the session: the copied cookie opens nothing any more.
    replay = PortalClient(live_server.url)
    replay.cookies["gh_session"] = cookie
    try:
        page = replay.get("/privacy")
        assert page.status_code == 401
        assert "새 링크를 받는 방법" in page.text and subject_id not in page.text
        assert replay.get("/v1/me").status_code == 401
    finally:
        replay.close()
    refused = me(anonymous, cookie)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "unauthorized"
    with gatehouse.engine.connect() as connection:
        rows = connection.execute(
            select(customer_sessions.c.kind, customer_sessions.c.revoked_at).where(
                customer_sessions.c.subject_id == subject_id
            )
        ).all()
    assert {row.kind for row in rows if row.revoked_at is not None} == {"cookie"}


def test_signing_out_one_browser_leaves_another_session_open(
    api: httpx.Client, anonymous: httpx.Client, live_server: LiveServer
) -> None:
    phone, laptop = PortalClient(live_server.url), PortalClient(live_server.url)
    try:
        subject_id, phone_cookie, phone_home = signed_in_customer(api, phone)
        link = api.post(f"/v1/subjects/{subject_id}/sessions").json()["url"]
        assert laptop.get(str(link)).status_code == 303
        laptop_cookie = laptop.cookies["gh_session"]
        out = phone.post("/privacy/logout", data={"csrf_token": hidden(phone_home, "csrf_token")})
        assert out.status_code == 200
        assert me(anonymous, phone_cookie).status_code == 401
        assert me(anonymous, laptop_cookie).json()["subject_id"] == subject_id
        assert laptop.get("/privacy").status_code == 200
    finally:
        phone.close()
        laptop.close()
