"""Retention dates: one rule for the deletion engine and the page that previews it.

The deletion confirmation page tells the customer until when each kind of record is kept; the
deletion receipt then records the dates the engine sealed. Both come from
:func:`gatehouse.services.retention.hold_periods`, so a complaint answered days after it was
filed is promised the date the receipt keeps, counted from the answer.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_date

from gatehouse.domain.errors import NotFound
from gatehouse.domain.requests import RequestType
from gatehouse.rules import load_packs
from gatehouse.services.access import issue_operator_key
from gatehouse.services.retention import (
    ComplaintDates,
    OrderDates,
    complaint_dates,
    hold_periods,
    kept_until,
    order_dates,
    retained_fields,
    retention_preview,
)
from gatehouse.store.orders import OrderRepository
from gatehouse.store.requests import RequestRepository
from gatehouse.store.retention_dates import RetentionDateRepository
from gatehouse.vault import KeyShredded
from tests.conftest import Fresh, LiveServer
from tests.support.gateway import new_order, new_seller, new_subject, publish_terms
from tests.support.server import api_client
from tests.test_web_portal import PortalClient, hidden
from tests.test_web_privacy import new_link, new_person, signed_in

PACK = load_packs().by_id("KR-PIPA")
SEOUL = ZoneInfo("Asia/Seoul")
PLACED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DELIVERED = PLACED + timedelta(days=3)
FILED = PLACED + timedelta(days=4)
ANSWERED = FILED + timedelta(days=9, hours=5)
ORDER_AND_COMPLAINT = ("contracts", "payments", "complaints")


def _end(hold: str, start: datetime) -> datetime:
    return kept_until(PACK.retention_holds[hold], start)


# --- the rule -----------------------------------------------------------------------------


def test_an_order_only_placed_is_a_contract_record_from_the_day_it_was_placed() -> None:
    periods = hold_periods(PACK, OrderDates(PLACED))
    assert [(p.hold, p.start, p.end) for p in periods] == [
        ("contracts", PLACED, _end("contracts", PLACED))
    ]
    # Five years of 30.44-day months.
    assert periods[0].end - PLACED == timedelta(days=1826)


def test_a_delivered_order_is_also_a_supply_record_both_from_the_delivery() -> None:
    periods = hold_periods(PACK, OrderDates(PLACED, delivered_at=DELIVERED))
    assert [(p.hold, p.start) for p in periods] == [
        ("contracts", DELIVERED),
        ("payments", DELIVERED),
    ]
    assert all(p.end == _end(p.hold, DELIVERED) for p in periods)


def test_a_cancellation_is_the_orders_last_event() -> None:
    cancelled = DELIVERED + timedelta(days=6)
    periods = hold_periods(PACK, OrderDates(PLACED, DELIVERED, cancelled))
    assert {p.start for p in periods} == {cancelled}
    undelivered = hold_periods(PACK, OrderDates(PLACED, cancelled_at=cancelled))
    assert [(p.hold, p.start) for p in undelivered] == [("contracts", cancelled)]


def test_a_complaint_runs_from_its_answer_or_while_unanswered_from_its_filing() -> None:
    (answered,) = hold_periods(PACK, ComplaintDates(FILED, ANSWERED))
    assert (answered.hold, answered.start) == ("complaints", ANSWERED)
    assert answered.end == _end("complaints", ANSWERED)
    (open_,) = hold_periods(PACK, ComplaintDates(FILED))
    assert open_.start == FILED and open_.end == _end("complaints", FILED)


def test_a_pack_without_a_hold_keeps_nothing_under_it() -> None:
    holds = {k: v for k, v in PACK.retention_holds.items() if k != "payments"}
    narrow = PACK.model_copy(update={"retention_holds": holds})
    periods = hold_periods(narrow, OrderDates(PLACED, delivered_at=DELIVERED))
    assert [p.hold for p in periods] == ["contracts"]
    assert retained_fields(narrow, "payments") == []


def test_the_kept_fields_are_the_holds_fields_the_engine_supplies() -> None:
    assert retained_fields(PACK, "payments") == [
        "order_ref",
        "items",
        "delivered_at",
        "name",
        "address",
    ]
    assert "amount" in PACK.retention_holds["payments"].fields
    assert retained_fields(PACK, "ads") == []


# --- the preview and the receipt, over HTTP on each backend ---------------------------------


def _shown(page: str, hold: str) -> tuple[datetime, str] | None:
    """The end date a hold's row shows: its ``datetime`` attribute and the text read."""
    row = page.split(f'data-hold="{hold}"', 1)[1].split("</tr>", 1)[0]
    found = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', row)
    return None if found is None else (datetime.fromisoformat(found[1]), found[2])


