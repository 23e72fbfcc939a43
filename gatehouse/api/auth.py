"""Bearer-key authentication, one dependency per audience."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gatehouse.domain.errors import Forbidden, Unauthorized
from gatehouse.services.abuse import RateLimiter
from gatehouse.services.access import Audience, Principal, authenticate
from gatehouse.services.runtime import Gatehouse

__all__ = ["gatehouse_of", "GatehouseDep", "OperatorDep", "RecipientDep"]


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
    principal = authenticate(gatehouse_of(request).engine, _bearer(request))
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


OperatorDep = Annotated[Principal, Depends(operator)]
RecipientDep = Annotated[Principal, Depends(recipient)]
