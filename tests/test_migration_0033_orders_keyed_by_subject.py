"""Migration 0033 on each backend: orders keep every row and their ids when their key gains the
subject id, each recipient's order numbers move to ``order_refs`` and stay unique there, the
rows that name an order name it through the pair, and the downgrade puts the old keys back."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.tables import order_events, order_refs, orders, transfers, views
from tests.conftest import Fresh
from tests.support.gateway import allowed_transfer, consent, new_seller, new_subject, publish_terms
from tests.support.migrations import downgrade_to, rows_of, upgrade_to
from tests.support.server import operator_api

_TABLES = (orders, order_events, transfers, views)


def _refs(gh: Gatehouse) -> list[tuple[str, str, str, str]]:
    with gh.engine.connect() as connection:
        rows = connection.execute(select(order_refs).order_by(order_refs.c.external_ref))
        return [(r.recipient_id, r.external_ref, r.subject_id, r.order_id) for r in rows]


def _pairs_into_orders(engine: Engine) -> dict[str, list[str]]:
    """Each table's foreign key into orders: the columns it names them by."""
    found = inspect(engine)
    return {
        table: key["constrained_columns"]
        for table in ("order_events", "transfers", "views")
        for key in found.get_foreign_keys(table)
        if key["referred_table"] == "orders"
    }


def test_orders_keep_their_rows_and_numbers_through_the_new_key(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        terms = publish_terms(api)
        seller = new_seller(api, server.url, "US", terms)
        try:
            placed: list[tuple[str, str, str]] = []  # (subject, order, number)
            for n in range(2):
                subject_id = new_subject(api)
                consent(api, subject_id, seller)
                order_id, _ = allowed_transfer(api, subject_id, seller, ref=f"SO-0033-{n}")
                delivered = api.post(f"/v1/orders/{order_id}/events", json={"type": "delivered"})
                assert delivered.status_code in (200, 201), delivered.text
                placed.append((subject_id, order_id, f"SO-0033-{n}"))
            before = rows_of(gh.engine, _TABLES)
            assert [len(before[t.name]) for t in _TABLES] == [2, 2, 2, 2]
            expected_refs = [(seller.id, ref, s, o) for s, o, ref in placed]
            assert _refs(gh) == expected_refs
            assert inspect(gh.engine).get_pk_constraint("orders")["constrained_columns"] == [
                "subject_id",
                "id",
            ]
            pair = ["subject_id", "order_id"]
            assert _pairs_into_orders(gh.engine) == {
                "order_events": pair,
                "transfers": pair,
                "views": pair,
            }

            downgrade_to(gh.engine, "0032")
            assert inspect(gh.engine).get_pk_constraint("orders")["constrained_columns"] == ["id"]
            assert "order_refs" not in inspect(gh.engine).get_table_names()
            assert set(map(tuple, _pairs_into_orders(gh.engine).values())) == {("order_id",)}
            assert rows_of(gh.engine, _TABLES) == before
            # The old schema holds the number unique on the orders again.
            with pytest.raises(IntegrityError), gh.engine.begin() as connection:
                copy = {**before["orders"][0], "id": "ord_copy"}
                connection.execute(insert(orders).values(copy))

            upgrade_to(gh.engine, "head")
            assert rows_of(gh.engine, _TABLES) == before
            assert _refs(gh) == expected_refs  # made again from the orders
            # A number the recipient used is refused, through the lookup table, with a 409.
            subject_id, _, number = placed[0]
            again = api.post(
                "/v1/orders",
                json={
                    "subject_id": subject_id,
                    "recipient_id": seller.id,
                    "external_ref": number,
                    "items": [{"sku": "CASE-01", "name": "휴대폰 케이스", "quantity": 1}],
                    "customs_required": False,
                },
            )
            assert again.status_code == 409, again.text
            assert again.json()["error"]["code"] == "duplicate_order"
            assert rows_of(gh.engine, _TABLES) == before and _refs(gh) == expected_refs
            # Read by its id alone, as the order's transfer and events are asked for.
            event = api.post(
                f"/v1/orders/{placed[1][1]}/events", json={"type": "purchase_confirmed"}
            )
            assert event.status_code in (200, 201), event.text
        finally:
            seller.client.close()