def test_the_deletion_page_promises_the_dates_the_receipt_records(fresh: Fresh) -> None:
    gh, clock = fresh.gatehouse, fresh.clock
    clock.now = PLACED
    key = issue_operator_key(gh, clock(), label="tests")
    with (
        LiveServer(gh) as server,
        api_client(server.url, key) as api,
    ):
        person = new_person(api, server.url, ("CN",))
        for seller in person.sellers:
            seller.client.close()
        clock.now = DELIVERED
        delivered = api.post(f"/v1/orders/{person.orders[0]}/events", json={"type": "delivered"})
        assert delivered.status_code == 201, delivered.text
        clock.now = FILED
        token = api.post(f"/v1/subjects/{person.subject_id}/sessions").json()["token"]
        filed = httpx.post(
            f"{server.url}/v1/me/requests",
            headers={"Authorization": f"Bearer {token}"},
            json={"type": "complaint", "message": "배송이 늦었고 연락도 없었습니다."},
        )
        assert filed.status_code == 201, filed.text
        clock.now = ANSWERED
        answered = api.post(
            f"/v1/requests/{filed.json()['id']}/resolve",
            json={"outcome": "completed", "message": "사과드립니다. 배송사에 조치했습니다."},
        )
        assert answered.status_code == 200, answered.text
        clock.now = ANSWERED + timedelta(days=2)

        browser = PortalClient(server.url)
        try:
            # The first link expired while the clock moved on: the marketplace sends a new one.
            signed_in(browser, replace(person, link=new_link(api, person.subject_id)))
            confirm = browser.get("/privacy/delete")
            assert confirm.status_code == 200, confirm.text
            shown = {hold: _shown(confirm.text, hold) for hold in ORDER_AND_COMPLAINT}
            deleted = browser.post(
                "/privacy/delete", data={"csrf_token": hidden(confirm.text, "csrf_token")}
            )
            assert deleted.status_code == 200, deleted.text
            receipt = browser.get("/privacy/receipt.json").json()["receipt"]
        finally:
            browser.close()

    kept: dict[str, datetime] = {}
    for record in receipt["retained"]:
        until = datetime.fromisoformat(record["kept_until"])
        kept[record["hold"]] = max(until, kept.get(record["hold"], until))
    assert set(kept) == set(ORDER_AND_COMPLAINT)
    for hold, until in kept.items():
        promised = shown[hold]
        assert promised is not None, hold
        at, text = promised
        # The same Seoul day, read as the page shows it and as the receipt's date falls.
        assert at.astimezone(SEOUL).date() == until.astimezone(SEOUL).date(), hold
        assert text == format_date(until.astimezone(SEOUL), "long", locale="ko"), hold
    # The complaint's record runs from the answer, nine days after the filing.
    assert kept["complaints"] == _end("complaints", ANSWERED)
    assert kept["payments"] == _end("payments", DELIVERED)
    assert kept["contracts"] == max(_end("contracts", DELIVERED), _end("contracts", PLACED))


