"""``gatehouse backup`` and ``gatehouse restore`` as an operator runs them: real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatehouse.vault import MasterKey
from tests.conftest import Backend, fresh_backend

GATEHOUSE = [sys.executable, "-m", "gatehouse"]


def _run(args: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update(extra)
    return subprocess.run(
        GATEHOUSE + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(params=["sqlite", "postgres"])
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    yield from fresh_backend(request.param, tmp_path_factory)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A Gatehouse made with ``gatehouse init``: an SQLite database and a key file."""
    done = _run(["init"], tmp_path)
    assert done.returncode == 0, done.stderr
    # Something the vault wraps, so the backup depends on the key for real.
    made = _run(["keys", "rotate"], tmp_path)
    assert made.returncode == 0, made.stderr
    return tmp_path


def test_backup_then_restore_then_verify(site: Path, target: Backend) -> None:
    made = _run(["backup", "--out", "site.backup", "--key-out", "kept/site.key"], site)
    assert made.returncode == 2  # the key's folder does not exist yet: nothing is written
    assert not (site / "kept").exists()
    assert not (site / "site.backup").exists()
    (site / "kept").mkdir(mode=0o700)
    made = _run(["backup", "--out", "second.backup", "--key-out", "kept/site.key"], site)
    assert made.returncode == 0, made.stderr
    assert "NOT in it" in made.stdout
    assert "store this file apart" in made.stderr
    restored = _run(
        ["restore", "--from", str(site / "second.backup"), "--database-url", target.url],
        site.parent,
        GATEHOUSE_KEY_FILE=str(site / "kept" / "site.key"),
    )
    assert restored.returncode == 0, restored.stderr
    assert "matches the backup" in restored.stdout
    verified = _run(
        ["ledger", "verify"],
        site.parent,
        GATEHOUSE_KEY_FILE=str(site / "kept" / "site.key"),
        GATEHOUSE_DATABASE_URL=target.url,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_restore_refuses_another_key_and_a_used_database(site: Path, tmp_path: Path) -> None:
    made = _run(["backup", "--out", "site.backup"], site)
    assert made.returncode == 0, made.stderr
    target = tmp_path / "restored.db"
    args = ["restore", "--from", str(site / "site.backup"), "--database-url", f"sqlite:///{target}"]
    refused = _run(args, site.parent, GATEHOUSE_MASTER_KEY=MasterKey.generate().to_b64())
    assert refused.returncode == 1
    assert "backup_key_mismatch" in refused.stderr
    assert not target.exists()
    used = ["restore", "--from", "site.backup", "--database-url", "sqlite:///gatehouse.db"]
    refused = _run(used, site)
    assert refused.returncode == 1
    assert "target_not_empty" in refused.stderr
