"""The per-customer totals the privacy center reads equal a fresh aggregation of the history.

``transfer_totals`` counts the allowed transfers as they are decided and ``view_windows``
follows the views as they open, close and have their expiry moved; migration 0012 fills both
from the rows already there. Each is compared here with the aggregation it replaces.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, Text, cast, func, select

from gatehouse.services import consents, terms
from gatehouse.services.customer_recipients import transfer_summary
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.transfers import request_transfer
from gatehouse.store import migrate
from gatehouse.store.summary_tables import transfer_totals, view_windows
from gatehouse.store.tables import transfers, views
from tests.conftest import Fresh, LiveServer
from tests.support.factories import TERMS_CLAUSES
from tests.support.fake_world import new_world
from tests.support.gateway import (
    Seller,
    allowed_transfer,
    consent,
    new_order,
    new_seller,
    new_subject,
    publish_terms,
)
from tests.support.migrations import downgrade_to
from tests.support.server import operator_api

Totals = dict[tuple[str, ...], tuple[int, datetime]]


def fresh_totals(engine: Engine, subject_ids: list[str]) -> Totals:
    """The aggregation the totals replace, over the subjects' allowed transfers."""
    key = (
        transfers.c.subject_id,
        transfers.c.recipient_id,
        func.coalesce(transfers.c.country, ""),
        transfers.c.purpose,
        func.coalesce(transfers.c.basis, ""),
        cast(transfers.c.fields, Text),
    )
    query = (
        select(*key, func.count(), func.max(transfers.c.decided_at))
        .where(transfers.c.subject_id.in_(subject_ids), transfers.c.allowed.is_(True))
        .group_by(*key)
    )
    with engine.connect() as connection:
        return {tuple(row[:6]): (int(row[6]), row[7]) for row in connection.execute(query)}


def kept_totals(engine: Engine, subject_ids: list[str]) -> Totals:
    t = transfer_totals.c
    query = select(
        t.subject_id,
        t.recipient_id,
        t.country,
        t.purpose,
        t.basis,
        t["items"],
        t.transfers,
        t.last_at,
    ).where(t.subject_id.in_(subject_ids))
    with engine.connect() as connection:
        return {tuple(row[:6]): (int(row[6]), row[7]) for row in connection.execute(query)}


def fresh_windows(engine: Engine, subject_ids: list[str]) -> dict[tuple[str, str], Any]:
    until = func.max(func.coalesce(views.c.closed_at, views.c.expires_at))
    query = (
        select(views.c.subject_id, views.c.recipient_id, until)
        .where(views.c.subject_id.in_(subject_ids))
        .group_by(views.c.subject_id, views.c.recipient_id)
    )
    with engine.connect() as connection:
        return {(row[0], row[1]): row[2] for row in connection.execute(query)}


def kept_windows(engine: Engine, subject_ids: list[str]) -> dict[tuple[str, str], Any]:
    w = view_windows.c
    query = select(w.subject_id, w.recipient_id, w.until).where(w.subject_id.in_(subject_ids))
    with engine.connect() as connection:
        return {(row[0], row[1]): row[2] for row in connection.execute(query)}


