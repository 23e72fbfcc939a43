"""The OpenAPI document: Gatehouse's error shape on every refusal, and each audience's scheme."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from gatehouse.app import create_app
from gatehouse.config import Settings
from gatehouse.services.customer_sessions import SESSION_COOKIE
from gatehouse.services.runtime import open_gatehouse
from gatehouse.vault import MasterKey
from tests.conftest import fresh_backend

ERROR_REF = {"$ref": "#/components/schemas/Error"}
METHODS = {"get", "put", "post", "delete", "patch"}
PUBLIC = {
    ("get", "/.well-known/gatehouse/checkpoint"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/v1/privacy-policy"),
    ("get", "/v1/privacy-policy/versions"),
    ("get", "/v1/privacy-policy/register"),
    ("get", "/v1/privacy-policy/entrustees"),
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    for backend in fresh_backend("sqlite", tmp_path_factory):
        gh = open_gatehouse(
            Settings.from_env(
                {
                    "GATEHOUSE_DATABASE_URL": backend.url,
                    "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64(),
                }
            )
        )
        yield create_app(gh).openapi()
        gh.close()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def test_every_refusal_is_documented_with_the_error_shape(document: dict[str, Any]) -> None:
    refusals = 0
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                refusals += 1
                schema = response["content"]["application/json"]["schema"]
                assert schema == ERROR_REF, (method, path, status)
    assert refusals > 300
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "details"]


def test_fastapi_validation_shape_is_gone(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert "HTTPValidationError" not in text
    assert '"ValidationError"' not in text
    assert "#/components/schemas/ValidationError" not in text


def test_validation_and_ids_and_bodies_are_documented(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        responses = operation["responses"]
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413"} <= responses.keys(), (method, path)


def test_every_authenticated_operation_names_its_scheme(document: dict[str, Any]) -> None:
    expected = {
        "/v1/me": [{"customerToken": []}, {"customerCookie": []}],
        "/v1/recipient/": [{"recipientKey": []}],
        "/v1/": [{"operatorKey": []}],
    }
    for method, path, operation in operations(document):
        if (method, path) in PUBLIC:
            assert "security" not in operation, (method, path)
            assert "401" not in operation["responses"], (method, path)
            continue
        prefix = next(p for p in expected if path.startswith(p))
        assert operation["security"] == expected[prefix], (method, path)
        assert {"401", "403"} <= operation["responses"].keys(), (method, path)
        unauthorized = operation["responses"]["401"]
        assert "WWW-Authenticate" in unauthorized["headers"]


def test_security_schemes_exist_per_audience(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    for name in ("operatorKey", "recipientKey", "customerToken"):
        assert schemes[name]["type"] == "http"
        assert schemes[name]["scheme"] == "bearer"
    assert schemes["customerCookie"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": schemes["customerCookie"]["description"],
    }


def test_recipients_are_told_of_rate_limits(document: dict[str, Any]) -> None:
    for _, path, operation in operations(document):
        if path.startswith("/v1/recipient/"):
            assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_route_specific_refusals(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert "410" in paths["/v1/recipient/transfers/{transfer_id}"]["get"]["responses"]
    assert "409" in paths["/v1/terms"]["post"]["responses"]
    assert "409" in paths["/v1/recipient/erasures/{erasure_id}/ack"]["post"]["responses"]
    assert "404" in paths["/.well-known/gatehouse/checkpoint"]["get"]["responses"]
    assert "503" in paths["/readyz"]["get"]["responses"]
    refused = paths["/v1/orders/{order_id}/transfers"]["post"]["responses"]["403"]
    assert refused["description"].startswith("Refused")
    assert refused["content"]["application/json"]["schema"] == ERROR_REF


def test_pages_are_not_in_the_api_document(document: dict[str, Any]) -> None:
    for path in document["paths"]:
        assert path.startswith(("/v1/", "/.well-known/", "/healthz", "/readyz")), path
