"""The site helper the pages share: the request's language, rendering with the security
headers and the remembered language, redirects, problem pages with the API's statuses, and
CSRF checks against a session."""

from __future__ import annotations

from dataclasses import dataclass
from http.cookies import SimpleCookie

import pytest
from starlette.requests import Request

from gatehouse.domain.errors import Conflict, GatehouseError, InvalidInput, NotFound
from gatehouse.services.abuse import RateLimited
from gatehouse.services.browser_sessions import csrf_token_for, new_token
from gatehouse.web.i18n import LANG_COOKIE
from gatehouse.web.site import Site, problem_for, text

CONSOLE = Site(path="/console", templates="console")
# A site like the privacy center: Korean first, its language remembered for the whole site.
KOREAN_FIRST = Site(path="/privacy", templates="console", default_locale="ko")


def request(
    path: str = "/console",
    *,
    method: str = "GET",
    query: str = "",
    cookies: dict[str, str] | None = None,
) -> Request:
    """A bare request, as the router would hand it to a page."""
    headers = []
    if cookies:
        value = "; ".join(f"{name}={v}" for name, v in cookies.items())
        headers.append((b"cookie", value.encode()))
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": headers,
        "scheme": "http",
        "server": ("testserver", 80),
        "root_path": "",
    }
    return Request(scope)


def lang_cookie(response_headers: list[tuple[str, str]]) -> SimpleCookie | None:
    for name, value in response_headers:
        if name == "set-cookie" and value.startswith(f"{LANG_COOKIE}="):
            jar: SimpleCookie = SimpleCookie()
            jar.load(value)
            return jar
    return None


@dataclass(frozen=True)
class FakeSession:
    csrf_token: str


# --- language -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "cookie", "expected"),
    [
        ("", None, "en"),
        ("lang=ko", None, "ko"),
        ("", "ko", "ko"),
        ("lang=en", "ko", "en"),
        ("lang=fr", "ko", "ko"),
        ("lang=fr", "xx", "en"),
    ],
)
def test_the_language_is_the_query_then_the_cookie_then_the_default(
    query: str, cookie: str | None, expected: str
) -> None:
    cookies = {LANG_COOKIE: cookie} if cookie else None
    assert CONSOLE.locale(request(query=query, cookies=cookies)) == expected


def test_a_site_may_default_to_korean() -> None:
    assert KOREAN_FIRST.locale(request("/privacy")) == "ko"
    assert KOREAN_FIRST.locale(request("/privacy", query="lang=en")) == "en"
    with pytest.raises(ValueError):
        Site(path="/x", templates="console", default_locale="fr")


def test_text_translates_from_the_catalog() -> None:
    assert text("ko", "Overdue") != "Overdue"
    assert text("en", "Overdue") == "Overdue"


# --- rendering ----------------------------------------------------------------------------


def test_a_page_carries_the_security_headers_and_its_language() -> None:
    page = CONSOLE.problem(request("/console/x"), "not_found", 404)
    assert page.status_code == 404
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["content-language"] == "en"
    html = bytes(page.body).decode()
    assert '<html lang="en">' in html and 'href="/console/x?lang=ko"' in html
    assert lang_cookie(page.headers.items()) is None


def test_a_chosen_language_is_remembered_under_the_sites_path() -> None:
    page = KOREAN_FIRST.problem(request("/privacy/x", query="lang=en"), "not_found", 404)
    assert page.headers["content-language"] == "en"
    jar = lang_cookie(page.headers.items())
    assert jar is not None
    morsel = jar[LANG_COOKIE]
    assert morsel.value == "en" and morsel["path"] == "/privacy"
    assert morsel["httponly"] and morsel["secure"] and morsel["samesite"].lower() == "lax"
    # Already remembered: no new cookie.
    again = KOREAN_FIRST.problem(
        request("/privacy/x", query="lang=en", cookies={LANG_COOKIE: "en"}), "not_found", 404
    )
    assert lang_cookie(again.headers.items()) is None
    # A language cookie may be scoped more widely than the site's own path.
    wide = Site(path="/console", templates="console", lang_cookie_path="/")
    jar = lang_cookie(wide.problem(request(query="lang=ko"), "other", 400).headers.items())
    assert jar is not None and jar[LANG_COOKIE]["path"] == "/"


def test_after_a_form_the_language_links_point_at_the_sites_home() -> None:
    posted = CONSOLE.problem(request("/console/jobs/j/retry", method="POST"), "csrf", 403)
    assert 'href="/console?lang=ko"' in bytes(posted.body).decode()
    chosen = CONSOLE.render(
        request("/console/x"),
        CONSOLE.problem_template,
        {"problem": "other"},
        lang_path="/console/elsewhere",
    )
    assert 'href="/console/elsewhere?lang=ko"' in bytes(chosen.body).decode()


def test_redirects_are_303_and_not_stored() -> None:
    response = CONSOLE.redirect("/console?done=retried#jobs")
    assert response.status_code == 303
    assert response.headers["location"] == "/console?done=retried#jobs"
    assert response.headers["cache-control"] == "no-store"


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "problem"),
    [
        (NotFound("gone"), 404, "not_found"),
        (Conflict("clash"), 409, "other"),
        (InvalidInput("bad"), 422, "other"),
        (RateLimited(7), 429, "other"),
    ],
)
def test_a_refusal_gets_the_apis_status(error: GatehouseError, status: int, problem: str) -> None:
    page = CONSOLE.failure(request(), error)
    assert page.status_code == status
    assert problem_for(error) == problem
    if isinstance(error, RateLimited):
        assert page.headers["retry-after"] == "7"


def test_a_refusal_picks_the_explanation_the_page_has() -> None:
    clash = Conflict("already", code="already_acknowledged")
    assert problem_for(clash, known={"already_acknowledged"}) == "already_acknowledged"
    kinds = ((NotFound, "not_found"), (Conflict, "not_dead"))
    assert problem_for(Conflict("not dead"), kinds=kinds) == "not_dead"
    page = CONSOLE.failure(request(), Conflict("not dead"), kinds=kinds)
    assert page.status_code == 409 and "This job is not dead" in bytes(page.body).decode()


# --- CSRF and cookies ---------------------------------------------------------------------


def test_a_form_must_carry_the_sessions_csrf_token() -> None:
    token = new_token()
    session = FakeSession(csrf_token_for(token, b"gatehouse console csrf v1"))
    assert CONSOLE.csrf_ok(session, session.csrf_token)
    assert not CONSOLE.csrf_ok(session, csrf_token_for(new_token(), b"gatehouse console csrf v1"))
    assert not CONSOLE.csrf_ok(session, "")
    assert not CONSOLE.csrf_ok(session, None)
    assert not CONSOLE.csrf_ok(None, session.csrf_token)


def test_site_cookies_are_strict_secure_and_httponly() -> None:
    response = CONSOLE.redirect("/console")
    CONSOLE.set_cookie(response, "gh_console", "t", max_age=60)
    CONSOLE.delete_cookie(response, "gh_console_login", path="/console/login")
    set_cookie, deleted = response.headers.getlist("set-cookie")
    attributes = {part.strip().lower() for part in set_cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/console", "max-age=60"} <= attributes
    assert deleted.startswith("gh_console_login=") and "Path=/console/login" in deleted
    assert "Max-Age=0" in deleted
