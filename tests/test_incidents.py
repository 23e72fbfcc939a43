"""Incidents over HTTP, on each backend: a recipient breach whose blast radius equals the
ledger's own count, the 72-hour clock on injected time, the subject notice, and bad input."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from gatehouse.store.tables import orders, subjects, transfers, views
from tests.conftest import Fresh
from tests.support.gateway import Seller, allowed_transfer, consent, new_seller, new_subject
from tests.support.gateway import publish_terms as publish
from tests.support.operator_profiles import profile_body
from tests.support.register_rows import RegisterRows
from tests.support.server import operator_api
from tests.test_web_console import Console

SELF_HELP = "주문을 사칭한 전화·문자에 주의하십시오."
MEASURES = "해당 판매자의 접근을 중지하고 사본 삭제를 확인하였습니다."


@dataclass
class World:
    fresh: Fresh
    api: httpx.Client
    alpha: Seller
    beta: Seller

    def now(self) -> datetime:
        return self.fresh.clock()

    def customer(self, seller: Seller) -> str:
        subject_id = new_subject(self.api)
        consent(self.api, subject_id, seller)
        return subject_id

    def incident(self, status: int = 201, **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "discovered_at": (self.now() - timedelta(hours=1)).isoformat(),
            "kind": "recipient_breach",
            "description": "판매자의 주문 내보내기 파일이 외부에 노출되었습니다.",
            "scope": {"recipient_id": self.alpha.id},
            "self_protection": SELF_HELP,
            "countermeasures": MEASURES,
        }
        body.update(changes)
        response = self.api.post("/v1/incidents", json=body)
        assert response.status_code == status, response.text
        result: dict[str, Any] = response.json()
        return result

    def step(self, incident_id: str, step: str, status: int = 200) -> dict[str, Any]:
        response = self.api.post(f"/v1/incidents/{incident_id}/steps", json={"step": step})
        assert response.status_code == status, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def world(fresh: Fresh) -> Iterator[World]:
    with operator_api(fresh.gatehouse) as (server, api):
        terms = publish(api)
        alpha = new_seller(api, server.url, "CN", accept=terms)
        beta = new_seller(api, server.url, "US", accept=terms)
        try:
            yield World(fresh, api, alpha, beta)
        finally:
            alpha.client.close()
            beta.client.close()


def _entries(api: httpx.Client, **params: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": "500", **({"cursor": cursor} if cursor else {})}
        response = api.get("/v1/ledger/entries", params=query)
        assert response.status_code == 200, response.text
        found += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return found


def _ledger_count(world: World, start: datetime, stop: datetime) -> tuple[int, set[str]]:
    """Distinct subjects with a view open at alpha in [start, stop], from the ledger alone."""
    api, recipient = world.api, world.alpha.id
    closed = {
        e["payload"]["transfer_id"]: datetime.fromisoformat(e["at"])
        for e in _entries(api, kind="view.closed", recipient_id=recipient)
    }
    # A view never outlives the pack's maximum; only a closing entry ends it earlier here.
    longest = timedelta(days=world.fresh.gatehouse.packs.by_id("KR-PIPA").views.max_days)
    subjects, fields = set(), set()
    for entry in _entries(api, kind="transfer.allowed", recipient_id=recipient):
        opened = datetime.fromisoformat(entry["at"])
        ends = closed.get(entry["payload"]["transfer_id"], opened + longest)
        if opened <= stop and ends > start:
            subjects.add(entry["subject_id"])
            fields |= set(entry["payload"]["fields"])
    return len(subjects), fields


def test_a_recipient_breach_reaches_exactly_the_subjects_the_ledger_shows(world: World) -> None:
    api = world.api
    t0 = world.now()
    first, second = world.customer(world.alpha), world.customer(world.alpha)
    allowed_transfer(api, first, world.alpha)
    allowed_transfer(api, second, world.alpha)
    allowed_transfer(api, second, world.alpha)  # a second order of the same buyer
    elsewhere = world.customer(world.beta)
    allowed_transfer(api, elsewhere, world.beta)
    cancelled_buyer = world.customer(world.alpha)
    order_id, _ = allowed_transfer(api, cancelled_buyer, world.alpha)
    world.fresh.clock.advance(hours=1)
    cancel = api.post(f"/v1/orders/{order_id}/events", json={"type": "cancelled"})
    assert cancel.status_code in (200, 201), cancel.text
    world.fresh.clock.advance(days=2)
    allowed_transfer(api, world.customer(world.alpha), world.alpha)  # after the window
    world.fresh.clock.advance(days=1)

    windows = [
        (t0 + timedelta(days=1), t0 + timedelta(days=1, hours=12)),  # first and second only
        (t0, world.now() - timedelta(hours=2)),  # everyone alpha ever held
    ]
    counts = []
    for start, stop in windows:
        scope = {"recipient_id": world.alpha.id, "from": start.isoformat(), "to": stop.isoformat()}
        incident = world.incident(scope=scope)
        expected, fields = _ledger_count(world, start, stop)
        assert incident["affected_subjects"] == expected
        assert set(incident["fields"]) == fields
        assert incident["recipients"] == [world.alpha.id]
        assert incident["report_required"] is False
        counts.append(expected)
    assert counts == [2, 4]
    # Opening is itself in the ledger, with figures and no text.
    opened = _entries(api, kind="incident.opened")
    assert [e["payload"]["affected_subjects"] for e in opened] == [2, 4]
    assert all(SELF_HELP not in str(e["payload"]) for e in opened)


def test_the_72_hour_clock_runs_on_injected_time(world: World) -> None:
    world.customer(world.alpha)
    incident = world.incident(kind="hacking")
    discovered = datetime.fromisoformat(incident["discovered_at"])
    assert datetime.fromisoformat(incident["notify_by"]) == discovered + timedelta(hours=72)
    assert incident["status"] == "due"
    assert incident["report_required"] is True
    assert incident["report_reasons"] == ["external_access"]

    world.fresh.clock.advance(hours=73)
    got = world.api.get(f"/v1/incidents/{incident['id']}").json()
    assert got["status"] == "overdue"

    def listed(status: str) -> list[str]:
        response = world.api.get("/v1/incidents", params={"status": status})
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert listed("overdue") == [incident["id"]] and listed("due") == []
    assert world.step(incident["id"], "subjects_notified")["status"] == "overdue"  # report owed
    assert world.step(incident["id"], "regulator_reported")["status"] == "done"
    assert listed("done") == [incident["id"]] and listed("overdue") == []
    closed = world.step(incident["id"], "closed")
    assert closed["closed"] is True and set(closed["steps"]) == {
        "subjects_notified",
        "regulator_reported",
        "closed",
    }
    steps = _entries(world.api, kind="incident.step")
    assert [e["payload"]["step"] for e in steps] == [
        "subjects_notified",
        "regulator_reported",
        "closed",
    ]
    assert all(e["payload"]["late"] is True for e in steps)


def test_the_subject_notice_has_the_five_items_and_the_privacy_officer(world: World) -> None:
    allowed_transfer(world.api, world.customer(world.alpha), world.alpha)
    world.fresh.clock.advance(hours=2)  # discovered an hour ago, after the transfer
    incident = world.incident()
    url = f"/v1/incidents/{incident['id']}/notice"
    missing = world.api.get(url)
    assert missing.status_code == 422
    assert missing.json()["error"]["details"]["item"] == "contact"
    assert world.api.put("/v1/operator/profile", json=profile_body()).status_code == 200
    notice = world.api.get(url, params={"locale": "ko"})
    assert notice.status_code == 200, notice.text
    body = notice.json()
    assert body["article"] == "「개인정보 보호법」 제34조제1항"
    keys = [item["key"] for item in body["items"]]
    assert keys == ["leaked_items", "when_and_how", "self_protection", "countermeasures", "contact"]
    officer = world.api.get("/v1/operator/profile").json()["profile"]["privacy_officer"]
    assert officer["phone"] in body["items"][4]["text"]
    assert officer["name"] in body["items"][4]["text"]
    assert SELF_HELP in body["text"] and MEASURES in body["text"]
    assert "성명" in body["items"][0]["text"]


def test_notifying_needs_a_complete_notice(world: World) -> None:
    incident = world.incident(countermeasures=None)
    refused = world.api.post(
        f"/v1/incidents/{incident['id']}/steps", json={"step": "subjects_notified"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "notice_incomplete"
    assert refused.json()["error"]["details"] == {"item": "countermeasures"}
    assert _entries(world.api, kind="incident.step") == []


def test_bad_input_is_a_4xx_with_a_code_and_never_a_500(world: World) -> None:
    now = world.now()
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"scope": "everything"}, 422, "validation_error"),
        ({"scope": {}}, 422, "scope_empty"),
        ({"scope": {"everyone": True}}, 422, "validation_error"),
        ({"scope": {"recipient_id": "rcp_nobody"}}, 404, "unknown_recipient"),
        ({"scope": {"subject_ids": ["sub_nobody"]}}, 404, "unknown_subject"),
        ({"scope": {"fields": ["password"]}}, 422, "unknown_field"),
        ({"scope": {"country": "cn"}}, 422, "validation_error"),
        (
            {"scope": {"from": now.isoformat(), "to": (now - timedelta(days=1)).isoformat()}},
            422,
            "scope_window_reversed",
        ),
        ({"discovered_at": (now + timedelta(minutes=5)).isoformat()}, 422, "discovered_in_future"),
        ({"discovered_at": "2026-11-28T08:00:00"}, 422, "validation_error"),
        ({"discovered_at": "yesterday"}, 422, "validation_error"),
        ({"description": "x" * 5000}, 422, "validation_error"),
        ({"kind": "alien_invasion"}, 422, "unknown_kind"),
    ]
    for change, status, code in cases:
        body = world.incident(status=status, **change)
        assert body["error"]["code"] == code, (change, body)
    incident = world.incident()
    api = world.api
    for path, payload, status, code in [
        (f"/v1/incidents/{incident['id']}/steps", {"step": "forgotten"}, 422, "validation_error"),
        ("/v1/incidents/inc_nobody/steps", {"step": "closed"}, 404, "incident_not_found"),
        (
            f"/v1/incidents/{incident['id']}/steps",
            {"step": "subjects_notified", "at": (now + timedelta(hours=1)).isoformat()},
            422,
            "step_in_future",
        ),
    ]:
        response = api.post(path, json=payload)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
    for path, params in [("/v1/incidents/inc_nobody", {}), ("/v1/incidents", {"status": "bad"})]:
        response = api.get(path, params=params)
        assert 400 <= response.status_code < 500, response.text
    assert len(_entries(api, kind="incident.opened")) == 1


def test_the_console_shows_open_incidents_due_overdue_then_done(world: World) -> None:
    key = str(world.api.headers["Authorization"]).removeprefix("Bearer ")
    browser = Console(str(world.api.base_url).rstrip("/"))
    try:
        assert browser.login(key).status_code in (200, 303)
        assert 'class="incident"' not in browser.dashboard()
        incident = world.incident()
        row = f'id="incident-{incident["id"]}" data-status='

        def state(lang: str = "en") -> str:
            page = browser.get(f"/console?lang={lang}").text
            found = re.search(re.escape(row) + r'"(\w+)"', page)
            return found.group(1) if found else "absent"

        assert state() == "due"
        world.fresh.clock.advance(hours=73)
        assert browser.login(key).status_code in (200, 303)  # the session has lapsed meanwhile
        assert state() == "overdue"
        page = browser.get("/console?lang=ko").text
        assert (
            "개인정보 유출 사고와 72시간 기한" in page and "개인정보를 이전받은 자의 유출등" in page
        )
        world.step(incident["id"], "subjects_notified")
        assert state() == "done"
        world.step(incident["id"], "closed")
        assert state() == "absent"
    finally:
        browser.close()


def _views_at(fresh: Fresh, recipient_id: str, first: int, count: int, opened: datetime) -> None:
    """``count`` customers, each with one allowed transfer to the recipient and its open view,
    written straight into the tables: a thousand checkouts over HTTP would time out the test."""
    engine = fresh.gatehouse.engine
    subject_rows, order_rows, transfer_rows, view_rows = [], [], [], []
    for n in range(first, first + count):
        sid, oid, tid = f"sub_bulk{n:05d}", f"ord_bulk{n:05d}", f"trf_bulk{n:05d}"
        subject_rows.append(
            {
                "id": sid,
                "residence_country": "KR",
                "locale": "ko-KR",
                "rule_pack": "KR-PIPA",
                "created_at": opened,
            }
        )
        order_rows.append(
            {
                "id": oid,
                "subject_id": sid,
                "recipient_id": recipient_id,
                "external_ref": oid,
                "customs_required": False,
                "has_delivery_note": False,
                "status": "created",
                "created_at": opened,
            }
        )
        transfer_rows.append(
            {
                "id": tid,
                "order_id": oid,
                "subject_id": sid,
                "recipient_id": recipient_id,
                "country": "CN",
                "purpose": "fulfilment",
                "flow": "provision",
                "allowed": True,
                "basis": "SEPARATE_CONSENT",
                "refusal": None,
                "fields": ["name", "phone", "address"],
                "decided_at": opened,
            }
        )
        view_rows.append(
            {
                "transfer_id": tid,
                "order_id": oid,
                "subject_id": sid,
                "recipient_id": recipient_id,
                "purpose": "fulfilment",
                "opened_at": opened,
                "expires_at": opened + timedelta(days=30),
            }
        )
    with engine.begin() as c:
        c.execute(insert(subjects), subject_rows)
        c.execute(insert(orders), order_rows)
        c.execute(insert(transfers), transfer_rows)
        c.execute(insert(views), view_rows)


def test_the_regulator_report_is_flagged_from_the_thousandth_subject(fresh: Fresh) -> None:
    """「개인정보 보호법 시행령」 제40조: a report from 1,000 data subjects; 999 is not enough."""
    recipient = RegisterRows(fresh.gatehouse.engine).recipient("Lotus Trading Co", country="CN")
    opened = fresh.clock() - timedelta(days=3)
    _views_at(fresh, recipient, 0, 999, opened)
    body = {
        "discovered_at": (fresh.clock() - timedelta(hours=1)).isoformat(),
        "kind": "recipient_breach",
        "description": "판매자의 주문 내보내기 파일이 외부에 노출되었습니다.",
        "scope": {"recipient_id": recipient},
    }
    with operator_api(fresh.gatehouse) as (_, api):
        below = api.post("/v1/incidents", json=body)
        assert below.status_code == 201, below.text
        assert below.json()["affected_subjects"] == 999
        assert below.json()["report_required"] is False
        _views_at(fresh, recipient, 999, 1, opened)
        at = api.post("/v1/incidents", json=body)
        assert at.status_code == 201, at.text
        assert at.json()["affected_subjects"] == 1000
        assert at.json()["report_required"] is True
        assert at.json()["report_reasons"] == ["subject_threshold"]
