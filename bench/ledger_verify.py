"""``gatehouse ledger verify`` over a million entries (or ten), beside the hashing floor.

Setup, not timed: a ledger of ``--entries`` marketplace entries (:mod:`ledger_seed`) and a
signed checkpoint, in a fresh SQLite database or, with ``--database-url``, in the database
``gatehouse_scratch_ledger_verify`` created on that PostgreSQL server (dropped at the end
unless ``--keep``). ``--keep DIR`` (SQLite) or ``--keep`` (PostgreSQL) seeds once and reuses.

Timed, medians over ``--repeats`` runs:

- **verify**: ``ledger_verify.verify``, the service behind ``gatehouse ledger verify``: every
  entry's hash over its canonical bytes, every chain link, every shard head, the checkpoint
  chain and each shard's Merkle root against the signed checkpoint, the shards scanned in a
  pool of one process per core;
- **hashing floor**: ``hashlib.sha256`` alone over the same canonical bytes (``0x00 ||
  entry``), read from the database once and held in memory, as many hashes as entries: on
  one core, and on every core at once (a process per core, each hashing its share).

It prints entries a second for each, the ratio of verify to the floor on every core, the CPU
time the verification spent per entry (its processes' user and system time, which a busy
machine does not inflate as much as the wall clock), and the peak RSS of the verifying
processes, which stays flat as the ledger grows. ``--profile`` prints the top functions of one
verification run in this process alone. ``--peer`` also times, once, the entry-by-entry
verification this one replaced (every row decoded, every canonical encoding rebuilt, one
process), on the same database in the same run. ``--archive`` then moves every entry
``gatehouse ledger archive`` may move (each shard's signed, complete blocks) into Parquet
files, timed once, and times the verification again, now reading those entries from the files
(with ``--keep``, the kept ledger stays archived: a later run's first rate is then the same
mixed one).

    .venv/bin/python bench/ledger_verify.py [--entries 1000000] [--repeats 3] [--keep DIR]
    .venv/bin/python bench/ledger_verify.py --entries 1000000 --archive
    .venv/bin/python bench/ledger_verify.py --database-url postgresql+psycopg://... [--keep]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from multiprocessing import get_context
from pathlib import Path

from ledger_seed import seed_ledger
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gatehouse.config import Settings
from gatehouse.services.ledger_archive import archive
from gatehouse.services.ledger_checkpoints import make_checkpoint
from gatehouse.services.ledger_keys import trusted_keys
from gatehouse.services.ledger_verify import verify, verify_stored
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.sql_unit_of_work import SqlUnitOfWork
from gatehouse.store.ledger import consistent_read
from gatehouse.store.ledger_rows import leaf_documents
from gatehouse.vault import MasterKey

SCRATCH = "gatehouse_scratch_ledger_verify"
TARGET = 1_000_000  # entries a second
# The floor hashes this many distinct documents, cycling over them up to --entries: the rate
# per hash does not depend on which entries are hashed, and ten million would not fit.
FLOOR_SAMPLE = 200_000
_samples: list[bytes] = []


def _open(url: str, key_file: Path) -> Gatehouse:
    if not key_file.exists():
        key_file.write_text(MasterKey.generate().to_b64())
        key_file.chmod(0o600)
    env = {"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": key_file.read_text().strip()}
    return open_gatehouse(Settings.from_env(env))


def _seeded(gh: Gatehouse, marker: Path, entries: int) -> None:
    if marker.exists():
        seeded = json.loads(marker.read_text())
        if seeded["entries"] != entries:
            raise SystemExit(f"the kept ledger holds {seeded['entries']:,} entries; use another")
        print(f"reusing the ledger seeded in {seeded['seconds']:.0f} s: {entries:,} entries")
        return
    end = gh.clock().replace(microsecond=0)
    summary = seed_ledger(gh, entries, end - timedelta(days=365), end)
    checkpoint = make_checkpoint(gh)
    print(
        f"seeded {entries:,} entries in {summary.seconds:.1f} s "
        f"({entries / summary.seconds:,.0f}/s); checkpoint #{checkpoint.sequence} signed"
    )
    marker.write_text(json.dumps({"entries": entries, "seconds": summary.seconds}))


@contextmanager
def _postgres(admin_url: str, keep: bool) -> Iterator[str]:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": SCRATCH}
            ).first()
            if found is None:
                connection.execute(text(f'CREATE DATABASE "{SCRATCH}"'))
        try:
            yield make_url(admin_url).set(database=SCRATCH).render_as_string(hide_password=False)
        finally:
            if not keep:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _documents(gh: Gatehouse, limit: int) -> list[bytes]:
    """The canonical bytes of up to ``limit`` entries, as the verifier hashes them."""
    documents: list[bytes] = []
    with consistent_read(gh.engine) as connection:
        for shard in range(16):
            low = 0
            while len(documents) < limit:
                rows = leaf_documents(connection, shard, low, low + 4096)
                documents += [b"\x00" + document for _, document, _, _ in rows]
                if not rows:
                    break
                low += 4096
    return documents[:limit]


def _hash_share(count: int) -> float:
    """Seconds to hash ``count`` of the samples (cycling), in this process."""
    samples = _samples
    sha256 = hashlib.sha256
    began = time.perf_counter()
    done = 0
    while done < count:
        batch = samples[: count - done]
        for document in batch:
            sha256(document).digest()
        done += len(batch)
    return time.perf_counter() - began


def _start_worker(samples: list[bytes]) -> None:
    _samples[:] = samples


def _floor(samples: list[bytes], entries: int, cores: int) -> tuple[float, float]:
    """Entries a second hashed on one core, and on ``cores`` processes at once."""
    _samples[:] = samples
    single = entries / _hash_share(entries)
    share = -(-entries // cores)
    context = get_context("spawn")
    with ProcessPoolExecutor(cores, context, _start_worker, (samples,)) as pool:
        list(pool.map(_hash_share, [1] * cores))  # started and warm before the clock runs
        began = time.perf_counter()
        list(pool.map(_hash_share, [share] * cores))
        everywhere = entries / (time.perf_counter() - began)
    return single, everywhere


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_rss_mib() -> tuple[float, float]:
    """Peak RSS of this process and of its largest finished child, in MiB (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _peer(gh: Gatehouse, entries: int) -> float:
    """Entries a second of the entry-by-entry verification, timed once."""
    began = time.perf_counter()
    with SqlUnitOfWork(gh.engine, read_only=True) as uow:
        result = verify_stored(uow.ledger, None, keys=trusted_keys(gh))
    seconds = time.perf_counter() - began
    if not result.ok:
        raise SystemExit(f"the entry-by-entry verification disagrees: {result.to_dict()}")
    return entries / seconds


def _timed(
    gh: Gatehouse, entries: int, repeats: int, label: str
) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``repeats`` verifications, each of which must pass."""
    seconds: list[float] = []
    cpu: list[float] = []
    for run in range(repeats):
        cpu_before = _cpu_seconds()
        began = time.perf_counter()
        result = verify(gh)
        seconds.append(time.perf_counter() - began)
        cpu.append(_cpu_seconds() - cpu_before)
        if not result.ok or result.entries != entries:
            raise SystemExit(f"the seeded ledger does not verify: {result.to_dict()}")
        print(f"{label} run {run + 1}: {seconds[-1]:.2f} s ({entries / seconds[-1]:,.0f}/s)")
    return seconds, cpu


def _archived(gh: Gatehouse, entries: int, repeats: int, directory: Path) -> tuple[float, int]:
    """Archive what may be archived into ``directory`` (once), then entries a second of the
    verification that reads them from there, and how many entries the files hold."""
    directory.mkdir(parents=True, exist_ok=True)
    gh.archive_dir = directory
    began = time.perf_counter()
    report = archive(gh, gh.clock() + timedelta(days=1), directory)
    took = time.perf_counter() - began
    if report.records:
        print(
            f"archived {report.entries:,} entries into {len(report.records)} files in"
            f" {took:.1f} s ({report.entries / took:,.0f}/s)"
        )
    held = sum(1 for _ in directory.glob("*.parquet"))
    seconds, _ = _timed(gh, entries, repeats, "verify from Parquet")
    with SqlUnitOfWork(gh.engine, read_only=True) as uow:
        hot = sum(1 for shard in range(16) for _ in uow.ledger.stream_hashes(shard, 1 << 62))
    print(f"archive files: {held}; entries still in the hot table: {hot:,}")
    return entries / statistics.median(seconds), entries - hot


def _run(
    gh: Gatehouse, entries: int, repeats: int, profile: bool, peer: bool, archived: Path | None
) -> None:
    cores = os.cpu_count() or 1
    seconds, cpu = _timed(gh, entries, repeats, "verify")
    own_rss, worker_rss = _peak_rss_mib()
    samples = _documents(gh, FLOOR_SAMPLE)
    single, everywhere = _floor(samples, entries, cores)
    rate = entries / statistics.median(seconds)
    print(f"entries: {entries:,}; {cores} cores; medians of {repeats}")
    print(f"verify:        {rate:>12,.0f} entries/s ({statistics.median(seconds):.2f} s)")
    print(f"floor, 1 core: {single:>12,.0f} entries/s (hashlib.sha256 alone, same bytes)")
    print(f"floor, {cores} cores: {everywhere:>11,.0f} entries/s")
    print(f"verify / floor on {cores} cores: {rate / everywhere:.3f}")
    print(f"verify CPU: {statistics.median(cpu) / entries * 1e6:.2f} µs per entry (all processes)")
    print(f"peak RSS: {own_rss:.0f} MiB (this process), {worker_rss:.0f} MiB (largest worker)")
    if peer:
        before = _peer(gh, entries)
        print(f"entry by entry (the verification replaced), once: {before:,.0f} entries/s")
        print(f"verify / entry by entry: {rate / before:.2f}")
    if archived is not None:
        parquet, moved = _archived(gh, entries, repeats, archived)
        print(
            f"verify, {moved:,} of {entries:,} entries from Parquet: {parquet:>12,.0f} entries/s"
            f" ({parquet / rate:.2f} of the hot-table rate, {parquet / everywhere:.3f} of the"
            f" floor on {cores} cores)"
        )
    goal = "holds" if rate >= TARGET else "missed"
    print(f"target {TARGET:,} entries/s: {goal}")
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(verify, gh, workers=1)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(14)


def main() -> None:
    """Seed or reuse a ledger, then time its verification beside the hashing floor."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--database-url", help="a PostgreSQL server to create the ledger on")
    parser.add_argument("--keep", nargs="?", const="", default=None, metavar="DIR")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--peer", action="store_true")
    parser.add_argument("--archive", action="store_true")
    args = parser.parse_args()
    if args.database_url:
        folder = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
        keep = args.keep is not None
        if keep and not args.keep:
            raise SystemExit("--keep needs a folder for the master key beside the database")
        key_dir = Path(args.keep) if args.keep else folder
        key_dir.mkdir(parents=True, exist_ok=True)
        with _postgres(args.database_url, keep) as url:
            gh = _open(url, key_dir / "master.key")
            try:
                marker = key_dir / "seed-postgresql.json"
                if not keep:
                    marker.unlink(missing_ok=True)
                _seeded(gh, marker, args.entries)
                archived = key_dir / "archive" if args.archive else None
                _run(gh, args.entries, args.repeats, args.profile, args.peer, archived)
            finally:
                gh.close()
        shutil.rmtree(folder, ignore_errors=True)
        return
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    gh = _open(f"sqlite:///{folder / 'bench.db'}", folder / "master.key")
    try:
        _seeded(gh, folder / "seed.json", args.entries)
        archived = folder / "archive" if args.archive else None
        _run(gh, args.entries, args.repeats, args.profile, args.peer, archived)
    finally:
        gh.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
