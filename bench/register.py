"""The overseas-transfer register's pages at 180,000 recipients, beside a plain SELECT.

Setup (not timed) seeds, with SQLAlchemy Core inserts into the real tables, ``--recipients``
recipients abroad in 23 countries (one in fifty suspended) and, for 5 % of them, one to
three allowed transfers in the register's default period (the twelve months to now), plus a
refused transfer for every fortieth and a transfer only before the period for every
thirtieth, so the register has to tell them apart.

Timed, medians over ``--rounds`` calls after one warm-up, each through the service
(:mod:`gatehouse.services.overseas_register`, one read-only unit of work and the pack's
wording for every entry) and, in the same run, as a plain ``SELECT`` of recipient rows with
the same keyset, search and limit but no period, status or transfer count:

- **first page**: 50 recipients from the start;
- **search**: a name substring that matches about one recipient in 1,000;
- **deep page**: 50 recipients from a cursor 90 % of the way down the chain;
- **counts by country**: the one grouped query behind the per-country figures.

    .venv/bin/python bench/register.py [--recipients 180000] [--rounds 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from register_seed import COUNTRIES, median_ms, seed_register
from sqlalchemy import func, select

from gatehouse.config import Settings
from gatehouse.services.overseas_register import (
    RegisterQuery,
    register_counts,
    register_page,
)
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.store.scratch import scratch_database
from gatehouse.store.tables import recipients
from gatehouse.vault import MasterKey

WORDS = [
    "Global",
    "Trading",
    "Logistics",
    "Commerce",
    "Market",
    "Supply",
    "Goods",
    "Export",
    "Storage",
    "Cargo",
]
PAGE = 50


def _name(n: int) -> str:
    # "Lotus" appears in one name in 1,000: the search's needle.
    needle = "Lotus " if n % 1000 == 7 else ""
    return f"{needle}{WORDS[n % 10]} {WORDS[(n // 10) % 10]} {n:06d} Co., Ltd."


def _recipient_row(n: int, created: datetime) -> dict[str, Any]:
    return {
        "id": f"rcp_{n:08d}",
        "kind": ("seller", "logistics", "storage")[n % 3],
        "legal_name": _name(n),
        "country": COUNTRIES[n % len(COUNTRIES)],
        "contact_phone": "+8613800138000",
        "contact_email": f"privacy{n}@example.com",
        "privacy_officer_name": "Li Wei",
        "privacy_officer_email": f"dpo{n}@example.com",
        "privacy_officer_phone": "+8613900139000",
        "purposes": ["fulfilment"],
        "retention_days": 90,
        "certifications": [],
        "status": "suspended" if n % 50 == 3 else "active",
        "created_at": created,
        "updated_at": created,
    }


def _seed(gh: Gatehouse, count: int) -> None:
    seed_register(gh, count, _recipient_row)


def _plain(gh: Gatehouse, after: str | None, search: str | None) -> Callable[[], object]:
    def call() -> object:
        query = select(recipients).order_by(recipients.c.id).limit(PAGE + 1)
        if after is not None:
            query = query.where(recipients.c.id > after)
        if search is not None:
            query = query.where(func.lower(recipients.c.legal_name).like(f"%{search.lower()}%"))
        with gh.engine.connect() as c:
            return c.execute(query).all()

    return call


def _plain_counts(gh: Gatehouse) -> Callable[[], object]:
    def call() -> object:
        query = select(recipients.c.country, func.count()).group_by(recipients.c.country)
        with gh.engine.connect() as c:
            return c.execute(query).all()

    return call


def run(url: str, count: int, rounds: int) -> None:
    """Seed, time each case beside its plain SELECT, and print the medians."""
    settings = Settings.from_env(
        {"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64()}
    )
    gh = open_gatehouse(settings)
    start = time.perf_counter()
    _seed(gh, count)
    print(f"seeded {count:,} recipients in {time.perf_counter() - start:.1f} s")
    deep = f"rcp_{int(count * 0.9):08d}"
    cases: list[tuple[str, RegisterQuery, Callable[[], object]]] = [
        ("first page", RegisterQuery(limit=PAGE), _plain(gh, None, None)),
        ("search 'lotus'", RegisterQuery(search="lotus", limit=PAGE), _plain(gh, None, "lotus")),
        ("deep page (90 %)", RegisterQuery(cursor=f"r.{deep}", limit=PAGE), _plain(gh, deep, None)),
    ]
    backend = url.split(":", 1)[0]
    print(f"backend: {backend}; {count:,} recipients, {rounds} rounds, medians")
    print(f"{'case':<20} {'register ms':>12} {'plain SELECT ms':>16} {'ratio':>7}")
    for label, query, plain in cases:
        page = register_page(gh, query)
        assert page.entries, label
        ours = median_ms(lambda q=query: register_page(gh, q), rounds)  # type: ignore[misc]
        base = median_ms(plain, rounds)
        print(f"{label:<20} {ours:>12.1f} {base:>16.1f} {ours / base:>7.1f}")
    counted = register_counts(gh, RegisterQuery())[3]
    received = sum(c.received for c in counted)
    ours = median_ms(lambda: register_counts(gh, RegisterQuery()), rounds)
    base = median_ms(_plain_counts(gh), rounds)
    print(f"{'counts by country':<20} {ours:>12.1f} {base:>16.1f} {ours / base:>7.1f}")
    print(f"countries: {len(counted)}; recipients that received data in the period: {received:,}")
    gh.close()


def main() -> None:
    """Parse the arguments and run on a scratch database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=180_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.database_url and not args.database_url.startswith("sqlite"):
        # Never write into the server's own database: benchmark in a scratch one.
        with scratch_database(args.database_url, prefix="gatehouse_bench") as url:
            run(url, args.recipients, args.rounds)
        return
    workdir = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    run(args.database_url or f"sqlite:///{workdir / 'bench.db'}", args.recipients, args.rounds)


if __name__ == "__main__":
    main()
