"""``gatehouse audit`` on the demo's database, as an operator runs it: a real process, the
demo's months of history, and the report's three files checked against the ledger itself."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

GATEHOUSE = [sys.executable, "-m", "gatehouse"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # The demo's own database, as `make demo` leaves it in the working folder.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    if args[0] != "demo":
        env["GATEHOUSE_DATABASE_URL"] = "sqlite:///gatehouse-demo.db"
    return subprocess.run(
        GATEHOUSE + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database, seeded by the real command without serving."""
    folder = tmp_path_factory.mktemp("demo")
    seeded = _run(["demo", "--no-serve", "--recipients", "60", "--subjects", "120"], folder)
    assert seeded.returncode == 0, seeded.stderr
    return folder


def _ledger_rows(folder: Path, start: str, end: str) -> list[tuple[str, str, str]]:
    """``(kind, at, payload)`` of the window, read with sqlite3, not with Gatehouse."""
    with sqlite3.connect(folder / "gatehouse-demo.db") as connection:
        query = "SELECT kind, at, payload FROM ledger_entries WHERE at >= ? AND at < ?"
        return list(connection.execute(query, (start, end)))


def test_the_demos_report_matches_its_ledger_and_prints_in_korean(
    demo: Path, pdf_engine: None
) -> None:
    today = datetime.now(UTC).date()
    first, last = today - timedelta(days=210), today
    out = demo / "report"

    done = _run(["audit", "--from", str(first), "--to", str(last), "--out", str(out)], demo)

    assert done.returncode == 0, done.stderr
    # The audit verifies the period's entries and says so; the whole ledger is another command.
    assert "ledger entries verify" in done.stdout and "gatehouse ledger verify" in done.stdout
    report = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    rows = _ledger_rows(demo, f"{first}T00:00:00", f"{last + timedelta(days=1)}T00:00:00")
    assert report["entries"] == len(rows) > 0
    kinds = Counter(kind for kind, _, _ in rows)
    basis = report["findings"][0]
    assert basis["figures"]["allowed"] == kinds["transfer.allowed"] > 0
    assert basis["figures"]["refused"] == kinds["transfer.refused"]
    months = Counter(at[:7] for kind, at, _ in rows if kind == "transfer.allowed")
    assert {p["label"]: p["allowed"] for p in report["by_month"]} == dict(months)
    # The demo's past spans months, with its duties in the middle of it.
    assert len(months) >= 5
    figures = {f["key"]: f["figures"] for f in report["findings"]}
    assert figures["requests"]["late"] == 1 and figures["incidents"]["notified_on_time"] == 1
    assert figures["erasure"]["deletions"] == 1 and figures["policy"]["versions"] >= 1
    assert report["integrity"]["ok"] and report["integrity"]["uncovered"] == 0
    assert report["integrity"]["scope"] == "window"
    assert report["integrity"]["shards_proven"] > 0

    html = (out / "audit.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 2
    pdf = PdfReader(io.BytesIO((out / "audit.pdf").read_bytes()))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    flat = re.sub(r"\s+", "", text)
    for heading in ("준수감사보고서", "요약", "원장무결성", "「개인정보보호법」제28조의8제1항"):
        assert heading in flat, heading
    for month in months:  # the chart's labels and its table
        assert month in text
    footer = re.findall(r"(\d+)\s*/\s*(\d+)", pdf.pages[-1].extract_text())
    assert footer and int(footer[-1][1]) == len(pdf.pages) == int(footer[-1][0])


def test_full_verify_also_verifies_the_whole_ledger(demo: Path, pdf_engine: None) -> None:
    today = datetime.now(UTC).date()
    out = demo / "full"
    window = ["--from", str(today - timedelta(days=30)), "--to", str(today)]

    done = _run(["audit", *window, "--out", str(out), "--full-verify"], demo)

    assert done.returncode == 0, done.stderr
    assert "ledger verifies (all" in done.stdout
    report = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    with sqlite3.connect(demo / "gatehouse-demo.db") as connection:
        (total,) = connection.execute("SELECT count(*) FROM ledger_entries").fetchone()
    assert report["integrity"]["scope"] == "ledger"
    assert report["integrity"]["entries"] == total


def test_bad_arguments_exit_2_and_write_nothing(demo: Path) -> None:
    out = demo / "never"
    for args in (
        ["--from", "2026-13-01", "--to", "2026-12-31"],
        ["--from", "2026-12-31", "--to", "2026-01-01"],
        ["--from", "2026-01-01", "--to", "2026-03-31", "--locale", "fr"],
    ):
        refused = _run(["audit", *args, "--out", str(out)], demo)
        assert refused.returncode == 2, (args, refused.stdout, refused.stderr)
        assert not out.exists()
    busy = demo / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("keep me", encoding="utf-8")
    window = ["--from", "2026-01-01", "--to", "2026-03-31"]
    refused = _run(["audit", *window, "--out", str(busy)], demo)
    assert refused.returncode == 2 and "empty folder" in refused.stderr
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
