"""``gatehouse ledger archive`` as a real process: it archives into the configured directory,
reruns archive nothing new, ``ledger verify`` then reads the files, and a day that is not a
date or a missing directory is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gatehouse.services import ledger_checkpoints
from tests.conftest import Fresh
from tests.test_service_ledger_archive import SIZE, grow


def _run(
    fresh: Fresh, cwd: Path, archive: Path | None, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env["GATEHOUSE_DATABASE_URL"] = fresh.backend.url
    env["GATEHOUSE_MASTER_KEY"] = fresh.master_key.to_b64()
    if archive is not None:
        env["GATEHOUSE_ARCHIVE_DIR"] = str(archive)
    return subprocess.run(
        [sys.executable, "-m", "gatehouse", "ledger", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_archive_then_verify(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    grow(gh, {}, SIZE, shards=(0,))
    ledger_checkpoints.make_checkpoint(gh)
    archive = tmp_path / "archive"
    archive.mkdir()

    first = _run(fresh, tmp_path, archive, "archive", "--before", "2026-02-01")
    again = _run(fresh, tmp_path, None, "archive", "--before", "2026-02-01", "--dir", str(archive))
    verified = _run(fresh, tmp_path, archive, "verify", "--json")
    unconfigured = _run(fresh, tmp_path, None, "verify")

    assert first.returncode == 0, first.stderr
    assert "archived 2048 entries in 1 files" in first.stdout
    assert (
        "shard 0: entries 0..2047 in ledger-s0000-000000000000-000000002047.parquet" in first.stdout
    )
    assert again.returncode == 0 and "archived 0 entries in 0 files" in again.stdout
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert '"ok": true' in verified.stdout and f'"entries": {SIZE}' in verified.stdout
    assert unconfigured.returncode == 1
    assert "first bad entry: shard 0, seq 0" in unconfigured.stdout
    assert "no archive directory is configured" in unconfigured.stdout


def test_bad_input_is_refused(fresh: Fresh, tmp_path: Path) -> None:
    not_a_day = _run(fresh, tmp_path, tmp_path, "archive", "--before", "2026-13-01")
    no_dir = _run(fresh, tmp_path, None, "archive", "--before", "2026-01-01")
    missing = _run(fresh, tmp_path, tmp_path / "nowhere", "archive", "--before", "2026-01-01")
    assert not_a_day.returncode == 2 and "is not a date" in not_a_day.stderr
    assert no_dir.returncode == 2 and "no archive directory" in no_dir.stderr
    assert missing.returncode == 1 and "no_archive_directory" in missing.stderr
