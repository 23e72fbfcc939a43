"""Refuse characters the database cannot store, once, before any route sees the request.

PostgreSQL's text cannot hold NUL, and a lone UTF-16 surrogate (the JSON escape ``\\ud800``)
fails UTF-8 encoding: either would surface as a database error, a 500, deep inside a route.
So every request is checked here, whatever its route or credential, and answered 422
``invalid_character`` when:

* its path or query string holds a C0 control character (U+0000 to U+001F), raw or
  percent-encoded, or its path a lone surrogate;
* its body holds a C0 control character other than tab, newline and carriage return: raw,
  percent-encoded in a form, or as a ``\\u00XX`` escape in a JSON key or value at any depth;
  or a JSON ``\\uD800``-``\\uDFFF`` escape that is not half of a surrogate pair.

The hot path is one regular-expression search over the query string and one over the body,
which :class:`~gatehouse.http.limits.BodyLimitMiddleware` has already bounded; only a body in
which the search finds a suspicious escape is parsed, to tell a pair (an emoji) from a lone
half, and an escaped backslash from an escape.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from gatehouse.http.errors import error_response
from gatehouse.http.limits import replaying

__all__ = ["CharacterGuardMiddleware", "has_forbidden_text"]

# Raw C0 bytes in a query string, or their percent-encoded forms.
_QUERY = re.compile(rb"[\x00-\x1f]|%[01][0-9a-fA-F]")
_PATH = re.compile(r"[\x00-\x1f\ud800-\udfff]")
# Raw C0 bytes that no body may hold: everything but tab, newline and carriage return.
_RAW_BODY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORM_BODY = re.compile(rb"%(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])")
# A JSON escape that may decode to a C0 character or to a surrogate: only then is it parsed.
_SUSPICIOUS_JSON = re.compile(rb"\\u(?:00[01]|[dD][89a-fA-F])")
_FORBIDDEN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_FORM = b"application/x-www-form-urlencoded"


def has_forbidden_text(value: Any) -> bool:
    """Whether a parsed JSON value holds a forbidden character in any key or string."""
    if isinstance(value, str):
        return _FORBIDDEN_TEXT.search(value) is not None
    if isinstance(value, dict):
        return any(has_forbidden_text(k) or has_forbidden_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_forbidden_text(item) for item in value)
    return False


def _bad_body(body: bytes, content_type: bytes) -> bool:
    if _RAW_BODY.search(body) is not None:
        return True
    if content_type.startswith(_FORM):
        return _FORM_BODY.search(body) is not None
    if _SUSPICIOUS_JSON.search(body) is None:
        return False
    try:
        parsed = json.loads(body)
    except ValueError:  # not JSON after all: the route answers it as such
        return False
    return has_forbidden_text(parsed)


class CharacterGuardMiddleware:
    """Answer 422 ``invalid_character`` before routing, for any route and any caller."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _PATH.search(scope["path"]) is not None:
            await self._refuse(scope, receive, send, "path")
            return
        if _QUERY.search(scope.get("query_string", b"")) is not None:
            await self._refuse(scope, receive, send, "query")
            return
        # The body limit already buffered the body, so this is one message in practice.
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body:
            content_type = b""
            for name, value in scope.get("headers", ()):
                if name.lower() == b"content-type":
                    content_type = value.lower()
            if _bad_body(body, content_type):
                await self._refuse(scope, receive, send, "body")
                return
        await self.app(scope, replaying(body, receive), send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, where: str) -> None:
        response = error_response(
            422,
            "invalid_character",
            f"the request's {where} holds a character that cannot be stored "
            "(NUL, a control character or a lone surrogate)",
            {"location": where},
        )
        await response(scope, receive, send)
