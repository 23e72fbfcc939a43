"""``gatehouse demo --scale``, run as an operator runs it: a real process on a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, func, select

from gatehouse.store.tables import recipients, subjects
from gatehouse.vault import MasterKey

GATEHOUSE = [sys.executable, "-m", "gatehouse"]


def _run(args: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update(extra)
    return subprocess.run(
        GATEHOUSE + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def _count(url: str, table: object) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]
    finally:
        engine.dispose()


def test_an_unknown_scale_is_refused(tmp_path: Path) -> None:
    done = _run(["demo", "--scale", "huge"], tmp_path)
    assert done.returncode == 2
    assert "unknown scale 'huge'" in done.stderr
    assert not list(tmp_path.iterdir())  # nothing was created


def test_the_small_scale_stops_when_told_and_says_how_to_continue(tmp_path: Path) -> None:
    chunks = 1
    url = f"sqlite:///{tmp_path / 'scale.db'}"
    key = MasterKey.generate().to_b64()
    args = ["demo", "--scale", "small", "--database-url", url, "--stop-after", str(chunks)]
    done = _run(args, tmp_path, GATEHOUSE_MASTER_KEY=key)
    assert done.returncode == 0, done.stderr
    assert f"stopped after {chunks} chunks" in done.stdout
    assert "run the same command again to continue" in done.stdout
    assert _count(url, recipients) == 1_800
    assert _count(url, subjects) == 5_000  # one chunk of customers
