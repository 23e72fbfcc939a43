"""One site of server-rendered pages: its address, its default language and its templates.

The recipient portal, the operator console and the privacy center are each a :class:`Site`.
A site picks the request's language (``?lang=``, then the remembered choice, then its
default), renders a page with the security headers, ``Content-Language`` and the remembered
language cookie, answers a form with a 303 redirect, shows a problem page with a status (the
one the API would use for the same domain error), and checks a form's CSRF token.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Protocol

from babel.dates import format_date
from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from gatehouse.domain.errors import GatehouseError, NotFound
from gatehouse.http.errors import refusal
from gatehouse.services.browser_sessions import tokens_match
from gatehouse.web.i18n import (
    DEFAULT_LOCALE,
    LANG_COOKIE,
    SUPPORTED_LOCALES,
    format_when,
    translations,
)
from gatehouse.web.rendering import environment, protect

__all__ = [
    "LANG_COOKIE_MAX_AGE",
    "NOT_FOUND_ONLY",
    "CsrfBearer",
    "Site",
    "text",
    "problem_for",
]

LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
# The refusal kinds every problem page explains; any other is "other".
NOT_FOUND_ONLY: tuple[tuple[type[GatehouseError], str], ...] = ((NotFound, "not_found"),)


class CsrfBearer(Protocol):
    """A signed-in session as a page sees it: anything that knows its form token."""

    @property
    def csrf_token(self) -> str:
        """The CSRF token every state-changing form of this session carries."""
        ...


def text(locale: str, message: str) -> str:
    """A message from the catalog of ``locale``, as plain text (autoescaped where shown)."""
    return translations(locale).gettext(message)


def problem_for(
    exc: GatehouseError,
    *,
    known: Collection[str] = (),
    kinds: Sequence[tuple[type[GatehouseError], str]] = NOT_FOUND_ONLY,
) -> str:
    """Which explanation a problem page gives for a refusal.

    The refusal's own code when the page explains it (``known``), else the first matching
    kind of error, else ``other``.
    """
    if exc.code in known:
        return exc.code
    for kind, problem in kinds:
        if isinstance(exc, kind):
            return problem
    return "other"


def _time_helpers(locale: str, zone: tzinfo) -> dict[str, Any]:
    def when(value: datetime | None) -> str:
        return "" if value is None else format_when(value, locale, zone)

    def day(value: datetime | None) -> str:
        if value is None:
            return ""
        # The reader's own calendar day: 15:30 UTC is already tomorrow in Seoul.
        local = value.astimezone(zone) if value.tzinfo is not None else value
        return format_date(local, "long", locale=locale)

    return {"when": when, "day": day}


@dataclass(frozen=True)
class Site:
    """A site of pages under ``path``, whose templates live in the folder ``templates``.

    ``lang_cookie_path`` scopes the remembered language (the site's own path when empty), so
    each site remembers its own choice.
    """

    path: str
    templates: str
    default_locale: str = DEFAULT_LOCALE
    lang_cookie_path: str = ""

    def __post_init__(self) -> None:
        if self.default_locale not in SUPPORTED_LOCALES:
            raise ValueError(f"unsupported default locale {self.default_locale!r}")

    @property
    def base_template(self) -> str:
        """The frame every page of the site extends."""
        return f"{self.templates}/base.html"

    @property
    def problem_template(self) -> str:
        """The page that explains a refusal or a missing page."""
        return f"{self.templates}/problem.html"

    def locale(self, request: Request) -> str:
        """The language of this request: ``?lang=``, then the cookie, then the default."""
        for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
            if candidate in SUPPORTED_LOCALES:
                return str(candidate)
        return self.default_locale

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        *,
        status: int = 200,
        lang_path: str | None = None,
        zone: tzinfo = UTC,
    ) -> HTMLResponse:
        """Render ``template`` in the request's language; remember a language chosen by
        ``?lang=``.

        The frame gives every template ``base`` (the template to extend), ``lang_path`` (where
        the language links point), ``signed_in``, ``csrf_token``, and ``when``/``day`` showing
        times in ``zone``; ``context`` may override any of them.
        """
        locale = self.locale(request)
        if lang_path is None:
            # The language links point back at this page, unless it answered a form: a
            # POST-only address would not load, so they go to the site's home instead.
            lang_path = request.url.path if request.method == "GET" else self.path
        frame: dict[str, Any] = {
            "base": self.base_template,
            "lang_path": lang_path,
            "signed_in": False,
            "csrf_token": "",
            **_time_helpers(locale, zone),
        }
        html = environment(locale).get_template(template).render(**{**frame, **context})
        response = protect(HTMLResponse(html, status_code=status))
        response.headers["Content-Language"] = locale
        chosen = request.query_params.get("lang")
        if chosen == locale and request.cookies.get(LANG_COOKIE) != locale:
            response.set_cookie(
                LANG_COOKIE,
                locale,
                max_age=LANG_COOKIE_MAX_AGE,
                path=self.lang_cookie_path or self.path,
                secure=True,
                httponly=True,
                samesite="lax",
            )
        return response

    def redirect(self, url: str) -> RedirectResponse:
        """A 303 to ``url``: after a form the browser fetches it with GET, so a reload
        re-posts nothing."""
        response = RedirectResponse(url, status_code=303)
        response.headers["Cache-Control"] = "no-store"
        return response

    def problem(
        self,
        request: Request,
        problem: str,
        status: int,
        context: Mapping[str, Any] | None = None,
    ) -> HTMLResponse:
        """The site's problem page; ``problem`` picks its text, ``context`` adds the frame."""
        page = {**(context or {}), "problem": problem}
        return self.render(request, self.problem_template, page, status=status)

    def failure(
        self,
        request: Request,
        exc: GatehouseError,
        context: Mapping[str, Any] | None = None,
        *,
        known: Collection[str] = (),
        kinds: Sequence[tuple[type[GatehouseError], str]] = NOT_FOUND_ONLY,
    ) -> HTMLResponse:
        """A service's refusal as a problem page, with the status and headers the API uses.

        A refusal that should not be a page at all (the session ended, say) is the caller's
        to catch first.
        """
        status, headers = refusal(exc)
        response = self.problem(
            request, problem_for(exc, known=known, kinds=kinds), status, context
        )
        response.headers.update(headers)
        return response

    def csrf_ok(self, session: CsrfBearer | None, submitted: str | None) -> bool:
        """Whether a form carries the CSRF token of ``session`` (compared in constant time)."""
        return session is not None and tokens_match(session.csrf_token, submitted)

    def set_cookie(
        self, response: Response, name: str, value: str, *, max_age: int, path: str | None = None
    ) -> None:
        """Set a cookie of this site: HttpOnly, Secure, SameSite=Strict, under ``path``.

        Always Secure: browsers treat localhost and 127.0.0.1 as secure origins, so it costs
        nothing in development and cannot be forgotten behind a TLS-terminating proxy.
        """
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=path or self.path,
            secure=True,
            httponly=True,
            samesite="strict",
        )

    def delete_cookie(self, response: Response, name: str, *, path: str | None = None) -> None:
        """Remove a cookie set by :meth:`set_cookie` (same path and flags, or browsers keep it)."""
        response.delete_cookie(
            name, path=path or self.path, secure=True, httponly=True, samesite="strict"
        )
