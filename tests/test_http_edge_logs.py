"""Structured logs: one JSON access line per request, by route template, with the request id;
uvicorn's own access log replaced when ``gatehouse serve`` runs."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from gatehouse.http.logs import JsonFormatter, log_config
from tests.test_cli import GATEHOUSE, _env, _free_port, _run

SECRET_ID = "rcp_LOGSECRET5150"
SECRET_QUERY = "ZZQUERYSECRET"


def _access(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "gatehouse.access"]


def test_one_access_line_per_request_by_route_template(
    api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gatehouse.access")
    answer = api.get(
        f"/v1/recipients/{SECRET_ID}",
        params={"reason": SECRET_QUERY},
        headers={"X-Request-ID": "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"},
    )
    assert answer.status_code == 404
    assert answer.headers["x-request-id"] == "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
    (line,) = [
        r for r in _access(caplog) if r.__dict__["request_id"] == answer.headers["x-request-id"]
    ]
    assert line.__dict__["route"] == "/v1/recipients/{recipient_id}"
    assert line.__dict__["method"] == "GET"
    assert line.__dict__["status"] == 404
    assert isinstance(line.__dict__["duration_ms"], float)
    written = JsonFormatter().format(line)
    assert json.loads(written)["route"] == "/v1/recipients/{recipient_id}"
    assert SECRET_ID not in written and SECRET_QUERY not in written


@pytest.mark.parametrize("given", ["has spaces in it", "x" * 200, "a\u00e9b", "<script>", ""])
def test_an_unfit_request_id_is_replaced(anonymous: httpx.Client, given: str) -> None:
    answer = anonymous.get("/healthz", headers={"X-Request-ID": given.encode("utf-8")})
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])


def test_unmatched_paths_and_mounts_are_logged_by_template(
    anonymous: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gatehouse.access")
    anonymous.get(f"/nowhere/{SECRET_ID}")
    anonymous.get(f"/static/{SECRET_ID}.css")
    routes = [r.__dict__["route"] for r in _access(caplog)]
    assert routes[-2:] == ["<unmatched>", "/static/{path}"]
    assert not any(SECRET_ID in JsonFormatter().format(r) for r in caplog.records)


def test_the_log_config_names_a_json_formatter_everywhere() -> None:
    config = log_config("info")
    assert {h["formatter"] for h in config["handlers"].values()} == {"json"}
    assert config["loggers"]["uvicorn.access"]["handlers"] == []
    assert config["loggers"]["gatehouse.access"]["level"] == "INFO"


def test_gatehouse_serve_writes_json_lines_and_no_uvicorn_access_log(tmp_path: Path) -> None:
    db = {"GATEHOUSE_DATABASE_URL": f"sqlite:///{tmp_path / 'gatehouse.db'}"}
    init = _run(["init"], tmp_path, **db)
    assert init.returncode == 0, init.stderr
    key = init.stdout.split("operator key: ")[1].split()[0]
    port = _free_port()
    server = subprocess.Popen(
        [*GATEHOUSE, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=_env(**db),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        answer = httpx.get(
            f"{base}/v1/recipients/{SECRET_ID}",
            params={"country": SECRET_QUERY},
            headers={"Authorization": f"Bearer {key}", "X-Request-ID": "serve-req-42"},
            timeout=10,
        )
        assert answer.status_code == 404
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    assert SECRET_ID not in out + err and SECRET_QUERY not in out + err
    access = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    (line,) = [a for a in access if a.get("request_id") == "serve-req-42"]
    assert line["logger"] == "gatehouse.access"
    assert line["route"] == "/v1/recipients/{recipient_id}"
    assert line["status"] == 404 and line["method"] == "GET"
    # uvicorn's own lines are JSON too, and its access log ('"GET /path HTTP/1.1" 404') is gone.
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(entry["logger"].startswith("uvicorn") for entry in logged)
    assert "HTTP/1.1" not in out + err
