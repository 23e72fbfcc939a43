"""Unexpected exceptions: a 500 (a 503 when the database is out of reach) in the error shape, a log
line without values, the connection kept.

Starlette's outermost error middleware answers an unhandled exception and then raises it again
to the server, and uvicorn, seeing an exception after a response, drops the connection and
logs the traceback, message included: a database error's message carries the statement's
values. This middleware sits inside it and ends the exception here instead, logged by
:func:`~gatehouse.http.fingerprints.log_unexpected` (type and fingerprint, never the message).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatehouse.http.errors import unexpected_response
from gatehouse.http.fingerprints import log_unexpected

__all__ = ["UnexpectedErrorMiddleware"]


class UnexpectedErrorMiddleware:
    """Answer an exception no handler took with a 500 in the error shape, and keep going."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started:
                # Half an answer is out: only closing the connection can tell the client.
                log_unexpected(scope, exc)
                raise
            await unexpected_response(scope, exc)(scope, receive, send)
