"""One access line per request, by route template, and the request id on the answer.

Each line carries the request id, the method, the route TEMPLATE (``/v1/orders/{order_id}``:
never the concrete path, whose ids name people, nor the query string), the status and the
duration in milliseconds. The id is the caller's valid X-Request-ID or a new one, and is
echoed in the answer's X-Request-ID header, so a client can quote it to operators.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatehouse.http.request_ids import REQUEST_ID_HEADER, assign_request_id
from gatehouse.http.routes import mark_root, route_template

__all__ = ["AccessLogMiddleware"]

log = logging.getLogger("gatehouse.access")


class AccessLogMiddleware:
    """Assign the request id, echo it, and log the access line when the app is done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = assign_request_id(scope)
        mark_root(scope)
        header = (REQUEST_ID_HEADER, request_id.encode("ascii"))
        status = 0

        async def stamp(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0].lower() != header[0]]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        try:
            await self.app(scope, receive, stamp)
        finally:
            if log.isEnabledFor(logging.INFO):
                fields = {
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route_template(scope),
                    # 0: the app ended without answering (the client went away).
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                }
                # makeRecord and handle, not info(): the caller's frame is known, and looking
                # it up on every request would cost more than the rest of the line.
                log.handle(
                    log.makeRecord(
                        log.name, logging.INFO, __file__, 0, "request", (), None, extra=fields
                    )
                )
