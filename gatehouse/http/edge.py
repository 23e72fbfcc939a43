"""The middleware every request passes before any route, in one place and one order.

From the outside in:

1. :class:`~gatehouse.http.access_log.AccessLogMiddleware`: the request id, and one access
   line by route template, whatever happens inside;
2. :class:`~gatehouse.http.caching.NoStoreMiddleware`: ``no-store`` on every answer that is
   not public, errors included;
3. :class:`~gatehouse.http.failures.UnexpectedErrorMiddleware`: an exception becomes a 500 in
   the error shape, logged without values, and the connection stays open;
4. :class:`~gatehouse.http.limits.BodyLimitMiddleware`: a body over the limit is refused
   before it is read whole;
5. :class:`~gatehouse.http.characters.CharacterGuardMiddleware`: NUL, control characters and
   lone surrogates are refused in the path, the query and the (bounded) body.
"""

from __future__ import annotations

from fastapi import FastAPI

from gatehouse.http.access_log import AccessLogMiddleware
from gatehouse.http.caching import NoStoreMiddleware
from gatehouse.http.characters import CharacterGuardMiddleware
from gatehouse.http.failures import UnexpectedErrorMiddleware
from gatehouse.http.limits import BodyLimitMiddleware

__all__ = ["install_edge"]


def install_edge(app: FastAPI, max_body_bytes: int) -> None:
    """Add the edge middleware to ``app``, innermost first (Starlette wraps the last outermost)."""
    app.add_middleware(CharacterGuardMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(NoStoreMiddleware)
    app.add_middleware(AccessLogMiddleware)
