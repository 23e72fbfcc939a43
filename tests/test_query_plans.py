"""Every user-facing answer reads its tables by index, on PostgreSQL.

Each operation of the scale benchmark's catalogue (``bench/scale_queries.py``: a transfer, who
has my data, a recipient's open views, the console, the privacy-policy register page, a
rights request, a deletion, the audit of a month) runs once through its service call with
every statement captured. ``EXPLAIN`` of each statement, with its parameters and sequential
scans priced out, must then read no table that grows with customers, orders or recipients
whole: a table of a few test rows cannot hide a missing index that way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from bench.scale_queries import (
    OPERATIONS,
    Operation,
    Shop,
    Statement,
    Targets,
    captured,
    explain,
    index_names,
    whole_table_reads,
)
from gatehouse.config import Settings
from gatehouse.services.policy_entrustees import EntrusteeQuery, version_table
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.transfers import request_transfer
from gatehouse.vault import MasterKey
from tests.conftest import WEBHOOK_ALLOW, Clock, fresh_backend
from tests.support.gateway import new_seller, publish_terms
from tests.support.operator_profiles import profile_body
from tests.support.register_rows import RegisterRows
from tests.support.server import operator_api


@dataclass
class Market:
    gh: Gatehouse
    targets: Targets


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    """A small marketplace on a fresh PostgreSQL database: sellers in three countries, a
    published privacy policy, customers with allowed and refused transfers."""
    for backend in fresh_backend("postgres", tmp_path_factory):
        settings = Settings.from_env(
            {
                "GATEHOUSE_DATABASE_URL": backend.url,
                "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64(),
                "GATEHOUSE_WEBHOOK_ALLOW": WEBHOOK_ALLOW,
            }
        )
        clock = Clock()
        gh = open_gatehouse(settings, clock=clock)
        try:
            with operator_api(gh) as (server, api):
                terms = publish_terms(api)
                sellers = [new_seller(api, server.url, cc, terms) for cc in ("CN", "JP", "US")]
                for seller in sellers:
                    seller.client.close()
                assert api.put("/v1/operator/profile", json=profile_body()).status_code == 200
                # Entrustees, so the policy's entrustee tables have rows to page through.
                entrustees = RegisterRows(gh.engine)
                for n, country in enumerate(("DE", "DE", "KR", "SG")):
                    entrustees.recipient(f"Parcel {n} Co", country=country, kind="logistics")
                assert api.post("/v1/privacy-policy/publish").status_code == 200
            shop = Shop(gh, [s.id for s in sellers])
            customers = []
            for _ in range(3):
                subject_id, chosen = shop.customer(sellers=2)
                for seller_id in chosen:
                    shop.transfer(subject_id, seller_id)
                customers.append(subject_id)
                clock.advance(hours=1)
            # A refusal for the console's panel: no consent names this seller.
            stranger, _ = shop.customer(sellers=0)
            refused = request_transfer(
                gh, shop.order(stranger, sellers[0].id), purpose="fulfilment", flow="provision"
            )
            assert not refused.decision.allowed
            with gh.engine.begin() as c:
                c.execute(text("ANALYZE"))  # plans from the rows there, as autovacuum would
            month = (clock().date().replace(day=1), clock().date())
            targets = Targets(customers, [s.id for s in sellers], ["CN", "JP"], month, shop)
            yield Market(gh, targets)
        finally:
            gh.close()


def plans_of(market: Market, operation: Operation) -> list[tuple[Statement, dict[str, object]]]:
    gh = market.gh
    call = operation.prepare(gh, market.targets)
    with captured(gh.engine, gh.replica_engine) as statements:
        call()
    assert statements, f"{operation.name} ran no statement"
    return list(zip(statements, explain(gh.engine, statements, seqscan=False), strict=True))


# Whole reads that no index can remove, each waiting for a change outside the indexes. A fix
# makes its line fail here, so the list only shrinks.
KNOWN_WHOLE_READS = {
    "console panels": {
        # Counts by status read the outbox's status index end to end; done jobs are purged
        # (``purge_done``), so it holds a few days of jobs, not the whole history.
        ("outbox_jobs", "SELECT outbox_jobs.status, count(*)"),
    },
}


def _matches(found: tuple[str, str], known: tuple[str, str]) -> bool:
    return found[0] == known[0] and found[1].startswith(known[1])


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.name for op in OPERATIONS])
def test_no_answer_reads_a_growing_table_whole(market: Market, operation: Operation) -> None:
    whole = [
        (table, " ".join(statement.sql.split()))
        for statement, plan in plans_of(market, operation)
        for table in whole_table_reads(plan)
    ]
    known = KNOWN_WHOLE_READS.get(operation.name, set())
    unexpected = [w[1][:300] for w in whole if not any(_matches(w, k) for k in known)]
    assert unexpected == []
    assert {k for k in known if any(_matches(w, k) for w in whole)} == known


def test_a_whole_table_read_is_seen(market: Market) -> None:
    # The check itself: a filter on a column no index serves must show up as a whole read.
    gh = market.gh
    with captured(gh.engine) as statements, gh.engine.connect() as c:
        c.execute(text("SELECT count(*) FROM transfers WHERE purpose = :p"), {"p": "fulfilment"})
        c.execute(text("SELECT id FROM transfers WHERE id = :id"), {"id": "trf_none"})
    counted, by_key = explain(gh.engine, statements, seqscan=False)
    assert whole_table_reads(counted) == ["transfers"]
    assert whole_table_reads(by_key) == [] and index_names(by_key) == ["ix_transfers_id"]


def test_a_later_page_of_an_entrustee_table_is_a_keyset_read_of_its_index(market: Market) -> None:
    gh = market.gh
    for section, index in (
        ("entrustment", "ix_policy_entrustees_order"),
        ("overseas_transfer", "ix_policy_entrustees_abroad"),
    ):
        first = version_table(gh, EntrusteeQuery(section, limit=1)).page
        assert first.next_cursor is not None
        with captured(gh.engine, gh.replica_engine) as statements:
            version_table(gh, EntrusteeQuery(section, cursor=first.next_cursor, limit=1))
        plans = explain(gh.engine, statements, seqscan=False)
        paged = [
            plan
            for statement, plan in zip(statements, plans, strict=True)
            if "FROM policy_entrustees" in statement.sql
        ]
        assert len(paged) == 1
        assert index_names(paged[0]) == [index]
        assert all(whole_table_reads(plan) == [] for plan in plans)
