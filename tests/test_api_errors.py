"""Bad input anywhere gets the error shape and a 4xx status, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.support.factories import recipient_body, subject_body

POST_ENDPOINTS = [
    "/v1/recipients",
    "/v1/subjects",
    "/v1/terms",
    "/v1/recipients/rcp_x/suspend",
    "/v1/countries/CN/suspend",
]


def assert_error(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    assert "Traceback" not in response.text
    return error


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_malformed_json(api: httpx.Client, path: str) -> None:
    response = api.post(
        path, content=b'{"kind": "seller",', headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "malformed_json")


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_two_mib_body_is_refused(api: httpx.Client, path: str) -> None:
    body = b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = api.post(path, content=body, headers={"content-type": "application/json"})
    assert_error(response, 413, "body_too_large")


def test_chunked_huge_body_is_refused(api: httpx.Client) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 65536

    response = api.post(
        "/v1/recipients", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "body_too_large")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/recipients", recipient_body(retention_days="90"), "retention_days"),
        ("/v1/recipients", recipient_body(legal_name=123), "legal_name"),
        ("/v1/recipients", recipient_body(kind="pirate"), "kind"),
        ("/v1/recipients", recipient_body(purposes="fulfilment"), "purposes"),
        ("/v1/recipients", recipient_body(unexpected=True), "unexpected"),
        ("/v1/subjects", subject_body(phone=1012345678), "phone"),
        ("/v1/subjects", subject_body(address="서울"), "address"),
        ("/v1/terms", {"version": "v1", "clauses": "all of them"}, "clauses"),
        ("/v1/terms", {"version": 1, "clauses": {}}, "version"),
    ],
)
def test_wrong_types(api: httpx.Client, path: str, body: dict[str, object], field: str) -> None:
    error = assert_error(api.post(path, json=body), 422, "validation_error")
    details = error["details"]
    assert isinstance(details, list)
    assert any(str(item["field"]).startswith(field) for item in details)


def test_validation_errors_do_not_echo_input(api: httpx.Client) -> None:
    secret = "P999999999999-and-more"
    response = api.post("/v1/subjects", json=subject_body(customs_code=12, name=secret))
    assert response.status_code == 422
    assert secret not in response.text


def test_body_that_is_not_an_object(api: httpx.Client) -> None:
    assert_error(api.post("/v1/recipients", json=[1, 2, 3]), 422, "validation_error")


def test_unknown_route_and_wrong_method(api: httpx.Client) -> None:
    assert_error(api.get("/v1/nothing-here"), 404, "not_found")
    assert_error(api.delete("/v1/recipients"), 405, "method_not_allowed")
    assert_error(api.put("/v1/terms", json={}), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "path",
    ["/v1/recipients/rcp_unknown", "/v1/subjects/sub_unknown"],
)
def test_unknown_ids(api: httpx.Client, path: str) -> None:
    assert_error(api.get(path), 404)


def test_overlong_id_is_a_validation_error(api: httpx.Client) -> None:
    assert_error(api.get("/v1/recipients/" + "r" * 500), 422, "validation_error")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ],
)
def test_missing_or_bad_credentials(anonymous: httpx.Client, headers: dict[str, str]) -> None:
    response = anonymous.get("/v1/recipients", headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


def test_bad_query_parameters(api: httpx.Client) -> None:
    assert_error(api.get("/v1/recipients", params={"limit": "many"}), 422, "validation_error")
    assert_error(api.get("/v1/recipients", params={"limit": 100000}), 422, "validation_error")
    assert_error(api.get("/v1/recipients", params={"status": "dormant"}), 422, "validation_error")
    assert_error(api.get("/v1/recipients", params={"country": "Narnia"}), 422, "invalid_country")


def test_openapi_document_is_served(anonymous: httpx.Client) -> None:
    docs = anonymous.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = anonymous.get("/openapi.json").json()
    assert "/v1/recipients" in spec["paths"] and "/v1/subjects" in spec["paths"]
