"""``gatehouse ledger`` as a real process: ``verify --workers``, whose shards scanned in a pool
give the verdict and name an entry edited with SQL by shard and seq, and ``keep-days``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, update

from gatehouse.services import ledger, ledger_checkpoints
from gatehouse.store.ledger_tables import ledger_entries
from tests.conftest import Fresh


def _verify(fresh: Fresh, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env["GATEHOUSE_DATABASE_URL"] = fresh.backend.url
    env["GATEHOUSE_MASTER_KEY"] = fresh.master_key.to_b64()
    return subprocess.run(
        [sys.executable, "-m", "gatehouse", "ledger", "verify", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_verify_in_a_pool_of_workers(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    for number in range(12):
        fresh.clock.advance(seconds=1)
        with gh.engine.begin() as connection:
            ledger.append(
                connection,
                kind="test.event",
                at=gh.clock(),
                subject_id=f"sub_cli_{number % 5}",
                recipient_id=None,
                payload={"round": number},
            )
    ledger_checkpoints.make_checkpoint(gh)

    clean = _verify(fresh, tmp_path, "--workers", "2", "--json")
    with gh.engine.begin() as connection:
        shard, seq = connection.execute(
            select(ledger_entries.c.shard, ledger_entries.c.seq).limit(1)
        ).one()
        connection.execute(
            update(ledger_entries)
            .where(ledger_entries.c.shard == shard, ledger_entries.c.seq == seq)
            .values(kind="test.edited")
        )
    edited = _verify(fresh, tmp_path, "--workers", "2")

    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout) == {"ok": True, "entries": 12, "first_bad": None}
    assert edited.returncode == 1
    assert f"first bad entry: shard {shard}, seq {seq}" in edited.stdout
    assert "hash mismatch (entry was edited)" in edited.stdout


def _keep_days(fresh: Fresh, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env["GATEHOUSE_DATABASE_URL"] = fresh.backend.url
    env["GATEHOUSE_MASTER_KEY"] = fresh.master_key.to_b64()
    return subprocess.run(
        [sys.executable, "-m", "gatehouse", "ledger", "keep-days"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_keep_days_keeps_each_whole_day_the_checkpoint_covers_once(
    fresh: Fresh, tmp_path: Path
) -> None:
    gh = fresh.gatehouse
    for number in range(3):
        with gh.engine.begin() as connection:
            ledger.append(
                connection, kind="test.event", at=gh.clock(), subject_id=f"sub_{number}",
                recipient_id=None, payload={"round": number},
            )  # fmt: skip
        fresh.clock.advance(days=1)
    ledger_checkpoints.make_checkpoint(gh)

    first = _keep_days(fresh, tmp_path)
    again = _keep_days(fresh, tmp_path)

    assert first.returncode == 0, first.stderr
    assert "kept 3 days, 2026-11-28 to 2026-11-30" in first.stdout
    assert again.returncode == 0, again.stderr
    assert "no day to keep" in again.stdout


def test_keep_days_settles_each_month_whose_days_are_all_kept(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    for number in range(2):
        with gh.engine.begin() as connection:
            ledger.append(
                connection, kind="test.event", at=gh.clock(), subject_id=f"sub_{number}",
                recipient_id=None, payload={"round": number},
            )  # fmt: skip
        fresh.clock.advance(days=35)  # 2026-11-28, then 2027-01-02
    ledger_checkpoints.make_checkpoint(gh)

    first = _keep_days(fresh, tmp_path)
    again = _keep_days(fresh, tmp_path)

    assert first.returncode == 0, first.stderr
    # November began before the ledger's first day, and February has not ended.
    assert "kept 70 days, 2026-11-28 to 2027-02-05" in first.stdout
    assert "settled 2 months, 2026-12 to 2027-01" in first.stdout
    assert again.returncode == 0, again.stderr
    assert "settled" not in again.stdout
