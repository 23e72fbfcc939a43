"""The audit report over a real marketplace's ledger, on SQLite and PostgreSQL: every figure
equals a direct count of the ledger's rows, each exception is listed with its entry, and each
sample's inclusion proof checks against the signed checkpoint."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event, func, select, update

from gatehouse.domain.audit import Category, FindingKey, Status
from gatehouse.ledger import (
    CHECKPOINT_FORMAT_V1,
    CheckpointSigner,
    ShardHead,
    verify_inclusion_proof,
)
from gatehouse.services.audit_report import build_audit, day_window
from gatehouse.services.ledger import latest_checkpoint, make_checkpoint, public_key
from gatehouse.services.ledger_append import LEDGER_SHARDS
from gatehouse.services.ledger_keys import LEGACY_SIGNING_SECRET
from gatehouse.store.ledger_tables import ledger_entries
from gatehouse.vault import wrap_key
from tests.conftest import Fresh
from tests.support.audit_market import Market, check_against_ledger, ledger_rows, open_market, play
from tests.support.gateway import (
    allowed_transfer,
    consent,
    new_seller,
    new_subject,
    publish_terms,
)
from tests.support.server import operator_api


@pytest.fixture
def market(fresh: Fresh) -> Iterator[Market]:
    yield from open_market(fresh)


def test_the_figures_are_the_ledgers_counts_and_the_exceptions_are_named(market: Market) -> None:
    start = market.now()
    play(market)
    end = market.now()
    gh = market.fresh.gatehouse

    report = build_audit(gh, start, end)

    check_against_ledger(report, ledger_rows(market, start, end))
    basis = report.finding(FindingKey.BASIS)
    assert basis.figure("allowed") == 6 and basis.figure("refused") == 3
    assert basis.figure("refused.no_lawful_basis") == 1
    assert basis.figure("refused.recipient_not_eligible") == 1
    assert basis.figure("refused.country_suspended") == 1
    # Refusals are listed one by one, but they show the control at work, not a breach.
    assert sorted(e.detail["reason"] for e in basis.exceptions) == [
        "country_suspended",
        "no_lawful_basis",
        "recipient_not_eligible",
    ]
    assert basis.status is Status.OK and basis.breaches == 0
    assert basis.figure("basis_not_permitted") == 0
    suspension = report.finding(FindingKey.SUSPENSION)
    assert suspension.figure("breaches") == 0 and suspension.figure("resumptions") == 1
    assert suspension.figure("refused_while_suspended") == 1
    assert [e.category for e in suspension.exceptions] == [Category.RECIPIENT_INELIGIBLE]
    assert suspension.exceptions[0].detail == {"target_type": "country", "target": "CN"}

    requests = report.finding(FindingKey.REQUESTS)
    assert (requests.figure("on_time"), requests.figure("late")) == (1, 1)
    assert requests.status is Status.EXCEPTIONS
    (late,) = requests.exceptions
    assert late.category is Category.REQUEST_LATE and late.entry is not None
    assert late.entry.kind == "request.resolved"

    erasure = report.finding(FindingKey.ERASURE)
    assert erasure.figure("erasure_notices") == 1 and erasure.figure("unacknowledged") == 1
    assert [e.category for e in erasure.exceptions] == [Category.ERASURE_UNACKNOWLEDGED]
    incidents = report.finding(FindingKey.INCIDENTS)
    assert incidents.figure("notified_late") == 1
    assert [e.category for e in incidents.exceptions] == [Category.INCIDENT_LATE]
    notice = report.finding(FindingKey.NOTICE)
    assert notice.figure("consent_based") == notice.figure("with_notice") == 6
    assert notice.figure("unresolved") == 0 and notice.figure("notices") >= 1

    assert report.integrity.ok and report.integrity.uncovered == 0
    checkpoint = latest_checkpoint(gh)
    assert checkpoint is not None
    assert report.integrity.checkpoint_sequence == checkpoint.sequence
    samples = [s for f in report.findings for s in f.samples]
    assert samples and all(s.proof is not None for s in samples)
    for sample in samples:
        assert sample.proof is not None
        assert verify_inclusion_proof(sample.proof, checkpoint, public_key(gh))
        assert (sample.proof["shard"], sample.proof["seq"]) == (sample.shard, sample.seq)
    proof = samples[0].proof
    assert proof is not None
    # A proof is of this entry: another leaf under the same path does not check.
    assert not verify_inclusion_proof({**proof, "leaf_hash": "00" * 32}, checkpoint)


def test_a_window_counts_only_its_own_entries(market: Market) -> None:
    start = market.now()
    play(market)
    first_month_end = start + timedelta(days=30)

    report = build_audit(market.fresh.gatehouse, start, first_month_end)

    check_against_ledger(report, ledger_rows(market, start, first_month_end))
    assert report.finding(FindingKey.BASIS).figure("allowed") == 5
    assert report.finding(FindingKey.REQUESTS).status is Status.QUIET
    assert report.finding(FindingKey.SUSPENSION).figure("suspensions") == 0


def test_the_api_answers_the_report_and_refuses_a_bad_window(market: Market) -> None:
    first = market.now().date()
    play(market)
    last = market.now().date()

    response = market.api.get("/v1/audit", params={"from": str(first), "to": str(last)})

    assert response.status_code == 200, response.text
    body = response.json()
    report = build_audit(market.fresh.gatehouse, *day_window(first, last))
    assert body["entries"] == report.entries
    assert [f["figures"] for f in body["findings"]] == [
        {fig.key: fig.value for fig in f.figures} for f in report.findings
    ]
    assert body["findings"][0]["article"] == "「개인정보 보호법」 제28조의8제1항"
    for params, code in (
        ({"from": str(last), "to": str(first)}, "invalid_window"),
        ({"from": "2026-13-01", "to": str(last)}, None),
        ({"from": str(first)}, None),
        ({"from": str(date(2000, 1, 1)), "to": str(last)}, "invalid_window"),
    ):
        refused = market.api.get("/v1/audit", params=params)
        assert refused.status_code == 422, refused.text
        assert "error" in refused.json()
        if code:
            assert refused.json()["error"]["code"] == code
    window = {"from": str(first), "to": str(last)}
    html = market.api.get("/v1/audit", params={**window, "format": "html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "준수 감사 보고서" in html.text and "「개인정보 보호법」 제28조의8제1항" in html.text
    assert html.headers["cache-control"] == "no-store"
    pdf = market.api.get("/v1/audit", params={**window, "format": "pdf", "locale": "en"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and "attachment" in pdf.headers["content-disposition"]
    for wrong in ({"format": "xml"}, {"locale": "fr"}, {"exceptions": -1}, {"exceptions": "a"}):
        assert market.api.get("/v1/audit", params={**window, **wrong}).status_code == 422
    assert market.api.get("/v1/audit", params={**window, "exceptions": 10_001}).status_code == 422
    # A page of each listing: the earliest exceptions, every one still counted.
    page = market.api.get("/v1/audit", params={**window, "exceptions": 1}).json()["findings"]
    assert [f["exceptions"] for f in page] == [f["exceptions"][:1] for f in body["findings"]]
    assert [f["exception_count"] for f in page] == [f["exception_count"] for f in body["findings"]]
    assert any(len(f["exceptions"]) > 1 for f in body["findings"])
    anonymous = httpx.get(f"{market.base_url}/v1/audit", params={"from": "2026-01-01"})
    assert anonymous.status_code == 401


def test_a_transfer_the_gateway_should_never_have_allowed_is_a_breach(market: Market) -> None:
    """An entry as a faulty gateway would write it: a seller, on an entrustment basis."""
    start = market.now()
    gh = market.fresh.gatehouse
    seller = market.sellers["us"]
    with gh.unit_of_work() as uow:
        uow.ledger.append(
            kind="transfer.allowed",
            at=market.now(),
            subject_id=None,
            recipient_id=seller.id,
            payload={
                "transfer_id": "trf_forged",
                "country": "US",
                "flow": "storage",
                "basis": "CONTRACT_ENTRUST_STORE",
                "notice_hash": None,
            },
        )
    market.fresh.clock.advance(hours=1)

    basis = build_audit(gh, start, market.now()).finding(FindingKey.BASIS)

    assert basis.figure("basis_not_permitted") == 1 and basis.status is Status.EXCEPTIONS
    (forged,) = basis.exceptions
    assert forged.category is Category.BASIS_NOT_PERMITTED
    assert forged.detail["transfer_id"] == "trf_forged" and forged.entry is not None


def test_a_ledger_that_does_not_verify_says_so_and_is_still_counted(market: Market) -> None:
    start = market.now()
    play(market)
    end = market.now()
    gh = market.fresh.gatehouse
    with gh.engine.begin() as connection:
        first = connection.execute(
            select(ledger_entries.c.shard, ledger_entries.c.seq, ledger_entries.c.payload)
            .where(ledger_entries.c.kind == "transfer.allowed")
            .order_by(ledger_entries.c.shard, ledger_entries.c.seq)
            .limit(1)
        ).one()
        connection.execute(
            update(ledger_entries)
            .where(ledger_entries.c.shard == first.shard, ledger_entries.c.seq == first.seq)
            .values(payload={**first.payload, "country": "KP"})
        )

    report = build_audit(gh, start, end)

    assert not report.integrity.ok
    assert report.integrity.first_bad is not None
    assert report.integrity.first_bad.startswith(f"{first.shard}:{first.seq} ")
    # The figures still come from every entry of the window, as they now stand.
    check_against_ledger(report, ledger_rows(market, start, end))
    assert "KP" in {p.label for p in report.by_country}
    assert all(s.proof is None for f in report.findings for s in f.samples)


def test_checkpoints_signed_by_a_key_stored_before_derivation_still_verify(
    fresh: Fresh,
) -> None:
    """A database from before the signing key was derived holds checkpoints signed by a key
    of its own, stored wrapped; the audit's verification, in its own process, trusts it."""
    gh = fresh.gatehouse
    legacy = CheckpointSigner.generate()
    heads = [ShardHead.empty(shard) for shard in range(LEDGER_SHARDS)]
    signed = legacy.sign(1, fresh.clock(), heads)
    v1 = dataclasses.replace(signed, format=CHECKPOINT_FORMAT_V1, public_key=None, previous=None)
    raw = Ed25519PrivateKey.from_private_bytes(legacy.private_bytes())
    v1 = dataclasses.replace(v1, signature=base64.b64encode(raw.sign(v1.body_bytes())).decode())
    with gh.unit_of_work() as uow:
        name = LEGACY_SIGNING_SECRET
        uow.vault_secrets.add(name, wrap_key(legacy.private_bytes(), name, gh.keyring), v1.at)
        uow.ledger.shard_count(LEDGER_SHARDS, create=True)
        uow.ledger.add_checkpoint(v1)
    start = fresh.clock()
    with operator_api(gh) as (server, api):
        seller = new_seller(api, server.url, "CN", publish_terms(api))
        consent(api, new_subject(api), seller)
        seller.client.close()

    report = build_audit(gh, start - timedelta(days=1), fresh.clock() + timedelta(days=1))

    assert report.integrity.ok, report.integrity
    assert report.integrity.entries > 0
    assert report.integrity.checkpoint_sequence == 1  # the legacy key's, still trusted


