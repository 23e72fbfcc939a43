"""Signing in to a site with an API key, and out again: the recipient portal and the console.

Both sites share one sign-in page (``login.html``) and one flow; they differ in the key they
take, their texts, their cookies and their paths. The session itself is the browser-session
service's (:mod:`gatehouse.services.browser_sessions`); this module keeps its token in an
HttpOnly cookie and guards the sign-in form with a double-submitted nonce.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gatehouse.http.deps import gatehouse_of
from gatehouse.services.browser_sessions import (
    SESSION_LIFETIME,
    BrowserSession,
    SessionAudience,
    end_session,
    find_session,
    new_form_nonce,
    nonces_match,
    principal_for_key,
    start_session,
)
from gatehouse.web.site import Site, text

__all__ = [
    "LOGIN_TEMPLATE",
    "NONCE_MAX_AGE",
    "Frame",
    "Guard",
    "LoginTexts",
    "SignIn",
    "session_frame",
]

LOGIN_TEMPLATE = "login.html"
# An hour to type a key into the sign-in form before it must be loaded again.
NONCE_MAX_AGE = 3600

Frame = Callable[[Request, BrowserSession | None], Mapping[str, Any]]
"""What a site's frame needs to show about the session (who, and the CSRF token)."""

Guard = Callable[[Request], BrowserSession | Response]
"""The live session of a request, or the response that replaces the page."""


def session_frame(_request: Request, session: BrowserSession | None) -> Mapping[str, Any]:
    """The frame of a page: whether someone is signed in, and the forms' CSRF token."""
    return {
        "signed_in": session is not None,
        "csrf_token": session.csrf_token if session is not None else "",
    }


@dataclass(frozen=True)
class LoginTexts:
    """What the sign-in page says about the key it wants (English; translated when shown)."""

    key_label: str
    key_help: str
    bad_key: str


@dataclass(frozen=True)
class SignIn:
    """Sign-in and sign-out of one site, its sessions opened with ``audience``'s keys."""

    site: Site
    audience: SessionAudience
    session_cookie: str
    nonce_cookie: str
    texts: LoginTexts
    frame: Frame = session_frame

    @property
    def login_path(self) -> str:
        """Where the sign-in form lives (and is sent)."""
        return f"{self.site.path}/login"

    def current(self, request: Request) -> BrowserSession | None:
        """The live session of this request, or None."""
        token = request.cookies.get(self.session_cookie)
        return find_session(gatehouse_of(request), self.audience, token)

    def to_login(self, request: Request) -> RedirectResponse:
        """Send a visitor without a live session to sign in (saying why, if it ended)."""
        had_session = self.session_cookie in request.cookies
        response = self.site.redirect(
            f"{self.login_path}?expired=1" if had_session else self.login_path
        )
        if had_session:
            self.site.delete_cookie(response, self.session_cookie)
        return response

    def require(self, request: Request) -> BrowserSession | Response:
        """The live session, or the redirect to the sign-in page."""
        session = self.current(request)
        return session if session is not None else self.to_login(request)

    def page(
        self,
        request: Request,
        session: BrowserSession | None,
        template: str,
        context: Mapping[str, Any],
        *,
        status: int = 200,
    ) -> HTMLResponse:
        """Render a page of the site with the session's frame."""
        page = {**self.frame(request, session), **context}
        return self.site.render(request, template, page, status=status)

    def login_page(self, request: Request, *, error: str | None, status: int) -> HTMLResponse:
        """The sign-in form, with a fresh nonce in a hidden field and in a cookie."""
        nonce = new_form_nonce()
        locale = self.site.locale(request)
        context = {
            "nonce": nonce,
            "error": error,
            "expired": request.query_params.get("expired") == "1",
            "signed_out": request.query_params.get("signed_out") == "1",
            "login_path": self.login_path,
            "key_label": text(locale, self.texts.key_label),
            "key_help": text(locale, self.texts.key_help),
            "bad_key": text(locale, self.texts.bad_key),
        }
        response = self.page(request, None, LOGIN_TEMPLATE, context, status=status)
        self.site.set_cookie(
            response, self.nonce_cookie, nonce, max_age=NONCE_MAX_AGE, path=self.login_path
        )
        return response

    def show_form(self, request: Request) -> Response:
        """The sign-in form; someone signed in already goes to the site's home."""
        if self.current(request) is not None:
            return self.site.redirect(self.site.path)
        return self.login_page(request, error=None, status=200)

    def sign_in(self, request: Request, api_key: str, nonce: str) -> Response:
        """Check the key and open a session; a wrong key gets the form again with a 401.

        An unknown key, a revoked one and another audience's key get the same answer.
        """
        if not nonces_match(request.cookies.get(self.nonce_cookie), nonce):
            return self.login_page(request, error="form_expired", status=403)
        gh = gatehouse_of(request)
        principal = principal_for_key(gh, api_key, self.audience.key_audience)
        if principal is None:
            return self.login_page(request, error="bad_key", status=401)
        token, _session = start_session(gh, self.audience, principal)
        response = self.site.redirect(self.site.path)
        max_age = int(SESSION_LIFETIME.total_seconds())
        self.site.set_cookie(response, self.session_cookie, token, max_age=max_age)
        self.site.delete_cookie(response, self.nonce_cookie, path=self.login_path)
        return response

    def sign_out(self, request: Request, session: BrowserSession, csrf_token: str) -> Response:
        """End the session for good, then send the browser to the sign-in page."""
        if not self.site.csrf_ok(session, csrf_token):
            return self.site.problem(request, "csrf", 403, self.frame(request, session))
        gh = gatehouse_of(request)
        end_session(gh, self.audience, request.cookies.get(self.session_cookie))
        response = self.site.redirect(f"{self.login_path}?signed_out=1")
        self.site.delete_cookie(response, self.session_cookie)
        return response

    def install(self, router: APIRouter, *, guard: Guard | None = None) -> None:
        """Add ``GET``/``POST /login`` and ``POST /logout`` to the site's router.

        ``guard`` decides whether a sign-out may go ahead (the portal's also spends the rate
        limit); by default any live session may sign out.
        """
        check = guard or self.require

        @router.get("/login")
        def login_form(request: Request) -> Response:
            """The sign-in form, asking for an API key."""
            return self.show_form(request)

        @router.post("/login")
        def login(
            request: Request,
            api_key: Annotated[str, Form()] = "",
            nonce: Annotated[str, Form()] = "",
        ) -> Response:
            """Check the key and open a session."""
            return self.sign_in(request, api_key, nonce)

        @router.post("/logout")
        def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
            """End the session for good."""
            session = check(request)
            if not isinstance(session, BrowserSession):
                return session
            return self.sign_out(request, session, csrf_token)
