"""A small marketplace that plays three months of activity through the real API, and the
checks that hold an audit report to the ledger's own rows: shared by the audit's tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from gatehouse.domain.audit import AuditReport, FindingKey
from gatehouse.ledger import format_at
from gatehouse.services.ledger import make_checkpoint
from gatehouse.store.ledger_tables import ledger_entries
from tests.conftest import Fresh
from tests.support.gateway import (
    Seller,
    allowed_transfer,
    consent,
    new_order,
    new_seller,
    new_subject,
    publish_terms,
)
from tests.support.server import api_client, operator_api

__all__ = [
    "Market",
    "check_against_ledger",
    "ledger_rows",
    "open_market",
    "play",
    "report_content",
]


@dataclass
class Market:
    fresh: Fresh
    api: httpx.Client
    base_url: str
    sellers: dict[str, Seller]

    def now(self) -> datetime:
        return self.fresh.clock()

    def transfer(self, subject_id: str, seller: str, status: int) -> None:
        order_id = new_order(self.api, subject_id, self.sellers[seller])
        response = self.api.post(
            f"/v1/orders/{order_id}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
        )
        assert response.status_code == status, response.text

    def session(self, subject_id: str) -> httpx.Client:
        token = self.api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
        return api_client(self.base_url, token)

    def file_request(self, subject_id: str) -> str:
        with self.session(subject_id) as me:
            filed = me.post(
                "/v1/me/requests", json={"type": "access", "message": "처리 내역을 알려 주세요."}
            )
        assert filed.status_code == 201, filed.text
        return str(filed.json()["id"])

    def resolve(self, request_id: str) -> None:
        done = self.api.post(f"/v1/requests/{request_id}/resolve", json={"outcome": "completed"})
        assert done.status_code == 200, done.text


def open_market(fresh: Fresh) -> Iterator[Market]:
    """A marketplace on ``fresh``: an operator's API, published terms and four sellers, three
    of them under the terms."""
    with operator_api(fresh.gatehouse) as (server, api):
        terms = publish_terms(api)
        sellers = {
            "us": new_seller(api, server.url, "US", terms),
            "cn": new_seller(api, server.url, "CN", terms),
            "jp": new_seller(api, server.url, "JP", terms),
            "unsigned": new_seller(api, server.url, "VN", None),
        }
        yield Market(fresh, api, server.url, sellers)
        for seller in sellers.values():
            seller.client.close()


def play(m: Market) -> None:
    """Three months of a small marketplace: consents, transfers allowed and refused, a country
    suspended, requests answered on time and late, an account deleted whose erasure notice
    no one acknowledges, and a breach notified too late."""
    us, cn, jp = m.sellers["us"], m.sellers["cn"], m.sellers["jp"]
    ana, ben, cho = new_subject(m.api), new_subject(m.api), new_subject(m.api)
    for subject_id, seller in ((ana, us), (ben, us), (ana, cn), (cho, jp)):
        consent(m.api, subject_id, seller)
    for subject_id, seller in ((ana, us), (ana, us), (ben, us), (ana, cn), (cho, jp)):
        allowed_transfer(m.api, subject_id, seller)
    m.transfer(ben, "cn", 403)  # no consent for that seller
    m.transfer(ana, "unsigned", 403)  # the seller never accepted the terms
    m.fresh.clock.advance(days=35)

    assert m.api.post("/v1/countries/CN/suspend", json={"reason": "감독기관 중지명령"}).is_success
    m.transfer(ana, "cn", 403)
    assert m.api.post("/v1/countries/CN/resume", json={"reason": "해제"}).is_success
    allowed_transfer(m.api, ana, cn)
    on_time, late = m.file_request(ana), m.file_request(ben)
    m.fresh.clock.advance(days=2)
    m.resolve(on_time)
    m.fresh.clock.advance(days=12)
    m.resolve(late)
    m.fresh.clock.advance(days=20)

    with m.session(cho) as me:
        assert me.delete("/v1/me").status_code == 202
    discovered = m.now() - timedelta(hours=1)
    opened = m.api.post(
        "/v1/incidents",
        json={
            "discovered_at": discovered.isoformat(),
            "kind": "recipient_breach",
            "description": "판매자의 주문 내보내기 파일이 외부에 노출되었습니다.",
            "scope": {"recipient_id": us.id},
            "self_protection": "주문을 사칭한 전화·문자에 주의하십시오.",
            "countermeasures": "해당 판매자의 접근을 중지하였습니다.",
        },
    )
    assert opened.status_code == 201, opened.text
    m.fresh.clock.advance(days=4)
    step = m.api.post(
        f"/v1/incidents/{opened.json()['id']}/steps", json={"step": "subjects_notified"}
    )
    assert step.status_code == 200, step.text
    m.fresh.clock.advance(days=11)
    make_checkpoint(m.fresh.gatehouse)


def ledger_rows(m: Market, start: datetime, end: datetime) -> list[Any]:
    """The window's rows, read straight from the table, not through the audit."""
    query = select(ledger_entries).where(
        ledger_entries.c.at >= format_at(start), ledger_entries.c.at < format_at(end)
    )
    with m.fresh.gatehouse.engine.connect() as connection:
        return list(connection.execute(query))


