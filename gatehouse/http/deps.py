"""FastAPI dependencies: the Gatehouse, and one principal per audience.

Operators and recipients send ``Authorization: Bearer <key>``. A customer sends the sign-in
link's token as a bearer token (the marketplace's app) or carries the ``gh_session`` cookie
that the privacy-center pages set (the browser). A cookie rides along with any request the
browser makes, so a state-changing request signed in by cookie must also come from our own
origin; a bearer token is never sent implicitly.

The hot writes (a transfer, a consent save, a customer's own deletion) are ``async``
endpoints, and their dependencies here read no database on the event loop: an API key this
process remembers lets the request in, to be confirmed by the write's own transaction
(:mod:`gatehouse.services.key_cache`); a customer's token is handed on to the deletion, which
checks it on a commit thread.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from gatehouse.domain.errors import Forbidden, Unauthorized
from gatehouse.services.abuse import RateLimiter
from gatehouse.services.access import (
    Audience,
    Principal,
    authenticate,
    known_key,
    remembered_key,
)
from gatehouse.services.customer_sessions import (
    SESSION_COOKIE,
    CustomerPrincipal,
    authenticate_customer,
)
from gatehouse.services.key_cache import KnownKey
from gatehouse.services.runtime import Gatehouse

__all__ = [
    "gatehouse_of",
    "GatehouseDep",
    "OperatorDep",
    "RecipientDep",
    "CustomerDep",
    "GroupedOperatorDep",
    "CustomerTokenDep",
]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def gatehouse_of(request: Request) -> Gatehouse:
    """The Gatehouse this app was built with."""
    gh: Gatehouse = request.app.state.gatehouse
    return gh


async def _gatehouse(request: Request) -> Gatehouse:
    # A coroutine, so resolving it sends no request to a worker thread and back.
    return gatehouse_of(request)


GatehouseDep = Annotated[Gatehouse, Depends(_gatehouse)]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send the API key as 'Authorization: Bearer <key>'")
    return token.strip()


def _principal(request: Request, audience: Audience) -> Principal:
    return _of_audience(authenticate(gatehouse_of(request), _bearer(request)), audience)


def _of_audience(principal: Principal, audience: Audience) -> Principal:
    if principal.audience is not audience:
        raise Forbidden(f"this endpoint needs a {audience.value} key", code="wrong_audience")
    return principal


async def grouped_operator(request: Request) -> KnownKey:
    """The operator calling, for an endpoint whose group commit confirms the key; or 401/403.

    A key this process remembers costs no database read here; another is looked up off the
    event loop, once.
    """
    gh, token = gatehouse_of(request), _bearer(request)
    known = remembered_key(gh, token)
    if known is None:
        known = await run_in_threadpool(known_key, gh, token)
    _of_audience(known.principal, Audience.OPERATOR)
    return known


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


def _customer_token(request: Request) -> tuple[str, bool]:
    """The customer's bearer token or session cookie, not yet checked, and whether it came
    as the cookie; or 401."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send the session token as 'Authorization: Bearer <token>'")
        return token.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized("sign in to the privacy center, or send a session token")
    return cookie, True


def _check_origin(request: Request, response: Response, by_cookie: bool) -> None:
    if by_cookie and request.method not in _SAFE_METHODS and not _same_origin(request):
        raise Forbidden("this request did not come from the privacy center", code="cross_origin")
    # The answers carry the customer's own personal data: no cache may keep them.
    response.headers["Cache-Control"] = "no-store"


def customer(request: Request, response: Response) -> CustomerPrincipal:
    """The customer calling, from a bearer token or the session cookie; or 401."""
    token, by_cookie = _customer_token(request)
    principal = authenticate_customer(gatehouse_of(request), token)
    _check_origin(request, response, by_cookie)
    return principal


async def grouped_customer(request: Request, response: Response) -> str:
    """The customer's token, for an endpoint that checks it in its own group commit; a
    cookie-signed request from another origin is refused here (403), before the check."""
    token, by_cookie = _customer_token(request)
    _check_origin(request, response, by_cookie)
    return token


OperatorDep = Annotated[Principal, Depends(operator)]
RecipientDep = Annotated[Principal, Depends(recipient)]
CustomerDep = Annotated[CustomerPrincipal, Depends(customer)]
GroupedOperatorDep = Annotated[KnownKey, Depends(grouped_operator)]
CustomerTokenDep = Annotated[str, Depends(grouped_customer)]
