"""405 answers: the error shape, and an Allow header that names every method of the path."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from gatehouse.app import create_app
from gatehouse.config import Settings
from gatehouse.services.runtime import open_gatehouse
from gatehouse.vault import MasterKey
from tests.conftest import fresh_backend

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    for backend in fresh_backend("sqlite", tmp_path_factory):
        gh = open_gatehouse(
            Settings.from_env(
                {
                    "GATEHOUSE_DATABASE_URL": backend.url,
                    "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64(),
                }
            )
        )
        yield create_app(gh)
        gh.close()


def send(app: FastAPI, method: str, path: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gatehouse") as client:
            return await client.request(method, path)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        # Each of these paths is served by two or three functions, so by as many routes.
        ("DELETE", "/v1/recipients", "GET, POST"),
        ("PUT", "/v1/recipients/rcp_1", "GET, PATCH"),
        ("PUT", "/v1/subjects/sub_1", "DELETE, GET"),
        ("POST", "/v1/operator/profile", "GET, PUT"),
        ("PATCH", "/v1/me", "DELETE, GET"),
        ("DELETE", "/v1/subjects/sub_1/consents", "GET, POST"),
        ("PUT", "/v1/incidents", "GET, POST"),
        ("POST", "/healthz", "GET"),
    ],
)
def test_allow_lists_every_method_of_the_path(
    app: FastAPI, method: str, path: str, allowed: str
) -> None:
    response = send(app, method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.json() == {
        "error": {
            "code": "method_not_allowed",
            "message": "this endpoint does not accept that method",
            "details": {"allowed": allowed.split(", ")},
        }
    }


def test_pages_keep_their_methods(app: FastAPI) -> None:
    response = send(app, "DELETE", "/privacy-policy")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


def test_static_files_say_what_they_accept(app: FastAPI) -> None:
    response = send(app, "POST", "/static/missing.css")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_allow_matches_the_document_on_every_path(app: FastAPI) -> None:
    for template, item in app.openapi()["paths"].items():
        documented = sorted(m.upper() for m in item if m in HTTP_METHODS)
        method = next(m for m in ("PATCH", "PUT", "DELETE", "POST") if m not in documented)
        path = re.sub(r"\{[^}]+\}", "x1", template)
        response = send(app, method, path)
        assert response.status_code == 405, (method, path)
        assert response.headers["allow"] == ", ".join(documented), (method, path)
