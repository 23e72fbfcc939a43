"""One error shape for every failure, and one map from domain errors to HTTP statuses.

The API answers ``{"error": {"code", "message", "details"}}``; the pages render their own
problem page. Both take the status from :func:`refusal`, so the same domain error gets the
same status wherever it surfaces.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from gatehouse.domain.errors import (
    Conflict,
    Forbidden,
    GatehouseError,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from gatehouse.domain.views import ViewClosed
from gatehouse.http.fingerprints import error_type, log_unexpected
from gatehouse.http.request_ids import request_id_of
from gatehouse.http.routes import route_template
from gatehouse.services.abuse import RateLimited
from gatehouse.services.sql_errors import database_unavailable
from gatehouse.vault import KeyShredded, VaultError

__all__ = [
    "error_response",
    "install_error_handlers",
    "refusal",
    "status_for",
    "unexpected_response",
]

log = logging.getLogger("gatehouse.http")

_STATUS_BY_TYPE: list[tuple[type[GatehouseError], int]] = [
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (Forbidden, 403),
    (Unauthorized, 401),
    (KeyShredded, 410),
    (ViewClosed, 410),
    # A ciphertext that fails to decrypt means stored data was moved or altered: the caller
    # cannot fix it, but it is a refusal with a clear code, not a crash.
    (VaultError, 409),
    (RateLimited, 429),
]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Build the standard error body."""
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_for(exc: GatehouseError) -> int:
    """The HTTP status of a domain error: the first matching type, else 400."""
    for kind, status in _STATUS_BY_TYPE:
        if isinstance(exc, kind):
            return status
    return 400


def refusal(exc: GatehouseError) -> tuple[int, dict[str, str]]:
    """The status and headers that answer a domain error, logging an integrity failure.

    The headers that matter to a browser as much as to a client (Retry-After) are here too;
    WWW-Authenticate is the API's alone and is added by its handler.
    """
    if isinstance(exc, VaultError) and not isinstance(exc, KeyShredded):
        # Stored data was moved or altered: operators must hear of it whoever tripped on it.
        log.error("vault integrity failure: %s", exc.code)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}
    return status_for(exc), headers


async def _gatehouse_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatehouseError)
    status, headers = refusal(exc)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(status, exc.code, exc.message, exc.details, headers or None)


def _clean_validation_errors(errors: Any) -> list[dict[str, Any]]:
    # Pydantic echoes the offending input; that may be PII, so it is left out.
    cleaned = []
    for error in errors:
        location = [part for part in error.get("loc", ()) if part != "body"]
        cleaned.append(
            {
                "field": ".".join(str(part) for part in location) or None,
                "problem": error.get("msg", "invalid"),
                "type": error.get("type", "invalid"),
            }
        )
    return cleaned


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    details = _clean_validation_errors(errors)
    fields = ", ".join(sorted({d["field"] for d in details if d["field"]})) or "the request"
    return error_response(422, "validation_error", f"invalid value in {fields}", details)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = {
        404: "no such endpoint",
        405: "this endpoint does not accept that method",
    }.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, code, message, None, dict(exc.headers or {}) or None)


# Long enough for a replica to restart or a pool to reconnect, short enough to keep trying.
UNAVAILABLE_RETRY_S = 5


def unexpected_response(scope: Scope, exc: Exception) -> JSONResponse:
    """The answer to an exception no handler took: 503 when the database could not be
    reached (the client may retry), else a 500; either way logged without values."""
    if database_unavailable(exc):
        log.warning(
            "database unavailable",
            extra={
                "request_id": request_id_of(scope),
                "route": route_template(scope),
                "error_type": error_type(exc),
            },
        )
        return error_response(
            503,
            "database_unavailable",
            "the database is not answering; try again shortly",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_S)},
        )
    log_unexpected(scope, exc)
    return error_response(500, "internal_error", "an internal error occurred")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Only for a fault outside the edge middleware, which answers the others (see failures).
    return unexpected_response(request.scope, exc)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that map every failure to the standard shape."""
    app.add_exception_handler(GatehouseError, _gatehouse_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
