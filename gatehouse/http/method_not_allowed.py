"""405 answers whose Allow header names every method the path accepts.

FastAPI registers one route per decorated function, so a path served by a GET and a POST
function is two routes. Starlette answers 405 from the first route whose path matched, and
its Allow header lists that route's methods only. The handler here asks every route instead.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import Match

from gatehouse.http.errors import error_response

__all__ = ["allowed_methods", "install_method_not_allowed"]


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route of ``app`` accepts at the request's path, sorted."""
    allowed: set[str] = set()
    # Included routers nest their routes; FastAPI's own iteration flattens them, prefixes on.
    for route in iter_route_contexts(app.router.routes):
        if route.methods is None:
            continue
        # A route whose path matches answers PARTIAL for another method and FULL for its own.
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            allowed.update(route.methods)
    return sorted(allowed)


def install_method_not_allowed(app: FastAPI) -> None:
    """Answer every 405 in the error shape, with the complete Allow header."""

    async def method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
        allowed = set(allowed_methods(app, request))
        # A mounted app (the static files) is no route: keep the methods it named itself.
        if isinstance(exc, HTTPException) and exc.headers and "Allow" in exc.headers:
            allowed.update(m.strip() for m in exc.headers["Allow"].split(",") if m.strip())
        listed = sorted(allowed)
        return error_response(
            405,
            "method_not_allowed",
            "this endpoint does not accept that method",
            {"allowed": listed},
            {"Allow": ", ".join(listed)} if listed else None,
        )

    app.add_exception_handler(405, method_not_allowed)