def test_the_preview_names_each_hold_and_refuses_an_erased_or_unknown_subject(
    fresh: Fresh,
) -> None:
    gh = fresh.gatehouse
    key = issue_operator_key(gh, fresh.clock(), label="tests")
    with (
        LiveServer(gh) as server,
        api_client(server.url, key) as api,
    ):
        person = new_person(api, server.url, ("JP",))
        for seller in person.sellers:
            seller.client.close()
        preview = retention_preview(gh, person.subject_id)
        assert [item.name for item in preview] == ["contracts", "payments", "complaints"]
        by_name = {item.name: item for item in preview}
        # Two orders placed now, none delivered, no complaint.
        assert by_name["contracts"].until == _end("contracts", fresh.clock())
        assert by_name["payments"].until is None and by_name["complaints"].until is None
        assert by_name["payments"].fields == tuple(retained_fields(PACK, "payments"))
        assert by_name["complaints"].hold.months == 36
        assert api.delete(f"/v1/subjects/{person.subject_id}").status_code == 202
    with pytest.raises(KeyShredded):
        retention_preview(gh, person.subject_id)
    with pytest.raises(NotFound):
        retention_preview(gh, "sub_nobody")


def test_the_preview_is_the_engines_rule_over_every_order_and_complaint(fresh: Fresh) -> None:
    gh, clock = fresh.gatehouse, fresh.clock
    clock.now = PLACED
    key = issue_operator_key(gh, clock(), label="tests")
    with (
        LiveServer(gh) as server,
        api_client(server.url, key) as api,
    ):
        seller = new_seller(api, server.url, "CN", publish_terms(api))
        seller.client.close()
        subject_id = new_subject(api)
        # Every pattern of missing dates, with later events on earlier orders, so that the
        # record that ends last is not the newest order's.
        events = {
            "placed": [],
            "delivered": ["delivered"],
            "cancelled": ["cancelled"],
            "delivered, then cancelled": ["delivered", "cancelled"],
            "shipped": ["shipped"],
        }
        placed = {name: new_order(api, subject_id, seller) for name in events}
        for day, (name, steps) in enumerate(reversed(events.items()), start=1):
            for step in steps:
                clock.now = PLACED + timedelta(days=10 * day)
                done = api.post(f"/v1/orders/{placed[name]}/events", json={"type": step})
                assert done.status_code == 201, done.text
        token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
        filed = [
            httpx.post(
                f"{server.url}/v1/me/requests",
                headers={"Authorization": f"Bearer {token}"},
                json={"type": kind, "message": "확인 부탁드립니다."},
            ).json()["id"]
            for kind in ("complaint", "complaint", "access")
        ]
        clock.advance(days=30)
        answered = api.post(f"/v1/requests/{filed[0]}/resolve", json={"outcome": "completed"})
        assert answered.status_code == 200, answered.text
        clock.advance(days=1)

        with gh.engine.connect() as connection:
            orders = OrderRepository(connection).of_subject(subject_id)
            complaints = RequestRepository(connection).of_subject(
                subject_id, request_type=RequestType.COMPLAINT, newest_first=False
            )
            latest = RetentionDateRepository(connection)
            order_rows = latest.latest_order_dates(subject_id)
            complaint_rows = latest.latest_complaint_dates(subject_id)
        # One row per pattern of missing dates, whatever the number of orders; shipped and
        # placed-only orders share one (neither delivered nor cancelled).
        assert len(order_rows) == 4 and len(complaint_rows) == 2
        assert {answered is None for _filed, answered in complaint_rows} == {True, False}
        expected: dict[str, datetime] = {}
        every: list[OrderDates | ComplaintDates] = [order_dates(o) for o in orders]
        every += [complaint_dates(c.request) for c in complaints]
        for item in every:
            for period in hold_periods(PACK, item):
                expected[period.hold] = max(period.end, expected.get(period.hold, period.end))
        previewed = {item.name: item.until for item in retention_preview(gh, subject_id)}
        assert previewed == expected
        # The open complaint is counted from its filing, the answered one from its answer.
        assert previewed["complaints"] == _end("complaints", clock() - timedelta(days=1))

        receipt = api.delete(f"/v1/subjects/{subject_id}").json()["receipt"]
    kept: dict[str, datetime] = {}
    for record in receipt["retained"]:
        until = datetime.fromisoformat(record["kept_until"])
        kept[record["hold"]] = max(until, kept.get(record["hold"], until))
    assert kept == previewed
