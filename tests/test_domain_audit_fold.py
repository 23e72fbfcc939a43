"""The audit's fold over hand-made ledger entries, with no database: what each kind counts,
what it flags, that the order of the entries does not matter, and that the folds of a
window's days merge into the fold of the window."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

import pytest

from gatehouse.domain.audit import Category, FindingKey, Status
from gatehouse.domain.audit_fold import AuditFold, BasisRules
from gatehouse.domain.audit_listing import AuditRules
from gatehouse.domain.suspension_spans import SuspensionSpans
from tests.support.audit_quarter import (
    END,
    KNOWN_NOTICE,
    START,
    Entry,
    Ledger,
    at,
    busy_quarter,
    fold_of,
    spans_until,
)


def fold(
    entries: list[Entry],
    spans: SuspensionSpans | None = None,
    bases: BasisRules | None = None,
    **rules: Any,
) -> AuditFold:
    result = AuditFold(
        START,
        END,
        spans or SuspensionSpans(),
        lambda h: h == KNOWN_NOTICE,
        AuditRules(**rules),
        bases=bases,
        kind_of={"rcp_us": "seller", "rcp_wh": "storage"}.get,
    )
    for entry in entries:
        result.add(entry)
    return result


def test_transfers_count_by_basis_month_and_country_and_flag_what_lacks_a_basis() -> None:
    ledger = Ledger()
    ledger.transfer(at(1), "SEPARATE_CONSENT")
    ledger.transfer(at(40), "CONTRACT_ENTRUST_STORE", country="SG")
    ledger.transfer(at(41), None)
    ledger.add(
        "transfer.refused",
        at(42),
        "rcp_cn",
        transfer_id="trf_x",
        country="CN",
        refusal="no_lawful_basis",
        basis=None,
    )

    result = fold(ledger.entries)
    basis = result.findings(policy_versions=0)[0]

    assert basis.key is FindingKey.BASIS
    assert {f.key: f.value for f in basis.figures} == {
        "allowed": 3,
        "refused": 1,
        "without_basis": 1,
        "basis_not_permitted": 0,
        "basis.CONTRACT_ENTRUST_STORE": 1,
        "basis.SEPARATE_CONSENT": 1,
        "refused.no_lawful_basis": 1,
    }
    assert basis.status is Status.EXCEPTIONS and basis.breaches == 1 and basis.exception_count == 2
    assert {e.category for e in basis.exceptions} == {
        Category.TRANSFER_WITHOUT_BASIS,
        Category.TRANSFER_REFUSED,
    }
    assert [(p.label, p.allowed, p.refused) for p in result.by_month()] == [
        ("2026-07", 1, 0),
        ("2026-08", 2, 1),
    ]
    assert [(p.label, p.allowed, p.refused) for p in result.by_country()] == [
        ("US", 2, 0),
        ("CN", 0, 1),
        ("SG", 1, 0),
    ]


def test_a_consent_transfer_must_cite_a_stored_notice() -> None:
    ledger = Ledger()
    ledger.transfer(at(1), "SEPARATE_CONSENT")
    ledger.transfer(at(2), "SEPARATE_CONSENT", notice_hash="b" * 64)
    ledger.transfer(at(3), "SEPARATE_CONSENT", notice_hash=None)

    notice = fold(ledger.entries).findings(policy_versions=0)[1]

    assert notice.figure("with_notice") == 1 and notice.figure("unresolved") == 2
    assert notice.figure("notices") == 1
    assert [e.detail["notice_hash"] for e in notice.exceptions] == ["b" * 64, ""]
    assert all(e.category is Category.NOTICE_UNRESOLVED for e in notice.exceptions)


def test_a_transfer_inside_a_suspension_that_began_before_the_window_is_a_breach() -> None:
    spans = SuspensionSpans()
    spans.add(("country", "US"), True, START - timedelta(days=3))
    spans.add(("country", "US"), False, at(5))
    ledger = Ledger()
    ledger.transfer(at(4), "SEPARATE_CONSENT")
    ledger.transfer(at(5), "SEPARATE_CONSENT")  # the instant of resumption is outside

    suspension = fold(ledger.entries, spans).findings(policy_versions=0)[2]

    assert suspension.figure("breaches") == 1 and suspension.figure("transfers_checked") == 2
    (breach,) = suspension.exceptions
    assert breach.detail["suspended"] == "country:US" and breach.at == at(4)


def test_duties_are_judged_as_of_the_windows_end() -> None:
    ledger = Ledger()
    due = at(11).isoformat()
    ledger.add("request.created", at(1), request_id="req_open_overdue", type="access", due_at=due)
    ledger.add(
        "request.created", at(85), request_id="req_open", type="access", due_at=at(95).isoformat()
    )
    ledger.add("subject.deleted", at(2), deletion_id="del_1", erasure_ids=["era_1", "era_2"])
    ledger.add("subject.deleted", at(88), deletion_id="del_2", erasure_ids=["era_3"])
    ledger.add("erasure.acknowledged", at(20), "rcp_us", erasure_id="era_1", late=True)
    ledger.add(
        "incident.opened",
        at(3),
        incident_id="inc_1",
        kind="hacking",
        notify_by=at(6).isoformat(),
        report_required=True,
    )
    ledger.add(
        "incident.opened",
        at(91.5),
        incident_id="inc_2",
        kind="misdelivery",
        notify_by=at(94.5).isoformat(),
        report_required=False,
    )
    ledger.add("policy.published", at(4), version=2, content_hash="c" * 64)

    findings = {f.key: f for f in fold(ledger.entries).findings(policy_versions=2)}

    requests = findings[FindingKey.REQUESTS]
    assert (requests.figure("open_overdue"), requests.figure("open_in_time")) == (1, 1)
    assert [e.detail["request_id"] for e in requests.exceptions] == ["req_open_overdue"]
    erasure = findings[FindingKey.ERASURE]
    assert erasure.figure("acknowledged_late") == 1
    # era_2 is past its 10 days; era_3 is not due yet at the end of the window.
    assert erasure.figure("unacknowledged") == 1
    assert {e.detail.get("erasure_id") for e in erasure.exceptions} == {"era_1", "era_2"}
    incidents = findings[FindingKey.INCIDENTS]
    assert incidents.figure("overdue") == 1 and incidents.figure("report_required") == 1
    assert [e.category for e in incidents.exceptions] == [Category.INCIDENT_OVERDUE]
    policy = findings[FindingKey.POLICY]
    assert (policy.figure("published"), policy.figure("versions")) == (1, 2)
    assert policy.samples[0].detail["version"] == "2" and policy.status is Status.OK


def test_the_order_of_the_entries_does_not_change_the_findings() -> None:
    ledger = Ledger()
    for day in range(60):
        ledger.transfer(at(day), "SEPARATE_CONSENT" if day % 3 else None)
        ledger.add(
            "request.created",
            at(day),
            request_id=f"req_{day}",
            type="access",
            due_at=at(day + 10).isoformat(),
        )
        if day % 2:
            ledger.add(
                "request.resolved",
                at(day + 12),
                request_id=f"req_{day}",
                type="access",
                due_at=at(day + 10).isoformat(),
            )
    shuffled = list(ledger.entries)
    random.Random(7).shuffle(shuffled)

    def summary(entries: list[Entry]) -> list[Any]:
        return [f.to_dict() for f in fold(entries).findings(policy_versions=0)]

    assert summary(shuffled) == summary(ledger.entries)


def test_the_listing_stops_at_its_limit_and_the_count_goes_on() -> None:
    ledger = Ledger()
    for day in range(7):
        ledger.transfer(at(day), None)

    basis = fold(ledger.entries, listing_limit=5, samples=2).findings(policy_versions=0)[0]

    assert basis.exception_count == 7 and len(basis.exceptions) == 5
    assert basis.to_dict()["exception_count"] == 7


def test_over_its_limit_the_listing_keeps_the_earliest_whatever_the_order() -> None:
    ledger = Ledger()
    for day in range(40):
        ledger.transfer(at(day), None)
    shuffled = list(ledger.entries)
    random.Random(11).shuffle(shuffled)

    for entries in (ledger.entries, shuffled, list(reversed(ledger.entries))):
        basis = fold(entries, listing_limit=5, samples=2).findings(policy_versions=0)[0]
        assert basis.exception_count == 40
        assert [e.at for e in basis.exceptions] == [at(day) for day in range(5)]


def test_an_empty_window_is_quiet() -> None:
    findings = fold([]).findings(policy_versions=0)
    assert [f.status for f in findings] == [Status.QUIET] * len(FindingKey)


def test_the_basis_is_checked_again_against_the_pack() -> None:
    bases: BasisRules = {
        "SEPARATE_CONSENT": (frozenset({"provision"}), frozenset({"seller", "storage"})),
        "CONTRACT_ENTRUST_STORE": (frozenset({"storage"}), frozenset({"storage"})),
    }
    ledger = Ledger()
    ledger.transfer(at(1), "SEPARATE_CONSENT", flow="provision")
    ledger.transfer(at(2), "CONTRACT_ENTRUST_STORE", flow="storage")  # a seller: never
    ledger.transfer(at(3), "SEPARATE_CONSENT", flow="storage")  # not this basis's flow
    ledger.transfer(at(4), "CLAIMED_BY_CALLER", flow="provision")  # not in the pack
    ledger.add("transfer.allowed", at(5), "rcp_wh", basis="CONTRACT_ENTRUST_STORE", flow="storage")

    basis = fold(ledger.entries, bases=bases).findings(policy_versions=0)[0]

    assert basis.figure("basis_not_permitted") == 3 and basis.breaches == 3
    assert [e.detail["basis"] for e in basis.exceptions] == [
        "CONTRACT_ENTRUST_STORE",
        "SEPARATE_CONSENT",
        "CLAIMED_BY_CALLER",
    ]
    assert all(e.category is Category.BASIS_NOT_PERMITTED for e in basis.exceptions)
    assert {s.at for s in basis.samples} == {at(1), at(5)}


def _report(result: AuditFold) -> list[Any]:
    findings = [f.to_dict() for f in result.findings(policy_versions=1)]
    return [result.entries, findings, result.by_month(), result.by_country()]


def test_the_folds_of_each_day_merge_into_the_fold_of_the_window() -> None:
    """A window folded day by day, each day once and the days merged in any order, reads the
    same as the window folded whole: the counts, the samples, the listed exceptions past their
    limit, and the duties a day opened and a later one closed, judged at the window's end."""
    entries = busy_quarter().entries
    for rules in ({}, {"listing_limit": 5, "samples": 2}):
        whole = fold_of(entries, START, END, spans_until(entries, END), **rules)
        days = []
        for day in range((END - START).days):
            first, last = at(day), at(day + 1)
            days.append(fold_of(entries, first, last, spans_until(entries, last), **rules))
        random.Random(5).shuffle(days)
        merged = fold_of([], START, END, spans_until(entries, END), **rules)
        kept = fold_of([], START, END, spans_until(entries, END), **rules)
        for part in days:
            # Each day also kept as JSON and read back, as a stored day's fold is.
            kept.merge_state(json.loads(json.dumps(part.to_state())))
            merged.merge(part)

        expected = _report(whole)
        assert _report(merged) == expected
        assert _report(kept) == expected
        findings = {f["key"]: f for f in expected[1]}
        # The quarter has something in every finding that crosses days.
        assert findings["requests"]["exception_count"] > 0
        assert findings["erasure"]["exception_count"] > 0
        assert findings["suspension"]["exception_count"] > 0


