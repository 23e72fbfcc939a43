"""The OpenAPI document, as the API really answers.

FastAPI's own document describes validation errors as ``{"detail": …}`` and knows nothing of
who may call what. This module takes that document and, route by route, documents every
refusal with Gatehouse's one error shape (the ``Error`` component) and names each audience's
security scheme, so that a client generated from it, or a fuzzer checking against it, meets
the API that runs.

What a route can answer is read from the route itself: its audience from the dependency that
authenticates it (:mod:`gatehouse.http.deps`), 404 from the ids in its path, 422 from its
parameters, 400 and 413 from its body. A status that only some routes produce (409, 410, a
404 without an id in the path) is declared on the route with ``responses=``; this module
gives it the error schema too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from copy import deepcopy
from typing import Any, get_args

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.params import Depends
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.routing import BaseRoute

from gatehouse.http.deps import (
    CustomerDep,
    CustomerTokenDep,
    GroupedOperatorDep,
    OperatorDep,
    RecipientDep,
)
from gatehouse.services.customer_sessions import SESSION_COOKIE

__all__ = [
    "ERROR_SCHEMA",
    "SECURITY_SCHEMES",
    "audience_of",
    "describe",
    "install_openapi",
    "refusals",
]

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "description": "Every refusal: a stable machine code, a message for people, and details.",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "Stable; clients branch on it."},
                "message": {"type": "string"},
                "details": {
                    "description": "What the code needs said, or null; for validation_error "
                    "a list of {field, problem, type}."
                },
            },
        }
    },
}

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "operatorKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An operator API key (`gatehouse init` prints the first one).",
    },
    "recipientKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A recipient's API key, shown once when the operator registers it.",
    },
    "customerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A customer's sign-in link token (POST /v1/subjects/{id}/sessions).",
    },
    "customerCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The privacy center's session cookie; a state-changing request "
        "signed in by it must come from the same origin.",
    },
}

# Each audience's security requirement: alternatives, any one of which is enough.
_REQUIREMENTS: dict[str, list[dict[str, list[str]]]] = {
    "operator": [{"operatorKey": []}],
    "recipient": [{"recipientKey": []}],
    "customer": [{"customerToken": []}, {"customerCookie": []}],
}

_DESCRIPTIONS = {
    400: "The body is not valid JSON (malformed_json).",
    401: "No credentials, or credentials Gatehouse does not know (unauthorized).",
    403: "Credentials of another audience, or a refusal (forbidden, wrong_audience).",
    404: "No such id, or one the caller may not see (not_found).",
    409: "The request clashes with the state it meets (conflict).",
    410: "Gone: erased, or closed (key_shredded, view_closed).",
    413: "The body is over the size limit (body_too_large).",
    422: "A parameter or the body breaks a rule (validation_error, invalid_input).",
    429: "Too many requests for this key (rate_limited); see Retry-After.",
}

_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
}

_ERROR_REF = {"$ref": "#/components/schemas/Error"}

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _dependency_of(alias: Any) -> Any:
    """The callable behind an ``Annotated[T, Depends(f)]`` alias."""
    marker = get_args(alias)[1]
    assert isinstance(marker, Depends)
    return marker.dependency


_AUDIENCES = {
    _dependency_of(OperatorDep): "operator",
    _dependency_of(RecipientDep): "recipient",
    _dependency_of(CustomerDep): "customer",
    _dependency_of(GroupedOperatorDep): "operator",
    _dependency_of(CustomerTokenDep): "customer",
}

# Statuses every route of an audience can answer, before its handler runs.
_AUDIENCE_STATUSES = {
    "operator": (401, 403),
    "recipient": (401, 403, 429),
    "customer": (401, 403),
}


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=`` for the refusals only some routes give (409, 410, 404...)."""
    return {status: {"description": _DESCRIPTIONS[status]} for status in statuses}


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`describe`'s document at the app's ``openapi_url``, built once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(FastAPI.openapi(app), app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def describe(document: dict[str, Any], routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """Rewrite FastAPI's ``document`` for ``routes``: error shape, statuses, security."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for fastapi_name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(fastapi_name, None)
    # Copies: a consumer of one app's document must not change another app's.
    schemas["Error"] = deepcopy(ERROR_SCHEMA)
    components["securitySchemes"] = deepcopy(SECURITY_SCHEMES)
    # Included routers nest their routes; FastAPI's own iteration flattens them, prefixes on.
    for route in iter_route_contexts(list(routes)):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in sorted(route.methods or ()):
            operation = document["paths"][route.path_format][method.lower()]
            _document_operation(operation, route, method)
    return document


def audience_of(route: RouteContext) -> str | None:
    """Who may call ``route`` (operator, recipient or customer), or None when anyone may."""
    for dependant in _dependants(route.dependant):
        audience = _AUDIENCES.get(dependant.call)
        if audience is not None:
            return audience
    return None


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _document_operation(operation: dict[str, Any], route: RouteContext, method: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    audience = audience_of(route)
    statuses = set(_AUDIENCE_STATUSES.get(audience, ()) if audience else ())
    dependant: Dependant = route.dependant
    if dependant.path_params:
        statuses.add(404)
    if any(
        (dependant.path_params, dependant.query_params, dependant.header_params)
        + (dependant.cookie_params, dependant.body_params)
    ):
        statuses.add(422)
    if dependant.body_params and method in _WRITE_METHODS:
        statuses.update((400, 413))
    statuses.update(int(code) for code in responses if code.isdigit() and 400 <= int(code) < 500)
    for status in sorted(statuses):
        documented = responses.setdefault(str(status), {})
        # A route's own words stay; FastAPI's "Validation Error" says less than ours.
        if status == 422 or "description" not in documented:
            documented["description"] = _DESCRIPTIONS.get(status, "Refused.")
        documented["content"] = {"application/json": {"schema": deepcopy(_ERROR_REF)}}
        if status in _HEADERS:
            documented["headers"] = deepcopy(_HEADERS[status])
    if audience is not None:
        operation["security"] = deepcopy(_REQUIREMENTS[audience])
