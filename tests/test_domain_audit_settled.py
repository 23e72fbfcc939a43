"""The settled audit, with no database: a window settled, kept as JSON and read back gives the
very findings and series the window gave, whatever its listing limit; a kept state that does
not parse is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatehouse.domain.audit import FindingKey
from gatehouse.domain.audit_settled import SettledAudit
from tests.support.audit_quarter import END, START, at, busy_quarter, fold_of, spans_until


def _kept(settled: SettledAudit) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(json.dumps(settled.to_state()))
    return state


def _report(settled: SettledAudit, versions: int) -> list[Any]:
    findings = [f.to_dict() for f in settled.findings(policy_versions=versions)]
    return [settled.entries, findings, settled.by_month(), settled.by_country()]


@pytest.mark.parametrize("rules", [{}, {"listing_limit": 5, "samples": 2}, {"listing_limit": 0}])
def test_a_settled_window_read_back_gives_the_same_findings(rules: dict[str, Any]) -> None:
    entries = busy_quarter().entries
    whole = fold_of(entries, START, END, spans_until(entries, END), **rules).settle()
    read = SettledAudit.from_state(_kept(whole))

    # The policy versions are the registry's, given at report time, not kept.
    assert _report(read, 3) == _report(whole, 3)
    assert _report(read, 1) == _report(whole, 1)
    assert read.findings(policy_versions=7)[-1].figure("versions") == 7
    findings = {f.key: f for f in whole.findings(policy_versions=1)}
    # The quarter settles duties across days: its exceptions are there to be kept.
    assert findings[FindingKey.ERASURE].exception_count > 0
    assert findings[FindingKey.REQUESTS].exception_count > 0
    assert read.start == START and read.end == END and read.rules == whole.rules


def test_a_page_of_each_listing_is_its_earliest_exceptions_and_every_one_is_counted() -> None:
    entries = busy_quarter().entries
    whole = fold_of(entries, START, END, spans_until(entries, END)).settle()
    everything = whole.findings(policy_versions=1)
    page = SettledAudit.from_state(_kept(whole), listed=2).findings(policy_versions=1)
    cut = whole.findings(policy_versions=1, listed=2)

    assert any(len(f.exceptions) > 2 for f in everything)
    for found in (page, cut):
        assert [f.exceptions for f in found] == [f.exceptions[:2] for f in everything]
        assert [f.exception_count for f in found] == [f.exception_count for f in everything]
        assert [f.figures for f in found] == [f.figures for f in everything]


def test_settling_twice_does_not_pair_the_duties_twice() -> None:
    entries = busy_quarter().entries
    fold = fold_of(entries, START, END, spans_until(entries, END))
    first = [f.to_dict() for f in fold.findings(policy_versions=1)]

    assert fold.settle() is fold.settle()
    assert [f.to_dict() for f in fold.findings(policy_versions=1)] == first
    with pytest.raises(ValueError):
        fold.to_state()  # a settled fold can no longer be merged elsewhere


@pytest.mark.parametrize(
    "damage",
    [
        lambda state: state.update(format=2),
        lambda state: state.pop("listings"),
        lambda state: state["listings"].pop("erasure"),
        lambda state: state.update(entries=-1),
        lambda state: state["rules"].update(unknown=1),
        lambda state: state.update(end="tomorrow"),
        lambda state: state["months"].update({"2026-07": [1]}),
        lambda state: state["countries"].update({"US": [1, "2"]}),
        lambda state: state["listings"]["basis"]["exceptions"][0].update(at=None),
        # More exceptions than the rules list: not something settling could have kept.
        lambda state: state["listings"]["basis"]["exceptions"].extend(
            state["listings"]["basis"]["exceptions"][:1] * 6
        ),
    ],
)
def test_a_kept_state_that_does_not_parse_is_refused(damage: Any) -> None:
    entries = busy_quarter().entries
    settled = fold_of(entries, START, at(30), spans_until(entries, at(30)), listing_limit=5)
    state = _kept(settled.settle())
    assert len(state["listings"]["basis"]["exceptions"]) == 5
    damage(state)

    with pytest.raises(ValueError):
        SettledAudit.from_state(state)
