"""FastAPI dependencies: the Gatehouse, and one principal per audience.

Operators and recipients send ``Authorization: Bearer <key>``. A customer sends the sign-in
link's token as a bearer token (the marketplace's app) or carries the ``gh_session`` cookie
that the privacy-center pages set (the browser). A cookie rides along with any request the
browser makes, so a state-changing request signed in by cookie must also come from our own
origin; a bearer token is never sent implicitly.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from gatehouse.domain.errors import Forbidden, Unauthorized
from gatehouse.services.abuse import RateLimiter
from gatehouse.services.access import Audience, Principal, authenticate
from gatehouse.services.customer_sessions import (
    SESSION_COOKIE,
    CustomerPrincipal,
    authenticate_customer,
)
from gatehouse.services.runtime import Gatehouse

__all__ = [
    "gatehouse_of",
    "GatehouseDep",
    "OperatorDep",
    "RecipientDep",
    "CustomerDep",
]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def gatehouse_of(request: Request) -> Gatehouse:
    """The Gatehouse this app was built with."""
    gh: Gatehouse = request.app.state.gatehouse
    return gh


GatehouseDep = Annotated[Gatehouse, Depends(gatehouse_of)]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send the API key as 'Authorization: Bearer <key>'")
    return token.strip()


def _principal(request: Request, audience: Audience) -> Principal:
    principal = authenticate(gatehouse_of(request), _bearer(request))
    if principal.audience is not audience:
        raise Forbidden(f"this endpoint needs a {audience.value} key", code="wrong_audience")
    return principal


def operator(request: Request) -> Principal:
    """The operator calling, or 401/403."""
    return _principal(request, Audience.OPERATOR)


def recipient(request: Request) -> Principal:
    """The recipient calling, or 401/403; each key is rate-limited (429)."""
    principal = _principal(request, Audience.RECIPIENT)
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.check(gatehouse_of(request), principal.key_id)
    return principal


def _same_origin(request: Request) -> bool:
    """Whether a browser request comes from this site (Origin, else Fetch Metadata).

    The Origin is compared with the Host header, so a proxy in front must pass Host through.
    Without either header the request did not come from a modern browser's cross-site page.
    """
    origin = request.headers.get("origin")
    if origin is not None:
        return urlsplit(origin).netloc == request.headers.get("host")
    return request.headers.get("sec-fetch-site") in (None, "same-origin", "none")


def customer(request: Request, response: Response) -> CustomerPrincipal:
    """The customer calling, from a bearer token or the session cookie; or 401."""
    gh = gatehouse_of(request)
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send the session token as 'Authorization: Bearer <token>'")
        principal = authenticate_customer(gh, token.strip())
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise Unauthorized("sign in to the privacy center, or send a session token")
        principal = authenticate_customer(gh, cookie)
        if request.method not in _SAFE_METHODS and not _same_origin(request):
            raise Forbidden(
                "this request did not come from the privacy center", code="cross_origin"
            )
    # The answers carry the customer's own personal data: no cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    return principal


OperatorDep = Annotated[Principal, Depends(operator)]
RecipientDep = Annotated[Principal, Depends(recipient)]
CustomerDep = Annotated[CustomerPrincipal, Depends(customer)]