def test_a_fold_merges_only_an_unread_fold_of_a_window_inside_it() -> None:
    entries = busy_quarter().entries
    quarter = fold_of(entries, START, END, SuspensionSpans())
    later = fold_of(entries, END, END + timedelta(days=1), SuspensionSpans())
    other_rules = fold_of(entries, START, at(1), SuspensionSpans(), samples=1)
    read = fold_of(entries, START, at(1), SuspensionSpans())
    read.findings(policy_versions=0)

    for part in (later, other_rules, read):
        with pytest.raises(ValueError):
            quarter.merge(part)
    assert quarter.entries == len([e for e in entries if START <= e.at < END])


@pytest.mark.parametrize(
    "damage",
    [
        lambda state: state.pop("duties"),
        lambda state: state.update(format=2),
        lambda state: state.update(entries="many"),
        lambda state: state["rules"].update(samples=1),
        lambda state: state.update(start="yesterday"),
        lambda state: state["listings"]["basis"]["counts"].update(allowed=-1),
        lambda state: state["listings"]["basis"]["exceptions"][0].update(category="made_up"),
        lambda state: state["duties"]["requests"]["req_1"][1].update(seq="1"),
        lambda state: state["duties"].update(notified=["inc_1"]),
    ],
)
def test_a_kept_fold_that_does_not_parse_or_fit_is_refused_and_nothing_is_merged(
    damage: Any,
) -> None:
    entries = busy_quarter().entries
    day = fold_of(entries, at(1), at(2), SuspensionSpans())
    state = json.loads(json.dumps(day.to_state()))
    damage(state)
    quarter = fold_of([], START, END, SuspensionSpans())

    with pytest.raises(ValueError):
        quarter.merge_state(state)

    assert quarter.entries == 0
    assert _report(quarter) == _report(fold_of([], START, END, SuspensionSpans()))
