"""Subject creation through the vault against raw inserts of the same rows, in one run.

Prints subjects/s for both and their ratio (medians over several rounds). The raw baseline
writes the same plaintext fields into a plain table in the same database, in batches of
the same size, so the ratio is the price of envelope encryption and blind indexing.

    .venv/bin/python bench/vault.py [--subjects 2000] [--rounds 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, insert

from gatehouse.config import Settings
from gatehouse.demo.korea import KoreanCustomers
from gatehouse.domain.subjects import SubjectPII
from gatehouse.services import subjects as subject_service
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.store.scratch import scratch_database
from gatehouse.vault import MasterKey

BATCH = 500

raw_metadata = MetaData()
raw_subjects = Table(
    "bench_raw_subjects",
    raw_metadata,
    Column("external_ref", String(200), primary_key=True),
    Column("name", String(100)),
    Column("email", String(254)),
    Column("phone", String(20)),
    Column("postal_code", String(5)),
    Column("line1", String(200)),
    Column("line2", String(200)),
    Column("customs_code", String(13)),
    Column("residence_country", String(2)),
    Column("locale", String(16)),
)


def _raw_insert(gh: Gatehouse, people: list[SubjectPII]) -> float:
    start = time.perf_counter()
    for offset in range(0, len(people), BATCH):
        rows = [
            {
                "external_ref": p.external_ref,
                "name": p.name,
                "email": p.email,
                "phone": p.phone,
                "postal_code": p.address.postal_code,
                "line1": p.address.line1,
                "line2": p.address.line2,
                "customs_code": p.customs_code,
                "residence_country": "KR",
                "locale": "ko-KR",
            }
            for p in people[offset : offset + BATCH]
        ]
        with gh.engine.begin() as connection:
            connection.execute(insert(raw_subjects), rows)
    return len(people) / (time.perf_counter() - start)


def _vault_insert(gh: Gatehouse, people: list[SubjectPII]) -> float:
    start = time.perf_counter()
    for offset in range(0, len(people), BATCH):
        batch = [
            subject_service.NewSubject(pii=p, residence_country="KR", locale="ko-KR")
            for p in people[offset : offset + BATCH]
        ]
        subject_service.create_subjects(gh, batch)
    return len(people) / (time.perf_counter() - start)


def main() -> None:
    """Run the rounds and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    if args.database_url and not args.database_url.startswith("sqlite"):
        # Never write into the server's own database: benchmark in a scratch one.
        with scratch_database(args.database_url, prefix="gatehouse_bench") as url:
            run(url, args.subjects, args.rounds)
        return
    workdir = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    run(args.database_url or f"sqlite:///{workdir / 'bench.db'}", args.subjects, args.rounds)


def run(url: str, subjects: int, rounds: int) -> None:
    """Benchmark against the database at ``url`` and print the medians."""
    settings = Settings.from_env(
        {"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64()}
    )
    gh = open_gatehouse(settings)
    raw_metadata.drop_all(gh.engine)
    raw_metadata.create_all(gh.engine)
    customers = KoreanCustomers(seed=11)
    vault_rates, raw_rates = [], []
    for round_number in range(rounds):
        first = round_number * subjects * 2
        people = [customers.one(first + i) for i in range(subjects)]
        others = [customers.one(first + subjects + i) for i in range(subjects)]
        # Alternate the order so neither side always runs on a warmer cache.
        if round_number % 2:
            raw_rates.append(_raw_insert(gh, others))
            vault_rates.append(_vault_insert(gh, people))
        else:
            vault_rates.append(_vault_insert(gh, people))
            raw_rates.append(_raw_insert(gh, others))
    raw_metadata.drop_all(gh.engine)
    gh.close()
    vault, raw = statistics.median(vault_rates), statistics.median(raw_rates)
    backend = url.split(":", 1)[0]
    print(f"backend: {backend}; {subjects} subjects per round, {rounds} rounds, batches of {BATCH}")
    print(
        f"vault subject creation (encrypt + blind index + store): {vault:,.0f} subjects/s (median)"
    )
    print(f"raw insert of the same rows, plaintext:                 {raw:,.0f} rows/s (median)")
    print(f"ratio vault/raw: {vault / raw:.2f}")


if __name__ == "__main__":
    main()
