"""The ``gatehouse`` command as an operator runs it: real processes, real HTTP, curl."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import fresh_backend
from tests.support.factories import subject_body
from tests.support.operator_profiles import profile_body

GATEHOUSE = [sys.executable, "-m", "gatehouse"]
PACKS = Path(__file__).resolve().parent.parent / "gatehouse" / "rules" / "packs"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update(extra)
    return env


def _run(args: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        GATEHOUSE + args, cwd=cwd, env=_env(**extra), capture_output=True, text=True, timeout=300
    )


@contextmanager
def _serving(
    args: list[str], cwd: Path, port: int, **extra: str
) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        GATEHOUSE + args,
        cwd=cwd,
        env=_env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(
                    f"gatehouse exited: {process.stdout.read() if process.stdout else ''}"
                )
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError("gatehouse did not start serving")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout:
            process.stdout.close()


def _curl(url: str, key: str) -> tuple[int, dict[str, object]]:
    curl = shutil.which("curl")
    assert curl, "curl is needed to check the README walkthrough"
    out = subprocess.run(
        [curl, "-s", "-w", "\n%{http_code}", "-H", f"Authorization: Bearer {key}", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    body, _, code = out.rpartition("\n")
    return int(code), json.loads(body)


def test_init_creates_private_key_file_and_prints_a_working_key(tmp_path: Path) -> None:
    result = _run(["init"], tmp_path)
    assert result.returncode == 0, result.stderr
    match = re.search(r"^operator key: (gh_op_\S+)$", result.stdout, re.M)
    assert match, result.stdout
    key_file = tmp_path / "gatehouse.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (tmp_path / "gatehouse.db").exists()
    key_text = key_file.read_text()
    assert (
        key_text.strip()
        and key_text.split()[-1].encode() not in (tmp_path / "gatehouse.db").read_bytes()
    )

    port = _free_port()
    with _serving(["serve", "--port", str(port)], tmp_path, port):
        code, body = _curl(f"http://127.0.0.1:{port}/v1/recipients", match.group(1))
        assert code == 200 and body["items"] == []
        created = httpx.post(
            f"http://127.0.0.1:{port}/v1/subjects",
            json=subject_body(),
            headers={"Authorization": f"Bearer {match.group(1)}"},
        )
        assert created.status_code == 201
        subject_id = created.json()["id"]

        # Rotate while the server keeps serving: it reloads the key file on the new key id.
        rotated = _run(["keys", "rotate"], tmp_path)
        assert rotated.returncode == 0, rotated.stderr + rotated.stdout
        assert "0 still under an older key" in " ".join(rotated.stdout.split())
        keys = [
            line for line in key_file.read_text().splitlines() if line and not line.startswith("#")
        ]
        assert len(keys) == 2
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        code, body = _curl(
            f"http://127.0.0.1:{port}/v1/subjects/{subject_id}?reason=rotation%20check%20read",
            match.group(1),
        )
        assert code == 200 and body["masked"] is False


def test_broken_rule_pack_stops_start_up_naming_file_key_and_problem(tmp_path: Path) -> None:
    assert _run(["init"], tmp_path).returncode == 0
    rules = tmp_path / "rules"
    rules.mkdir()
    text = (PACKS / "kr-pipa.toml").read_text(encoding="utf-8")
    broken = re.sub(r'(?m)^phone = "safe_number"', 'phone = "safe_numbr"', text, count=1)
    assert broken != text
    (rules / "kr-pipa.toml").write_text(broken, encoding="utf-8")
    result = _run(["serve", "--port", str(_free_port())], tmp_path, GATEHOUSE_RULES_DIR=str(rules))
    assert result.returncode == 2
    message = " ".join((result.stderr + result.stdout).split())
    assert "kr-pipa.toml" in message
    assert "purposes.fulfilment.fields.phone" in message
    assert "safe_numbr" in message


def test_missing_master_key_stops_start_up(tmp_path: Path) -> None:
    assert _run(["init"], tmp_path).returncode == 0
    missing_key = _run(["serve"], tmp_path, GATEHOUSE_KEY_FILE=str(tmp_path / "absent.key"))
    assert missing_key.returncode == 2
    assert "gatehouse init" in " ".join((missing_key.stderr + missing_key.stdout).split())


def test_demo_seeds_serves_and_prints_a_key_that_works_with_curl(tmp_path: Path) -> None:
    port = _free_port()
    args = ["demo", "--recipients", "40", "--subjects", "60", "--port", str(port)]
    with _serving(args, tmp_path, port) as process:
        assert process.stdout is not None
        output = ""
        while "operator key:" not in output or "API docs" not in output:
            output += process.stdout.readline()
        key = re.search(r"operator key: (gh_op_\S+)", output)
        assert key, output
        assert "seeded 40 recipients in 23 countries" in output.replace("\n", " ")
        code, body = _curl(f"http://127.0.0.1:{port}/v1/recipients?limit=5", key.group(1))
        assert code == 200 and len(body["items"]) == 5  # type: ignore[arg-type]
        code, body = _curl(f"http://127.0.0.1:{port}/v1/recipients", "gh_op_wrong")
        assert code == 401
    assert (tmp_path / "gatehouse-demo.db").exists()


def _set_profile(tmp_path: Path, database_url: str | None = None, **changes: object) -> None:
    """Store an operator profile in tmp_path's database, as PUT /v1/operator/profile would."""
    from gatehouse.api.operator_profile import OperatorProfileIn
    from gatehouse.config import Settings
    from gatehouse.services.operator_profile import set_profile
    from gatehouse.services.runtime import open_gatehouse

    settings = Settings.from_env(
        {
            "GATEHOUSE_DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'gatehouse.db'}",
            "GATEHOUSE_KEY_FILE": str(tmp_path / "gatehouse.key"),
        }
    )
    gh = open_gatehouse(settings)
    try:
        set_profile(gh, OperatorProfileIn.model_validate(profile_body(**changes)).to_domain())
    finally:
        gh.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A new, empty database of each kind for one CLI test, dropped afterwards."""
    for backend in fresh_backend(request.param, tmp_path_factory):
        yield backend.url


def test_serve_refuses_without_a_required_domestic_agent_then_starts_once_set(
    tmp_path: Path, database_url: str
) -> None:
    db = {"GATEHOUSE_DATABASE_URL": database_url}
    assert _run(["init"], tmp_path, **db).returncode == 0
    # No profile at all: serve starts, with a warning (the console says so too).
    port = _free_port()
    with _serving(["serve", "--port", str(port)], tmp_path, port, **db):
        pass
    _set_profile(tmp_path, database_url, domestic_agent={"name": "바다마켓코리아 유한회사"})
    refused = _run(["serve", "--port", str(_free_port())], tmp_path, **db)
    assert refused.returncode == 2
    message = " ".join((refused.stderr + refused.stdout).split())
    assert "domestic agent required" in message
    assert "제31조의2제1항" in message
    assert "domestic_agent.address, domestic_agent.phone, domestic_agent.email" in message
    assert "domestic_agent.name" not in message
    _set_profile(tmp_path, database_url)
    port = _free_port()
    with _serving(["serve", "--port", str(port)], tmp_path, port, **db):
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