def refuse(api: httpx.Client, subject_id: str, seller: Seller) -> None:
    order = new_order(api, subject_id, seller)
    answer = api.post(
        f"/v1/orders/{order}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert answer.status_code == 403, answer.text


def history(api: httpx.Client, base_url: str) -> list[str]:
    """Two customers' allowed and refused transfers, a cancelled order and a delivered one."""
    terms = publish_terms(api)
    sellers = {code: new_seller(api, base_url, code, terms) for code in ("CN", "JP", "US")}
    try:
        subject_id, stranger = new_subject(api), new_subject(api)
        for seller in (sellers["CN"], sellers["JP"]):
            consent(api, subject_id, seller)
        consent(api, stranger, sellers["CN"])
        made = [allowed_transfer(api, subject_id, sellers["CN"]) for _ in range(3)]
        made.append(allowed_transfer(api, subject_id, sellers["CN"], customs=True))
        jp_order, _ = allowed_transfer(api, subject_id, sellers["JP"])
        refuse(api, subject_id, sellers["US"])
        refuse(api, stranger, sellers["JP"])
        allowed_transfer(api, stranger, sellers["CN"])
        # A closing and a moved expiry: each recomputes its pair's window.
        for order, event in ((made[0][0], "cancelled"), (jp_order, "delivered")):
            answer = api.post(f"/v1/orders/{order}/events", json={"type": event})
            assert answer.status_code == 201, answer.text
        return [subject_id, stranger]
    finally:
        for seller in sellers.values():
            seller.client.close()


def test_the_totals_equal_a_fresh_aggregation(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer
) -> None:
    subjects = history(api, live_server.url)
    totals = kept_totals(gatehouse.engine, subjects)
    assert totals == fresh_totals(gatehouse.engine, subjects)
    # CN plain and CN with customs are two groups; JP one; the stranger's CN one.
    assert sorted(count for count, _ in totals.values()) == [1, 1, 1, 3]
    assert kept_windows(gatehouse.engine, subjects) == fresh_windows(gatehouse.engine, subjects)
    assert transfer_summary(gatehouse, subjects[0]).total == 5


def test_the_migration_fills_the_totals_from_the_rows_already_there(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        subjects = history(api, server.url)
    expected = (kept_totals(gh.engine, subjects), kept_windows(gh.engine, subjects))
    assert expected[0] and expected[1]
    downgrade_to(gh.engine, "0011")
    migrate.upgrade(gh.engine)
    assert kept_totals(gh.engine, subjects) == fresh_totals(gh.engine, subjects) == expected[0]
    assert kept_windows(gh.engine, subjects) == fresh_windows(gh.engine, subjects) == expected[1]


def test_the_fakes_keep_the_same_totals() -> None:
    w = new_world()
    terms.publish_terms(w.gh, "t1", TERMS_CLAUSES)
    subject_id = w.subject()
    china, japan, refused = w.recipient(), w.recipient(country="JP"), w.recipient(country="US")
    consent_id = w.consent(subject_id, china)
    w.consent(subject_id, japan)
    made = {}
    for recipient in (china, china, japan, refused):
        order = w.order(subject_id, recipient)
        decided = request_transfer(w.gh, order, purpose="fulfilment", flow="provision")
        made[decided.transfer_id] = decided.decision.allowed
        w.advance(minutes=1)
    assert list(made.values()) == [True, True, True, False]
    consents.withdraw_consent(w.gh, subject_id, consent_id, channel="web")

    tables = w.db.tables
    expected: dict[tuple[object, ...], tuple[int, datetime]] = {}
    for t in tables.transfers.values():
        if t.allowed:
            key = (t.recipient_id, t.country, t.purpose, t.basis, tuple(t.fields))
            count, last = expected.get(key, (0, t.decided_at))
            expected[key] = (count + 1, max(last, t.decided_at))
    with w.gh.unit_of_work(read_only=True) as uow:
        groups = uow.customer_transfers.groups(subject_id)
        windows = uow.customer_transfers.windows(subject_id, w.clock())
    kept = {
        (g.recipient_id, g.country, g.purpose, g.basis, tuple(g.fields)): (g.transfers, g.last_at)
        for g in groups
    }
    assert kept == expected and sum(count for count, _ in kept.values()) == 3
    # China's views closed with the consent, now; Japan's is open until it expires.
    japan_view = next(v for v in tables.views.values() if v.recipient_id == japan.id)
    assert {r: (x.until, x.open) for r, x in windows.items()} == {
        china.id: (w.clock(), False),
        japan.id: (japan_view.expires_at, True),
    }
    w.clock.now = japan_view.expires_at + timedelta(seconds=1)
    summary = transfer_summary(w.gh, subject_id)
    assert summary.total == 3 and not any(r.open for r in summary.recipients)


def test_a_batch_adds_each_group_once_with_all_its_transfers(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer
) -> None:
    version = publish_terms(api)
    china, america = (new_seller(api, live_server.url, c, version) for c in ("CN", "US"))
    try:
        subject_id, second = new_subject(api), new_subject(api)
        for buyer in (subject_id, second):
            consent(api, buyer, china)
        orders = [
            *(new_order(api, subject_id, china) for _ in range(4)),
            new_order(api, subject_id, china, customs=True),
            new_order(api, second, china),
            new_order(api, subject_id, america),
        ]
        items = [{"order_id": o, "purpose": "fulfilment", "flow": "provision"} for o in orders]
        response = api.post("/v1/transfers/batch", json={"items": items})
    finally:
        china.client.close()
        america.client.close()
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["items"]] == [201] * 6 + [403]
    subjects = [subject_id, second]
    totals = kept_totals(gatehouse.engine, subjects)
    assert totals == fresh_totals(gatehouse.engine, subjects)
    # Four alike in one group, and the order with customs and the second buyer's apart.
    assert sorted(count for count, _ in totals.values()) == [1, 1, 4]
    assert kept_windows(gatehouse.engine, subjects) == fresh_windows(gatehouse.engine, subjects)
