"""Every route of the app as a request to send: the walker the edge's fuzz and cache tests share.

The API's routes come from the OpenAPI document (path and query parameters, and a JSON body
built from the request schema); the pages, which the document leaves out, from their
FastAPI dependants (path and query parameters, form fields). A :class:`World` holds a live
server on a fresh database with a caller of each audience: the operator's key, a recipient's
key, a customer's session token, and the three pages' cookie sessions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from gatehouse.app import create_app
from gatehouse.services.access import issue_operator_key
from tests.conftest import Fresh
from tests.support.factories import TERMS_CLAUSES, recipient_body, subject_body
from tests.support.server import LiveServer

TERMS_VERSION = "edge-1"
DATE = "2026-12-01"
DATETIME = "2026-11-28T09:00:00+00:00"
# Routes whose plain request spends the caller's credential or session: walked last.
SPENDING = ("/v1/me", "/keys/rotate", "/logout", "/sessions/revoke", "/privacy/delete")
# Routes whose plain request renders a whole audit report (seconds each, a PDF most).
RENDERING = ("/v1/audit", "/console/audit/last-quarter.pdf", "/console/audit/last-quarter.html")
# Which credential each part of the app expects, by path prefix; the operator's otherwise.
AUDIENCES = (
    ("/v1/recipient/", "recipient"),
    ("/v1/me", "customer"),
    ("/recipient", "portal"),
    ("/privacy-policy", "none"),
    ("/privacy", "privacy"),
    ("/console", "console"),
    ("/.well-known/", "none"),
    ("/static/", "none"),
)


def audience_of(template: str) -> str:
    """The credential a route expects, named as in :attr:`World.credentials`."""
    return next((who for prefix, who in AUDIENCES if template.startswith(prefix)), "operator")


@dataclass
class Endpoint:
    """One route and method, with sample values for each of its inputs."""

    method: str
    template: str
    path_params: dict[str, str]
    query: dict[str, str]
    json_body: Any = None
    form: dict[str, str] | None = None

    def url(self, path_params: dict[str, str] | None = None) -> str:
        """The concrete path, each parameter percent-encoded."""
        values = {**self.path_params, **(path_params or {})}
        return re.sub(
            r"\{([^}:]+)(?::[^}]*)?\}", lambda m: quote(values[m.group(1)], safe=""), self.template
        )

    def send(
        self,
        client: httpx.Client,
        headers: dict[str, str],
        *,
        path_params: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send the request, with any input replaced; ``content`` replaces the body's bytes."""
        params = query if query is not None else self.query
        target = self.url(path_params)
        if params:
            target += "?" + "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in params.items())
        body, kind = content, "application/json"
        if self.form is not None:
            kind = "application/x-www-form-urlencoded"
            if body is None:
                body = "&".join(f"{quote(k)}={quote(v)}" for k, v in self.form.items()).encode()
        elif body is None and self.json_body is not None:
            body = json.dumps(self.json_body).encode()
        if body is not None:
            headers = {**headers, "Content-Type": kind}
        return client.request(self.method, target, headers=headers, content=body)


