"""``Cache-Control: no-store`` on every answer that is not public.

The rule: every answer carries ``Cache-Control: no-store``, except a successful (below 400)
GET or HEAD answer of a route in :data:`PUBLIC_ROUTES`, the published documents that are
the same for everyone and hold no personal data: the static assets, the public privacy
policy and its overseas-transfer register (page and API), the signed checkpoint under
``/.well-known`` and the API's own description. Those keep whatever caching their route
chose. Everything else (any authenticated answer, a recipient's view, the operator's read of
a subject, all of ``/v1/me``, the privacy center, the recipient portal and the console, and
every error, whose text can quote what was asked) may hold personal data, so no cache, shared
or the browser's, may keep it. ``Pragma: no-cache`` is not sent: HTTP/1.1 caches obey
Cache-Control, and no-store is stronger.

Whether a route is public is decided by its template, so a new route is private until it is
named here.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatehouse.http.routes import mark_root, route_template

__all__ = ["NoStoreMiddleware", "PUBLIC_ROUTES", "is_public"]

PUBLIC_ROUTES = frozenset(
    {
        "/static/{path}",
        "/.well-known/gatehouse/checkpoint",
        "/privacy-policy",
        "/privacy-policy/v/{version}",
        "/v1/privacy-policy",
        "/v1/privacy-policy/versions",
        "/v1/privacy-policy/register",
        "/v1/privacy-policy/entrustees",
        "/openapi.json",
        "/docs",
    }
)
_PUBLIC_METHODS = frozenset({"GET", "HEAD"})
_CACHE_CONTROL = b"cache-control"
_NO_STORE = (_CACHE_CONTROL, b"no-store")


def is_public(method: str, template: str, status: int) -> bool:
    """Whether an answer may be cached: a public route's successful read, and nothing else."""
    return method in _PUBLIC_METHODS and status < 400 and template in PUBLIC_ROUTES


class NoStoreMiddleware:
    """Set ``Cache-Control: no-store`` on every answer that :func:`is_public` does not clear."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        mark_root(scope)

        async def label(message: Message) -> None:
            if message["type"] == "http.response.start" and not is_public(
                scope["method"], route_template(scope), message["status"]
            ):
                headers = [h for h in message.get("headers", ()) if h[0].lower() != _CACHE_CONTROL]
                message = {**message, "headers": [*headers, _NO_STORE]}
            await send(message)

        await self.app(scope, receive, label)
