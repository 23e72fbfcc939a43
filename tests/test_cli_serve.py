"""``gatehouse serve --workers N``: real worker processes over real HTTP, and SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import fresh_backend
from tests.support.server import api_client
from tests.test_cli import GATEHOUSE, _env, _free_port, _run, _serving


@pytest.fixture
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    for backend in fresh_backend("postgres", tmp_path_factory):
        yield backend.url


def _workers(pid: int) -> set[int]:
    """The server's worker processes: its children started by multiprocessing's spawn."""
    found = subprocess.run(
        ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True
    )
    return {int(line.split()[0]) for line in found.stdout.splitlines() if "spawn_main" in line}


def _answering_pids(port: int) -> set[int]:
    """Which processes hold the server's side of the connections now open on ``port``."""
    sockets = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {int(pid) for pid in re.findall(r"pid=(\d+)", sockets)}


def _open_connections(base: str, key: str, count: int) -> list[httpx.Client]:
    """``count`` clients, each with one kept-alive connection that answered an authenticated GET."""
    clients = [api_client(base, key) for _ in range(count)]
    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(lambda c: c.get("/v1/recipients?limit=1"), clients))
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.json()["items"] == []
    return clients


def test_two_workers_on_postgresql_both_answer_and_stop_on_sigterm(
    tmp_path: Path, postgres_url: str
) -> None:
    db = {"GATEHOUSE_DATABASE_URL": postgres_url}
    init = _run(["init"], tmp_path, **db)
    assert init.returncode == 0, init.stderr
    key = init.stdout.split("operator key: ")[1].split()[0]
    port = _free_port()
    with _serving(["serve", "--port", str(port), "--workers", "2"], tmp_path, port, **db) as server:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while len(_workers(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = _workers(server.pid)
        assert len(workers) == 2, workers
        # Each worker starts with glibc's arenas capped, as the parent process runs.
        for worker in workers:
            assert b"MALLOC_ARENA_MAX=2" in Path(f"/proc/{worker}/environ").read_bytes().split(
                b"\0"
            )
        assert httpx.get(f"{base}/v1/recipients", timeout=10).status_code == 401
        # Whichever worker accepts first takes a connection; with many at once, both do.
        answered: set[int] = set()
        for _ in range(30):
            clients = _open_connections(base, key, 16)
            answered |= _answering_pids(port)
            for client in clients:
                client.close()
            if answered >= workers:
                break
        assert answered == workers
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(Path(f"/proc/{w}").exists() for w in workers)


def _capped(**environment: str) -> str:
    """What ``cap_malloc_arenas`` answers in a new process, and the cap its workers inherit."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from gatehouse.cli.serving import cap_malloc_arenas;"
            "print(cap_malloc_arenas(), os.environ.get('MALLOC_ARENA_MAX'))",
        ],
        env={k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_the_server_caps_malloc_arenas_unless_the_operator_chose() -> None:
    assert _capped() == "True 2"  # this machine's C library is glibc
    assert _capped(MALLOC_ARENA_MAX="4") == "False 4"


def test_more_than_one_worker_on_sqlite_is_refused(tmp_path: Path) -> None:
    db = {"GATEHOUSE_DATABASE_URL": f"sqlite:///{tmp_path / 'gatehouse.db'}"}
    assert _run(["init"], tmp_path, **db).returncode == 0
    refused = subprocess.run(
        GATEHOUSE + ["serve", "--port", str(_free_port()), "--workers", "2"],
        cwd=tmp_path,
        env=_env(**db),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    message = " ".join((refused.stderr + refused.stdout).split())
    assert "--workers 2 needs PostgreSQL" in message
    assert "SQLite keeps one writer" in message


def test_the_server_starts_without_the_libraries_only_other_work_needs() -> None:
    """DuckDB (archives, exports), httpx (webhook delivery) load when that work first runs,
    not with every server process: each one costs its start-up time."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, gatehouse.cli, gatehouse.app;"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'duckdb', 'httpx'}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