@dataclass
class World:
    """A live server on a fresh database, and a credential of each audience."""

    app: FastAPI
    server: LiveServer
    client: httpx.Client
    ids: dict[str, str]
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def sample(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A plausible value of a JSON schema: every property present, one item per array."""
    schema = _resolve(schema, components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, components).get("type") != "null"]
            return sample(options[0] if options else {}, components, depth)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        props = schema.get("properties", {})
        return {name: sample(sub, components, depth + 1) for name, sub in props.items()}
    if kind == "array":
        return [sample(schema.get("items", {}), components, depth + 1)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if schema.get("format") == "date":
        return DATE
    if schema.get("format") == "date-time":
        return DATETIME
    return "x1"


def _dependant_params(dependant: Dependant, found: dict[str, list[str]]) -> dict[str, list[str]]:
    for kind in ("path_params", "query_params", "body_params"):
        found[kind] += [f.alias for f in getattr(dependant, kind)]
    for sub in dependant.dependencies:
        _dependant_params(sub, found)
    return found


def endpoints(app: FastAPI, ids: dict[str, str]) -> list[Endpoint]:
    """Every route and method of ``app``, the spending ones last."""
    document = app.openapi()
    components = document.get("components", {}).get("schemas", {})
    found: list[Endpoint] = []
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            path_params = {p["name"]: ids.get(p["name"], "x1") for p in params if p["in"] == "path"}
            query = {
                p["name"]: str(sample(p.get("schema", {}), components))
                for p in params
                if p["in"] == "query"
            }
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            json_body = sample(body["schema"], components) if body else None
            found.append(Endpoint(method.upper(), template, path_params, query, json_body))
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or route.include_in_schema:
            continue
        params = _dependant_params(
            route.dependant, {"path_params": [], "query_params": [], "body_params": []}
        )
        for method in sorted(context.methods or ()):
            found.append(
                Endpoint(
                    method,
                    str(context.path),
                    {name: ids.get(name, "x1") for name in params["path_params"]},
                    {name: "x1" for name in params["query_params"]},
                    form=None if method == "GET" else {n: "x1" for n in params["body_params"]},
                )
            )
    return sorted(found, key=lambda e: any(s in e.template for s in SPENDING))


def _cookie_header(response: httpx.Response, jar: dict[str, str]) -> None:
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        jar.update({name: morsel.value for name, morsel in parsed.items()})


def _page_session(client: httpx.Client, area: str, key: str) -> dict[str, str]:
    jar: dict[str, str] = {}
    form = client.get(f"/{area}/login")
    _cookie_header(form, jar)
    nonce = re.search(r'name="nonce" value="([^"]+)"', form.text)
    assert nonce, form.text
    signed = client.post(
        f"/{area}/login",
        data={"api_key": key, "nonce": nonce.group(1)},
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
    )
    assert signed.status_code == 303, signed.text
    _cookie_header(signed, jar)
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}


def _ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code < 300, answer.text
    result: dict[str, Any] = answer.json()
    return result


def build_world(fresh: Fresh) -> Iterator[World]:
    """A live server on ``fresh`` with a caller of each audience (a generator: close after)."""
    gh = fresh.gatehouse
    # The server builds its own app from the same Gatehouse; this one is only walked.
    app = create_app(gh)
    with (
        LiveServer(gh) as server,
        httpx.Client(base_url=server.url, timeout=60, follow_redirects=False) as client,
    ):
        operator = {"Authorization": f"Bearer {issue_operator_key(gh, gh.clock(), label='edge')}"}
        terms = {"version": TERMS_VERSION, "clauses": TERMS_CLAUSES}
        _ok(client.post("/v1/terms", json=terms, headers=operator))
        mine = _ok(client.post("/v1/recipients", json=recipient_body(), headers=operator))
        recipient = {"Authorization": f"Bearer {mine['api_key']}"}
        _ok(client.post(f"/v1/recipient/terms/{TERMS_VERSION}/accept", headers=recipient))
        target = _ok(client.post("/v1/recipients", json=recipient_body(), headers=operator))
        me = _ok(client.post("/v1/subjects", json=subject_body(), headers=operator))["id"]
        other = _ok(client.post("/v1/subjects", json=subject_body(), headers=operator))["id"]
        order = _ok(
            client.post(
                "/v1/orders",
                json={
                    "subject_id": other,
                    "recipient_id": mine["id"],
                    "external_ref": "edge-order-1",
                    "items": [{"sku": "SKU-1", "name": "Mug", "quantity": 1}],
                    "customs_required": False,
                },
                headers=operator,
            )
        )["id"]
        token = _ok(client.post(f"/v1/subjects/{me}/sessions", headers=operator))["token"]
        link = _ok(client.post(f"/v1/subjects/{me}/sessions", headers=operator))["token"]
        entered = client.get("/privacy/enter", params={"token": link})
        jar: dict[str, str] = {}
        _cookie_header(entered, jar)
        ids = {
            "recipient_id": target["id"],
            "subject_id": other,
            "order_id": order,
            "version": TERMS_VERSION,
            "cc": "JP",
            "country": "JP",
        }
        world = World(app, server, client, ids)
        world.credentials = {
            "none": {},
            "operator": operator,
            "recipient": recipient,
            "customer": {"Authorization": f"Bearer {token}"},
            "console": _page_session(client, "console", operator["Authorization"][7:]),
            "portal": _page_session(client, "recipient", mine["api_key"]),
            "privacy": {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
        }
        yield world


def test_the_walk_covers_every_route_of_the_app(fresh: Fresh) -> None:
    for world in build_world(fresh):
        walked = {(e.method, e.template) for e in endpoints(world.app, world.ids)}
        routes = {
            (method, context.path)
            for context in iter_route_contexts(world.app.routes)
            if isinstance(context.original_route, APIRoute)
            for method in context.methods or ()
        }
        assert routes - walked == set()
        # Each credential opens its own door.
        assert world.client.get("/v1/me", headers=world.credentials["customer"]).status_code == 200
        portal = world.client.get("/recipient", headers=world.credentials["portal"])
        assert portal.status_code == 200
        assert world.client.get("/console", headers=world.credentials["console"]).status_code == 200
        assert world.client.get("/privacy", headers=world.credentials["privacy"]).status_code == 200
