"""Orders' events on a real database: each carries its order's subject, written by the API and
filled in by migration 0026 for the events stored before it."""

from __future__ import annotations

from sqlalchemy import Engine, select

from gatehouse.store import migrate
from gatehouse.store.tables import order_events
from tests.conftest import Fresh
from tests.support.gateway import new_order, new_seller, new_subject, publish_terms
from tests.support.migrations import downgrade_to
from tests.support.server import operator_api


def _events(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(order_events.c.subject_id, order_events.c.order_id, order_events.c.type)
        ).all()
    return sorted((r.subject_id, r.order_id, r.type) for r in rows)


def test_events_carry_their_orders_subject_and_the_migration_fills_older_ones(
    fresh: Fresh,
) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        seller = new_seller(api, server.url, "CN", publish_terms(api))
        seller.client.close()
        first, second = new_subject(api), new_subject(api)
        orders = [new_order(api, first, seller), new_order(api, second, seller)]
        for order_id, event in zip(orders, ("shipped", "cancelled"), strict=True):
            answer = api.post(f"/v1/orders/{order_id}/events", json={"type": event})
            assert answer.status_code == 201, answer.text
    expected = sorted([(first, orders[0], "shipped"), (second, orders[1], "cancelled")])
    assert _events(gh.engine) == expected

    downgrade_to(gh.engine, "0025")
    migrate.upgrade(gh.engine)
    assert _events(gh.engine) == expected