def test_the_report_verifies_its_window_and_says_so(market: Market) -> None:
    """The audit verifies the window's entries and proves them in the signed checkpoint; an
    entry edited outside the window is ``gatehouse ledger verify``'s to find (or the audit's
    ``full`` check), not the window's."""
    play(market)
    gh = market.fresh.gatehouse
    with gh.engine.begin() as connection:
        edited = connection.execute(
            select(ledger_entries.c.shard, ledger_entries.c.seq, ledger_entries.c.payload)
            .where(ledger_entries.c.kind == "transfer.allowed")
            .order_by(ledger_entries.c.at)
            .limit(1)
        ).one()
        connection.execute(
            update(ledger_entries)
            .where(ledger_entries.c.shard == edited.shard, ledger_entries.c.seq == edited.seq)
            .values(payload={**edited.payload, "country": "KP"})
        )
    market.fresh.clock.advance(days=1)
    start = market.now()
    subject = new_subject(market.api)
    consent(market.api, subject, market.sellers["us"])
    allowed_transfer(market.api, subject, market.sellers["us"])
    end = market.now() + timedelta(hours=1)

    report = build_audit(gh, start, end)

    checked = report.integrity
    assert checked.ok and checked.scope == "window", checked
    # Every entry of the window is newer than the checkpoint: read, chained, not yet proven.
    assert checked.uncovered == report.entries > 0 and checked.shards_proven == 0
    with gh.engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(ledger_entries)).scalar_one()
    assert report.entries <= checked.entries < total
    assert report.to_dict()["integrity"]["scope"] == "window"

    make_checkpoint(gh)
    signed = build_audit(gh, start, end).integrity
    assert signed.ok and signed.uncovered == 0 and signed.shards_proven >= 1

    full = build_audit(gh, start, end, full=True).integrity
    assert not full.ok and full.scope == "ledger" and full.entries == total
    assert full.first_bad is not None
    assert full.first_bad.startswith(f"{edited.shard}:{edited.seq} ")


def test_the_registry_is_read_a_batch_of_entries_at_a_time(market: Market) -> None:
    start = market.now()
    play(market)
    gh = market.fresh.gatehouse
    reads: list[str] = []

    def count(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        sql = " ".join(sql.split())
        if " FROM notices" in sql or " FROM recipients" in sql:
            reads.append(sql)

    engines = [e for e in (gh.engine, gh.replica_engine) if e is not None]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        report = build_audit(gh, start, market.now())
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)

    notice = report.finding(FindingKey.NOTICE)
    assert notice.figure("with_notice") == 6 and notice.figure("unresolved") == 0
    # Six transfers citing their notices, to several recipients: one query for each table,
    # not one per notice or per recipient.
    assert sum(" FROM notices" in sql for sql in reads) == 1
    assert sum(" FROM recipients" in sql for sql in reads) == 1
