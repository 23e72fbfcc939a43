"""The audit report over a year of a million ledger entries, beside DuckDB over its Parquet.

Setup (not timed as the audit): a fresh SQLite Gatehouse gets ``--entries`` ledger entries
over twelve months (:mod:`ledger_market`: transfers allowed and refused, views, consents,
rights requests, deletions, erasures, suspensions, incidents, policy versions), made by the
ledger's own pure functions and written in bulk (:mod:`ledger_seed`), and a signed
checkpoint. The ledger must then pass ``gatehouse ledger verify`` (the same service), or the
benchmark stops.

Timed, medians over ``--repeats`` runs:

- **audit**: ``build_audit`` over the whole twelve months: one read-only snapshot of the
  window's entries folded into the findings, samples proved against the checkpoint, and the
  ledger's full verification;
- **verify**: the verification alone, which the audit includes;
- **DuckDB**: over the evidence bundle's ``entries.parquet`` (written by ``export_evidence``,
  timed once as information), the counts by kind and the transfers by month and by country.

The audit's allowed and refused transfers, in all, by month and by country, must equal
DuckDB's, or the benchmark stops. ``--profile`` prints the top functions of one audit run
by cumulative and by own time. ``--keep DIR`` seeds into DIR once and reuses it on later runs.

    .venv/bin/python bench/audit.py [--entries 1000000] [--repeats 3] [--profile] [--keep DIR]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import duckdb
from ledger_seed import seed_ledger

from gatehouse.config import Settings
from gatehouse.domain.audit import AuditReport, FindingKey, SeriesPoint
from gatehouse.ledger import VerifyResult
from gatehouse.services.audit_report import build_audit
from gatehouse.services.evidence_export import export_evidence
from gatehouse.services.ledger_checkpoints import make_checkpoint
from gatehouse.services.ledger_verify import verify
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.vault import MasterKey

GOAL_SECONDS = 30.0
GOAL_ENTRIES = 1_000_000
TRANSFERS = "('transfer.allowed', 'transfer.refused')"
# The audit buckets by the UTC month of each entry's ``at``, as ``at_utc`` holds it.
QUERIES = {
    "by kind": "SELECT kind, count(*) FROM {p} GROUP BY kind",
    "by month": (
        "SELECT strftime(at_utc, '%Y-%m'), kind, count(*) FROM {p}"
        f" WHERE kind IN {TRANSFERS} GROUP BY ALL"
    ),
    "by country": (
        "SELECT json_extract_string(payload, '$.country'), kind, count(*) FROM {p}"
        f" WHERE kind IN {TRANSFERS} GROUP BY ALL"
    ),
}
Series = dict[tuple[str, str], int]  # (month or country, allowed|refused) -> transfers
T = TypeVar("T")


def _progress(label: str) -> Callable[[int, int], None]:
    began = shown = time.perf_counter()

    def show(done: int, total: int) -> None:
        nonlocal shown
        now = time.perf_counter()
        # Once a second at most: the verifier reports every thousand entries.
        if now - shown < 1.0 and done < total:
            return
        shown = now
        print(f"\r{label} {done:,} / {total:,} entries ({now - began:.0f} s)", end="", flush=True)
        if done >= total:
            print()

    return show


def _open(folder: Path) -> Gatehouse:
    # The key lives beside the database, so a kept database can be opened (and its
    # checkpoint key unwrapped) again.
    key_file = folder / "master.key"
    if not key_file.exists():
        key_file.write_text(MasterKey.generate().to_b64())
        key_file.chmod(0o600)
    env = {
        "GATEHOUSE_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "GATEHOUSE_MASTER_KEY": key_file.read_text().strip(),
    }
    return open_gatehouse(Settings.from_env(env))


def _seeded(folder: Path, entries: int) -> tuple[Gatehouse, datetime, datetime]:
    """A Gatehouse whose ledger holds ``entries`` entries and a checkpoint, and its window."""
    marker = folder / "seed.json"
    if marker.exists():
        seeded = json.loads(marker.read_text())
        if seeded["entries"] == entries:
            print(f"reusing the ledger seeded in {seeded['seconds']:.0f} s: {entries:,} entries")
            start, end = (datetime.fromisoformat(seeded[k]) for k in ("start", "end"))
            return _open(folder), start, end
        raise SystemExit(f"the kept folder holds {seeded['entries']:,} entries; use another")
    if any(folder.iterdir()):
        raise SystemExit("--keep needs a new or empty folder, or one this benchmark seeded")
    gh = _open(folder)
    end = gh.clock().replace(microsecond=0)
    start = end - timedelta(days=365)
    summary = seed_ledger(gh, entries, start, end, progress=_progress("seeding"))
    began = time.perf_counter()
    checkpoint = make_checkpoint(gh)
    signed = time.perf_counter() - began
    size = (folder / "bench.db").stat().st_size / 2**20
    print(
        f"seeded {entries:,} entries in {summary.seconds:.1f} s "
        f"({entries / summary.seconds:,.0f}/s), database {size:,.0f} MiB; "
        f"checkpoint #{checkpoint.sequence} signed in {signed:.2f} s"
    )
    print("entries by kind: " + ", ".join(f"{k} {n:,}" for k, n in summary.by_kind.most_common()))
    record = {"entries": entries, "start": start.isoformat(), "end": end.isoformat()}
    marker.write_text(json.dumps({**record, "seconds": summary.seconds}))
    return gh, start, end


def _checked_verify(gh: Gatehouse, progress: bool) -> tuple[VerifyResult, float]:
    began = time.perf_counter()
    result = verify(gh, progress=_progress("verifying") if progress else None)
    seconds = time.perf_counter() - began
    if not result.ok:
        raise SystemExit(f"the seeded ledger does not verify: {result.first_bad}")
    return result, seconds


def _timed(call: Callable[[], T], repeats: int) -> tuple[float, T]:
    """The median seconds of ``repeats`` calls (at least one), and the last call's result."""
    times = []
    for _ in range(max(repeats, 1)):
        began = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def _fetch(connection: duckdb.DuckDBPyConnection, sql: str) -> list[Any]:
    return connection.execute(sql).fetchall()


