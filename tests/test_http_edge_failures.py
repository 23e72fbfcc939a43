"""A real database error over real HTTP: a 500 in the error shape, on a connection that stays
open, logged by exception type and fingerprint with the request id, and none of the values.
"""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gatehouse.http.fingerprints import error_type, fingerprint, frames
from gatehouse.http.logs import JsonFormatter
from tests.conftest import Fresh
from tests.support.factories import TERMS_CLAUSES
from tests.support.server import operator_api

# Values no log line may hold: they travel in a query string and in a JSON body.
SECRETS = ["rcp_QX7DISTINCT881", "sub_ZZSECRET4242", "edge-secret-version-77", "Vault-Q Sentinel"]
REQUEST_ID = "edge-req-0001-failure"


def _local_port(answer: httpx.Response) -> int:
    """The client's port of the connection that carried ``answer``."""
    address = answer.extensions["network_stream"].get_extra_info("client_addr")
    return int(address[1])


def _raise_here(message: str) -> None:
    raise RuntimeError(message)


def _caught(message: str) -> RuntimeError:
    try:
        _raise_here(message)
    except RuntimeError as exc:
        return exc
    raise AssertionError("unreachable")


def test_a_fingerprint_names_the_place_and_type_never_the_message() -> None:
    one, two = _caught("holds 010-1234-5678"), _caught("holds something else")
    assert fingerprint(one) == fingerprint(two)
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint(one))
    assert error_type(one) == "builtins.RuntimeError"
    assert frames(one)[-1].endswith(":_raise_here")
    assert fingerprint(one) != fingerprint(ValueError("holds 010-1234-5678"))


def test_the_json_formatter_writes_an_exception_by_type_and_fingerprint_only() -> None:
    exc = _caught("name 홍길동, phone 010-1234-5678")
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "failed", (), (type(exc), exc, None)
    )
    line = JsonFormatter().format(record)
    assert "홍길동" not in line and "010-1234-5678" not in line and "Traceback" not in line
    assert json.loads(line)["fingerprint"] == fingerprint(exc)


def test_the_engines_hide_bound_parameters_from_their_errors(fresh: Fresh) -> None:
    with pytest.raises(DBAPIError) as caught, fresh.gatehouse.engine.connect() as connection:
        connection.execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": SECRETS[0]})
    assert SECRETS[0] not in str(caught.value)


def test_a_database_error_answers_500_keeps_the_connection_and_logs_no_values(
    fresh: Fresh, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    with operator_api(fresh.gatehouse) as (_, api):
        missing = api.get("/v1/recipients/rcp_nope")
        assert missing.status_code == 404
        malformed = api.post(
            "/v1/recipients", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert malformed.status_code == 400

        with fresh.gatehouse.engine.begin() as connection:
            connection.execute(text("ALTER TABLE transfers RENAME TO transfers_moved"))
            connection.execute(text("ALTER TABLE terms_versions RENAME TO terms_moved"))
        listed = api.get(
            "/v1/transfers",
            params={"recipient_id": SECRETS[0], "subject_id": SECRETS[1]},
            headers={"X-Request-ID": REQUEST_ID},
        )
        published = api.post(
            "/v1/terms",
            json={
                "version": SECRETS[2],
                "clauses": {**TERMS_CLAUSES, "deletion": TERMS_CLAUSES["deletion"] + SECRETS[3]},
            },
        )
        healthy = api.get("/healthz")
        ports = {_local_port(a) for a in (missing, malformed, listed, published, healthy)}

    for answer in (listed, published):
        assert answer.status_code == 500, answer.text
        assert answer.json() == {
            "error": {
                "code": "internal_error",
                "message": "an internal error occurred",
                "details": None,
            }
        }
        assert answer.headers.get("connection", "keep-alive").lower() != "close"
        assert answer.headers["cache-control"] == "no-store"
    assert healthy.status_code == 200
    # One connection carried the 404, the 400, both 500s and the next request.
    assert len(ports) == 1
    assert listed.headers["x-request-id"] == REQUEST_ID

    failures = [r for r in caplog.records if r.name == "gatehouse.http"]
    assert len(failures) == 2
    first = failures[0]
    assert first.__dict__["request_id"] == REQUEST_ID
    assert first.__dict__["route"] == "/v1/transfers"
    assert re.fullmatch(r"[0-9a-f]{16}", first.__dict__["fingerprint"])
    assert first.__dict__["error_type"].startswith(("sqlalchemy.exc.", "psycopg."))
    access = [r for r in caplog.records if r.name == "gatehouse.access"]
    assert any(
        r.__dict__["request_id"] == REQUEST_ID
        and r.__dict__["route"] == "/v1/transfers"
        and r.__dict__["status"] == 500
        for r in access
    )

    # Everything the server side logged, at every level (the test's own client logs its URLs).
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    formatter = JsonFormatter()
    written = "\n".join(formatter.format(r) for r in server)
    captured = capfd.readouterr()
    everything = "\n".join(
        [written, captured.out, captured.err]
        + [logging.Formatter().format(r) for r in server]
        + [repr(vars(r)) for r in server]
    )
    for secret in SECRETS:
        assert secret not in everything
    assert REQUEST_ID in written and first.__dict__["fingerprint"] in written
    # uvicorn never saw the exception: ours ended it.
    assert "Exception in ASGI application" not in everything