def check_against_ledger(report: AuditReport, rows: list[Any]) -> None:
    kinds = Counter(row.kind for row in rows)
    transfers = [r for r in rows if r.kind in ("transfer.allowed", "transfer.refused")]
    allowed = [r for r in transfers if r.kind == "transfer.allowed"]
    refused = [r for r in transfers if r.kind == "transfer.refused"]
    basis = report.finding(FindingKey.BASIS)
    assert report.entries == len(rows)
    assert basis.figure("allowed") == kinds["transfer.allowed"]
    assert basis.figure("refused") == kinds["transfer.refused"]
    for code, count in Counter(r.payload["basis"] for r in allowed).items():
        assert basis.figure(f"basis.{code}") == count
    for reason, count in Counter(r.payload["refusal"] for r in refused).items():
        assert basis.figure(f"refused.{reason}") == count
    months = Counter((r.at[:7], r.kind) for r in transfers)
    assert {(p.label, p.allowed, p.refused) for p in report.by_month} == {
        (month, months[month, "transfer.allowed"], months[month, "transfer.refused"])
        for month in {month for month, _ in months}
    }
    countries = Counter((r.payload["country"], r.kind) for r in transfers)
    assert {(p.label, p.allowed, p.refused) for p in report.by_country} == {
        (cc, countries[cc, "transfer.allowed"], countries[cc, "transfer.refused"])
        for cc in {cc for cc, _ in countries}
    }
    consents = report.finding(FindingKey.CONSENT)
    assert consents.figure("granted") == kinds["consent.granted"]
    requests = report.finding(FindingKey.REQUESTS)
    assert requests.figure("created") == kinds["request.created"]
    assert requests.figure("resolved") == kinds["request.resolved"]
    erasure = report.finding(FindingKey.ERASURE)
    deleted = [r for r in rows if r.kind == "subject.deleted"]
    assert erasure.figure("deletions") == len(deleted)
    assert erasure.figure("erasure_notices") == sum(len(r.payload["erasure_ids"]) for r in deleted)
    assert report.finding(FindingKey.INCIDENTS).figure("opened") == kinds["incident.opened"]
    suspension = report.finding(FindingKey.SUSPENSION)
    assert (
        suspension.figure("suspensions")
        == kinds["country.suspended"] + kinds["recipient.suspended"]
    )
    assert suspension.figure("transfers_checked") == len(allowed)


def report_content(report: AuditReport, *, proofs: bool = True) -> dict[str, Any]:
    """What a report says of its window, apart from when it was made and how it checked
    (and, with ``proofs`` False, the samples' inclusion proofs)."""
    found = report.to_dict()
    found.pop("generated_at")
    found.pop("integrity")
    for finding in found["findings"] if not proofs else ():
        for sample in finding["samples"]:
            sample.pop("proof")
    return found
