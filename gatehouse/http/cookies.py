"""The privacy-center session cookie: set by the pages, read by the customer API."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Response

from gatehouse.services.customer_sessions import COOKIE_PATH, COOKIE_SAMESITE, SESSION_COOKIE

__all__ = ["set_session_cookie", "clear_session_cookie"]


def set_session_cookie(response: Response, token: str, lifetime: timedelta) -> None:
    """Set the privacy-center session cookie with the flags every page must use.

    A relative Max-Age rather than an absolute Expires: a browser whose clock runs ahead of
    the server's would otherwise drop the cookie at once.
    """
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(int(lifetime.total_seconds()), 0),
        path=COOKIE_PATH,
        # Always Secure: browsers treat localhost as a secure origin, so development is fine.
        secure=True,
        httponly=True,
        samesite=COOKIE_SAMESITE,
    )


def clear_session_cookie(response: Response) -> None:
    """Remove the session cookie (same name, path and flags, or browsers keep it)."""
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, secure=True, httponly=True, samesite=COOKIE_SAMESITE
    )