def _duckdb(parquet: Path, repeats: int) -> tuple[dict[str, float], dict[str, list[Any]]]:
    """Each query's median seconds over ``repeats`` after a warm-up, and its rows."""
    source = "'" + str(parquet).replace("'", "''") + "'"
    connection = duckdb.connect()
    try:
        medians, rows = {}, {}
        for name, query in QUERIES.items():
            sql = query.format(p=source)
            rows[name] = _fetch(connection, sql)
            medians[name] = _timed(partial(_fetch, connection, sql), repeats)[0]
        return medians, rows
    finally:
        connection.close()


def _series(rows: list[Any]) -> Series:
    return {(str(label or "??"), kind.split(".")[1]): int(n) for label, kind, n in rows}


def _report_series(points: Iterable[SeriesPoint]) -> Series:
    series: Series = {}
    for point in points:
        # DuckDB has no row for a count of zero.
        if point.allowed:
            series[(point.label, "allowed")] = point.allowed
        if point.refused:
            series[(point.label, "refused")] = point.refused
    return series


def _agree(report: AuditReport, rows: dict[str, list[Any]], entries: int) -> None:
    """Stop unless the audit's transfer figures equal DuckDB's."""
    kinds = {kind: int(n) for kind, n in rows["by kind"]}
    basis = report.finding(FindingKey.BASIS)
    checks = {
        "entries": (report.entries, entries),
        "allowed": (basis.figure("allowed"), kinds.get("transfer.allowed", 0)),
        "refused": (basis.figure("refused"), kinds.get("transfer.refused", 0)),
        "integrity": (report.integrity.ok, True),
    }
    wrong = [
        f"{name}: audit {ours} != {theirs}"
        for name, (ours, theirs) in checks.items()
        if ours != theirs
    ]
    for name, points in (("by month", report.by_month), ("by country", report.by_country)):
        ours, theirs = _report_series(points), _series(rows[name])
        if ours != theirs:
            differ = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
            wrong.append(f"{name} differs at {differ[:5]}")
    if wrong:
        raise SystemExit("the audit and DuckDB disagree: " + "; ".join(wrong))
    print(
        f"agreement: {checks['allowed'][0]:,} allowed and {checks['refused'][0]:,} refused, "
        f"{len(report.by_month)} months and {len(report.by_country)} countries, as DuckDB counts"
    )


def _profile(call: Callable[[], object]) -> None:
    profile = cProfile.Profile()
    profile.runcall(call)
    stats = pstats.Stats(profile, stream=sys.stdout).strip_dirs()
    print("profile of one audit run, top 15 by cumulative time:")
    stats.sort_stats("cumulative").print_stats(15)
    # Cumulative time names the phases; own time names where inside them it goes.
    print("and top 10 by own time:")
    stats.sort_stats("tottime").print_stats(10)


def run(folder: Path, entries: int, repeats: int, profile: bool) -> None:
    """Seed (or reuse), check, time the audit, the verification and DuckDB, and compare."""
    gh, start, end = _seeded(folder, entries)
    try:
        # The check before timing is the first of the verification's timed runs.
        verify_times = [_checked_verify(gh, progress=True)[1]]
        verify_times += [_checked_verify(gh, progress=False)[1] for _ in range(repeats - 1)]
        verify_s = statistics.median(verify_times)
        audit_s, report = _timed(lambda: build_audit(gh, start, end), repeats)
        bundle = folder / "bundle"
        shutil.rmtree(bundle, ignore_errors=True)
        began = time.perf_counter()
        export_evidence(gh, start, end, bundle)
        export_s = time.perf_counter() - began
        medians, rows = _duckdb(bundle / "entries.parquet", repeats)
        _agree(report, rows, entries)
        duck_s = sum(medians.values())
        print(f"backend: sqlite; {entries:,} entries over 12 months; medians of {repeats}")
        print(f"audit (build_audit, verification included)  {audit_s:8.2f} s")
        print(f"verification alone                          {verify_s:8.2f} s")
        print(f"DuckDB over entries.parquet, 3 group-bys    {duck_s:8.3f} s", end="  ")
        print("(" + ", ".join(f"{name} {s * 1000:.0f} ms" for name, s in medians.items()) + ")")
        print(f"ratio audit/DuckDB                          {audit_s / duck_s:8.0f}")
        print(f"evidence export (Parquet), once             {export_s:8.2f} s")
        if entries >= GOAL_ENTRIES:
            verdict = "holds" if audit_s < GOAL_SECONDS else "missed"
        else:
            verdict = f"not judged below {GOAL_ENTRIES:,} entries"
        goal = f"the report in under {GOAL_SECONDS:.0f} s for {GOAL_ENTRIES:,} entries"
        print(f"goal: {goal}: {verdict}")
        if profile:
            _profile(lambda: build_audit(gh, start, end))
    finally:
        gh.close()


def main() -> None:
    """Parse the arguments and run in a temporary folder, or in ``--keep DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=GOAL_ENTRIES)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.keep, args.entries, args.repeats, args.profile)
        return
    folder = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    try:
        run(folder, args.entries, args.repeats, args.profile)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
