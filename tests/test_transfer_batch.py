"""``POST /v1/transfers/batch`` over HTTP, on SQLite and PostgreSQL: a result per item as if
sent alone, one item's error failing no other, a ledger entry per decision, and each shard's
head moved once for the whole batch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select

from gatehouse.services import ledger
from gatehouse.store.ledger_tables import ledger_entries
from gatehouse.store.tables import transfers, views
from tests.conftest import Fresh
from tests.support.gateway import Seller, consent, new_order, new_seller, new_subject, publish_terms
from tests.support.server import operator_api

TRANSFER = {"purpose": "fulfilment", "flow": "provision"}


@pytest.fixture
def shop(fresh: Fresh) -> Iterator[tuple[Fresh, httpx.Client, Seller, Seller]]:
    with operator_api(fresh.gatehouse) as (server, api):
        terms = publish_terms(api)
        chosen = new_seller(api, server.url, "CN", terms)
        other = new_seller(api, server.url, "US", terms)
        yield fresh, api, chosen, other
        chosen.client.close()
        other.client.close()


def _count(fresh: Fresh, table: Any) -> int:
    with fresh.gatehouse.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_each_item_answers_as_if_alone_and_none_fails_another(
    shop: tuple[Fresh, httpx.Client, Seller, Seller],
) -> None:
    fresh, api, chosen, other = shop
    buyers = [new_subject(api) for _ in range(5)]
    for buyer in buyers:
        consent(api, buyer, chosen)
    allowed = [new_order(api, buyer, chosen) for buyer in buyers]
    refused = [new_order(api, buyer, other) for buyer in buyers[:2]]
    cancelled = new_order(api, buyers[0], chosen)
    assert api.post(f"/v1/orders/{cancelled}/events", json={"type": "cancelled"}).is_success
    entries_before = _count(fresh, ledger_entries)
    items = [
        *({"order_id": o, **TRANSFER} for o in allowed[:3]),
        {"order_id": "ord_nobody", **TRANSFER},
        *({"order_id": o, **TRANSFER} for o in refused),
        {"order_id": cancelled, **TRANSFER},
        {"order_id": allowed[3], "purpose": "marketing", "flow": "provision"},
        *({"order_id": o, **TRANSFER} for o in allowed[3:]),
    ]

    response = api.post("/v1/transfers/batch", json={"items": items})

    assert response.status_code == 200, response.text
    results = response.json()["items"]
    assert [r["order_id"] for r in results] == [i["order_id"] for i in items]
    assert [r["status"] for r in results] == [201, 201, 201, 404, 403, 403, 409, 422, 201, 201]
    codes = [r["error"]["code"] for r in results if r["error"]]
    assert codes == [
        "order_not_found",
        "no_lawful_basis",
        "no_lawful_basis",
        "order_cancelled",
        "unknown_purpose",
    ]
    decided = [r for r in results if r["status"] in (201, 403)]
    assert all(r["transfer_id"] for r in decided)
    assert all(
        r["basis"] == "SEPARATE_CONSENT" and r["fields"] for r in results if r["status"] == 201
    )
    # Exactly one entry per decision, none for an item that was not decided.
    assert _count(fresh, ledger_entries) - entries_before == len(decided) == 7
    assert _count(fresh, transfers) == 7 and _count(fresh, views) == 5
    with fresh.gatehouse.engine.connect() as connection:
        kinds = Counter(
            row.kind
            for row in connection.execute(
                select(ledger_entries.c.kind).where(
                    ledger_entries.c.kind.in_(["transfer.allowed", "transfer.refused"])
                )
            )
        )
    assert kinds == {"transfer.allowed": 5, "transfer.refused": 2}
    assert ledger.verify(fresh.gatehouse).ok
    views_of_chosen = chosen.client.get("/v1/recipient/transfers").json()["items"]
    assert len(views_of_chosen) == 5


def test_the_batch_writes_each_table_once_and_moves_each_shard_head_once(
    shop: tuple[Fresh, httpx.Client, Seller, Seller],
) -> None:
    fresh, api, chosen, _ = shop
    buyers = [new_subject(api) for _ in range(4)]
    for buyer in buyers:
        consent(api, buyer, chosen)
    orders = [new_order(api, buyer, chosen) for buyer in buyers for _ in range(3)]
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(" ".join(str(args[2]).split()))

    event.listen(fresh.gatehouse.engine, "before_cursor_execute", record)
    try:
        response = api.post(
            "/v1/transfers/batch", json={"items": [{"order_id": o, **TRANSFER} for o in orders]}
        )
    finally:
        event.remove(fresh.gatehouse.engine, "before_cursor_execute", record)

    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["items"]] == [201] * 12
    # The lock is an UPDATE ... RETURNING (on PostgreSQL after a CTE that takes the rows in
    # shard order), the save an UPDATE given every head at once.
    head_writes = [s for s in statements if "UPDATE ledger_shards" in s]
    entry_writes = [s for s in statements if s.startswith("INSERT INTO ledger_entries")]
    # Twelve entries in one statement, and every shard locked by one and saved by one.
    assert len(entry_writes) == 1
    assert len(head_writes) == 2
    tables = ("transfers", "views", "safe_numbers", "transfer_totals", "view_windows")
    for table in (*tables, "decision_counts"):
        writes = [s for s in statements if s.startswith(f"INSERT INTO {table} ")]
        assert len(writes) == 1, (table, writes)
    assert ledger.verify(fresh.gatehouse).ok


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"items": []}, "validation_error"),
        ({"items": [{"order_id": "ord_x", **TRANSFER}] * 1001}, "validation_error"),
        ({"items": [{"order_id": 7, **TRANSFER}]}, "validation_error"),
        ({"items": "all"}, "validation_error"),
        ({}, "validation_error"),
    ],
)
def test_a_malformed_batch_is_refused_whole(
    shop: tuple[Fresh, httpx.Client, Seller, Seller], body: dict[str, Any], code: str
) -> None:
    fresh, api, _, _ = shop
    before = _count(fresh, ledger_entries)
    response = api.post("/v1/transfers/batch", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert _count(fresh, ledger_entries) == before
