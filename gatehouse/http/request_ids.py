"""Request ids: the caller's X-Request-ID when it is a plain token, else a new one."""

from __future__ import annotations

import re
import secrets

from starlette.types import Scope

__all__ = ["REQUEST_ID_HEADER", "assign_request_id", "request_id_of"]

REQUEST_ID_HEADER = b"x-request-id"
_KEY = "gatehouse.request_id"
# Ids that proxies and tracers send (UUIDs, hex, "Root=1-…"-like tokens); anything else is
# replaced, so a caller cannot write free text, or a value, into every log line.
_VALID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:=-]{0,127}")


def assign_request_id(scope: Scope) -> str:
    """Give the request its id (kept in the scope) and return it."""
    request_id: str = secrets.token_hex(16)
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _VALID.fullmatch(value) is not None:
            request_id = bytes(value).decode("ascii")
            break
    scope[_KEY] = request_id
    return request_id


def request_id_of(scope: Scope) -> str | None:
    """The id :func:`assign_request_id` gave the request, if any."""
    value = scope.get(_KEY)
    return value if isinstance(value, str) else None
