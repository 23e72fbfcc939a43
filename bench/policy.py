"""The privacy policy at 180,000 recipients: publishing, rendering and the register's pages.

Setup (not timed) sets the demo operator's profile through the service and seeds, with
SQLAlchemy Core inserts into the real tables, ``--recipients`` recipients abroad in 23
countries (one in fifty suspended; one in 500 a logistics or storage entrustee, which the
policy names one by one, the rest sellers) and, for 5 % of them, one to three allowed
transfers in the policy's period (the twelve months to now), plus a refused transfer for
every fortieth and one only before the period for every thirtieth.

Timed, each beside a baseline run in the same process against the same database:

- **publish v1**: ``publish_policy`` on an empty policy history, medians over
  ``--publish-rounds`` (the history is emptied between rounds, not timed); baseline: a plain
  ``SELECT`` of the same recipients' columns and an ``INSERT`` of as many register rows;
- **re-publish**: one recipient's e-mail changes (not timed), then ``publish_policy``;
  baseline: the plain ``SELECT`` of the recipients alone;
- **show policy**: ``show_policy`` of the version in force, in Korean, and ``GET
  /v1/privacy-policy`` in-process; baseline: a plain ``SELECT`` of that version's row and of
  its compact Korean document;
- **register pages** (``policy_register_page``, 50 entries, which also counts the matches):
  the first page, a page 90 % down the cursor chain, a name search matching one recipient in
  1,000 and a country filter; baseline: a plain ``SELECT`` of the same columns of
  ``policy_register`` with the same conditions, order and ``LIMIT``, without the count.

Pages and renders are medians over ``--rounds`` calls after one warm-up.

    .venv/bin/python bench/policy.py [--recipients 180000] [--rounds 20] [--publish-rounds 3]
                                     [--database-url URL]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from register_seed import COUNTRIES, median_ms, seed_register
from sqlalchemy import delete, insert, select, tuple_, update

from gatehouse.app import create_app
from gatehouse.config import Settings
from gatehouse.demo.operator import demo_operator_profile
from gatehouse.services.operator_profile import set_profile
from gatehouse.services.policy_reading import (
    PolicyRegisterQuery,
    policy_register_page,
    show_policy,
)
from gatehouse.services.privacy_policy import name_key, publish_policy
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.store.policy_disclosures import policy_disclosures
from gatehouse.store.policy_documents import policy_documents, policy_entrustees
from gatehouse.store.privacy_policies import policy_register, policy_versions
from gatehouse.store.scratch import scratch_database
from gatehouse.store.tables import recipients
from gatehouse.vault import MasterKey

WORDS = [
    "Amber", "Cedar", "Harbor", "Maple", "Quill", "Rowan", "Willow", "Juniper", "Copper", "Fern",
]  # fmt: skip
TRADES = ["Household Goods", "Apparel", "Electronics", "Kitchenware", "Toys"]
PAGE = 50
WALK = 200


def _kind(n: int) -> str:
    if n % 500 == 11:
        return "logistics" if n % 1000 == 11 else "storage"
    return "seller"


def _name(n: int) -> str:
    # "Lotus" appears in one name in 1,000: the search's needle.
    needle = "Lotus " if n % 1000 == 7 else ""
    return (
        f"{needle}{WORDS[n % 10]}{WORDS[(n // 10) % 10].lower()} {TRADES[n % 5]} {n:06d} Co., Ltd."
    )


def _recipient_row(n: int, created: Any) -> dict[str, Any]:
    return {
        "id": f"rcp_{n:08d}",
        "kind": _kind(n),
        "legal_name": _name(n),
        "country": COUNTRIES[n % len(COUNTRIES)],
        "contact_phone": "+8613800138000",
        "contact_email": f"ops{n}@example.com",
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
    set_profile(gh, demo_operator_profile())
    seed_register(gh, count, _recipient_row)


def _timed_ms(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


_SOURCE = (
    recipients.c.id,
    recipients.c.kind,
    recipients.c.legal_name,
    recipients.c.country,
    recipients.c.contact_phone,
    recipients.c.contact_email,
    recipients.c.privacy_officer_name,
    recipients.c.privacy_officer_email,
    recipients.c.privacy_officer_phone,
    recipients.c.purposes,
    recipients.c.retention_days,
    recipients.c.status,
)


def _plain_source(gh: Gatehouse) -> list[Any]:
    with gh.engine.connect() as c:
        return list(c.execute(select(*_SOURCE).order_by(recipients.c.id)).all())


def _plain_write(gh: Gatehouse, source: list[Any]) -> None:
    """As many register rows as the first version writes, inserted plainly, then removed."""
    rows = [
        {
            "recipient_id": r.id,
            "first_version": 999_999,
            "last_version": None,
            "row_hash": "0" * 64,
            "country": r.country,
            "name_key": name_key(r.legal_name),
            "row": {"id": r.id, "legal_name": r.legal_name, "country": r.country},
        }
        for r in source
    ]
    with gh.engine.begin() as c:
        for start in range(0, len(rows), 1000):
            c.execute(insert(policy_register), rows[start : start + 1000])


def _reset(gh: Gatehouse) -> None:
    with gh.engine.begin() as c:
        c.execute(delete(policy_disclosures))
        c.execute(delete(policy_register))
        c.execute(delete(policy_entrustees))
        c.execute(delete(policy_documents))
        c.execute(delete(policy_versions))


def _bench_publish(gh: Gatehouse, rounds: int) -> list[tuple[str, float, float]]:
    first, again, plain_first, plain_again = [], [], [], []
    for round_ in range(rounds):
        _reset(gh)
        plain = _timed_ms(lambda: _plain_write(gh, _plain_source(gh)))
        _reset(gh)
        plain_first.append(plain)
        first.append(_timed_ms(lambda: publish_policy(gh)))
        with gh.engine.begin() as c:
            c.execute(
                update(recipients)
                .where(recipients.c.id == "rcp_00000020")
                .values(contact_email=f"changed{round_}@example.com")
            )
        plain_again.append(_timed_ms(lambda: _plain_source(gh)))
        start = time.perf_counter()
        outcome = publish_policy(gh)
        again.append((time.perf_counter() - start) * 1000)
        assert outcome.created and outcome.version.version == 2
    med = statistics.median
    return [
        ("publish v1", med(first), med(plain_first)),
        ("re-publish, 1 changed", med(again), med(plain_again)),
    ]


def _plain_version(gh: Gatehouse, version: int) -> Callable[[], object]:
    def call() -> object:
        with gh.engine.connect() as c:
            c.execute(select(policy_versions).where(policy_versions.c.version == version)).one()
            # The version's Korean document, which now holds no entrustee row.
            return c.execute(
                select(policy_documents).where(
                    policy_documents.c.version == version, policy_documents.c.language == "ko"
                )
            ).one()

    return call


def _plain_page(
    gh: Gatehouse,
    version: int,
    *,
    after: tuple[str, str, str] | None = None,
    search: str | None = None,
    country: str | None = None,
) -> Callable[[], object]:
    r = policy_register.c

    def call() -> object:
        query = select(r.recipient_id, r.country, r.name_key, r.row_hash, r.row).where(
            r.first_version <= version, (r.last_version.is_(None)) | (r.last_version >= version)
        )
        if country is not None:
            query = query.where(r.country == country)
        if search is not None:
            query = query.where(r.name_key.like(f"%{search}%"))
        if after is not None:
            query = query.where(tuple_(r.country, r.name_key, r.recipient_id) > tuple_(*after))
        query = query.order_by(r.country, r.name_key, r.recipient_id).limit(PAGE + 1)
        with gh.engine.connect() as c:
            return c.execute(query).all()

    return call


def _deep_cursor(gh: Gatehouse, matched: int) -> tuple[str, tuple[str, str, str]]:
    """Walk the cursor chain 200 at a time to 90 % of the register; the cursor and its key."""
    cursor: str | None = None
    seen = 0
    last: tuple[str, str, str] | None = None
    while seen < matched * 0.9:
        page = policy_register_page(gh, PolicyRegisterQuery(cursor=cursor, limit=WALK))
        seen += len(page.entries)
        assert page.next_cursor is not None
        cursor = page.next_cursor
        tail = page.entries[-1]
        last = (tail.country or "", name_key(tail.legal_name or ""), tail.recipient_id)
    assert cursor is not None and last is not None
    return cursor, last


def _row(label: str, ours: float, base: float) -> None:
    print(f"{label:<28} {ours:>12.1f} {base:>14.1f} {ours / base:>7.1f}")


def run(url: str, count: int, rounds: int, publish_rounds: int) -> None:
    """Seed, time each case beside its baseline, and print the medians."""
    settings = Settings.from_env(
        {"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64()}
    )
    gh = open_gatehouse(settings)
    start = time.perf_counter()
    _seed(gh, count)
    print(f"seeded {count:,} recipients in {time.perf_counter() - start:.1f} s")
    backend = url.split(":", 1)[0]
    print(f"backend: {backend}; {count:,} recipients; medians of {publish_rounds} publishing")
    print(f"rounds and of {rounds} calls for the rest")
    print(f"{'case':<28} {'ours ms':>12} {'baseline ms':>14} {'ratio':>7}")
    for label, ours, base in _bench_publish(gh, publish_rounds):
        _row(label, ours, base)
    shown = show_policy(gh)
    version = shown.version.version
    plain = _plain_version(gh, version)
    _row(
        "show_policy (ko)",
        median_ms(lambda: show_policy(gh, locale="ko"), rounds),
        median_ms(plain, rounds),
    )
    client = TestClient(create_app(gh))
    assert client.get("/v1/privacy-policy").status_code == 200
    http = median_ms(lambda: client.get("/v1/privacy-policy"), rounds)
    _row("GET /v1/privacy-policy", http, median_ms(plain, rounds))
    first = policy_register_page(gh, PolicyRegisterQuery(limit=PAGE))
    cursor, key = _deep_cursor(gh, first.matched)
    cases: list[tuple[str, PolicyRegisterQuery, Callable[[], object]]] = [
        ("register: first page", PolicyRegisterQuery(limit=PAGE), _plain_page(gh, version)),
        (
            "register: deep page (90 %)",
            PolicyRegisterQuery(cursor=cursor, limit=PAGE),
            _plain_page(gh, version, after=key),
        ),
        (
            "register: search 'lotus'",
            PolicyRegisterQuery(search="lotus", limit=PAGE),
            _plain_page(gh, version, search="lotus"),
        ),
        (
            "register: country DE",
            PolicyRegisterQuery(country="DE", limit=PAGE),
            _plain_page(gh, version, country="DE"),
        ),
    ]
    for label, query, baseline in cases:
        page = policy_register_page(gh, query)
        assert page.entries, label
        ours = median_ms(lambda q=query: policy_register_page(gh, q), rounds)  # type: ignore[misc]
        _row(label, ours, median_ms(baseline, rounds))
    print(
        f"version {version}: {shown.version.register_count:,} recipients in the register, "
        f"{len(shown.document.sections)} sections"
    )
    gh.close()


def main() -> None:
    """Parse the arguments and run on a scratch database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=180_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--publish-rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.database_url and not args.database_url.startswith("sqlite"):
        # Never write into the server's own database: benchmark in a scratch one.
        with scratch_database(args.database_url, prefix="gatehouse_bench") as url:
            run(url, args.recipients, args.rounds, args.publish_rounds)
        return
    if args.database_url:
        run(args.database_url, args.recipients, args.rounds, args.publish_rounds)
        return
    # A scratch SQLite file too, removed afterwards.
    workdir = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    try:
        run(f"sqlite:///{workdir / 'bench.db'}", args.recipients, args.rounds, args.publish_rounds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
