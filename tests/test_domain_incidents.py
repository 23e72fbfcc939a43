"""The incident domain without a database: blast radius, report rule, the clock, the notice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.domain.breach_notice import NoticeFacts, render_notice
from gatehouse.domain.errors import Conflict, InvalidInput
from gatehouse.domain.incidents import (
    ClockStatus,
    Incident,
    IncidentScope,
    ReportRule,
    Step,
    ViewWindow,
    blast_radius,
    check_discovery,
    check_scope,
    check_step,
    notify_by,
    report_reasons,
)
from gatehouse.domain.policy.breach import NOTICE_ITEMS, BreachRules
from gatehouse.domain.policy.pack import RulePack
from gatehouse.rules import load_packs

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
FIELDS = ("name", "phone", "address", "delivery_note")


def _pack() -> tuple[RulePack, BreachRules]:
    pack = load_packs().by_id("KR-PIPA")
    assert pack.breach is not None
    return pack, pack.breach


def _window(subject: str, recipient: str = "rcp_a", **kw: object) -> ViewWindow:
    values: dict[str, object] = {
        "subject_id": subject,
        "recipient_id": recipient,
        "country": "CN",
        "fields": FIELDS,
        "opened_at": T0,
        "expires_at": T0 + timedelta(days=90),
        "closed_at": None,
    }
    values.update(kw)
    return ViewWindow(**values)  # type: ignore[arg-type]


def _rule() -> ReportRule:
    pack, rules = _pack()
    return ReportRule(
        threshold=pack.deadlines.breach_report_threshold,
        unique_identifier_fields=frozenset(rules.unique_identifier_fields),
        sensitive_fields=frozenset(rules.sensitive_fields),
        external_access_kinds=frozenset(rules.external_access_kinds),
    )


def _incident(**kw: object) -> Incident:
    values: dict[str, object] = {
        "id": "inc_1",
        "kind": "recipient_breach",
        "description": "A seller's order export was exposed.",
        "scope": IncidentScope(recipient_id="rcp_a", window_to=T0),
        "discovered_at": T0,
        "notify_by": T0 + timedelta(hours=72),
        "affected_subjects": 3,
        "fields": ("name",),
        "recipients": ("rcp_a",),
        "report_required": False,
        "report_reasons": (),
        "created_at": T0,
        "self_protection": "Beware of calls claiming to be about your order.",
        "countermeasures": "We suspended the seller and had its copy deleted.",
    }
    values.update(kw)
    return Incident(**values)  # type: ignore[arg-type]


# -- blast radius --------------------------------------------------------------------------


def test_blast_radius_counts_distinct_subjects_open_at_the_recipient_in_the_window() -> None:
    windows = [
        _window("s1"),
        _window("s1"),  # a second order of the same subject counts once
        _window("s2", opened_at=T0 + timedelta(days=5)),
        _window("s3", closed_at=T0 + timedelta(days=1)),  # closed before the window
        _window("s4", recipient="rcp_b"),  # another recipient
        _window("s5", opened_at=T0 + timedelta(days=20)),  # opened after the window
    ]
    scope = IncidentScope(
        recipient_id="rcp_a", window_from=T0 + timedelta(days=2), window_to=T0 + timedelta(days=10)
    )
    radius = blast_radius(windows, scope, _pack()[0].pii_fields)
    assert radius.subjects == {"s1", "s2"}
    assert radius.count == 2
    assert radius.recipients == ("rcp_a",)
    assert radius.fields == ("name", "phone", "address", "delivery_note")


def test_a_view_expired_before_the_window_is_outside_it() -> None:
    windows = [_window("s1", expires_at=T0 + timedelta(days=1))]
    scope = IncidentScope(window_from=T0 + timedelta(days=1), window_to=T0 + timedelta(days=2))
    assert blast_radius(windows, scope).count == 0


def test_fields_in_the_scope_narrow_both_the_views_and_the_leaked_fields() -> None:
    windows = [_window("s1"), _window("s2", fields=("name", "address"))]
    radius = blast_radius(windows, IncidentScope(fields=("phone",)))
    assert radius.subjects == {"s1"} and radius.fields == ("phone",)


def test_country_and_subjects_narrow_the_scope() -> None:
    windows = [_window("s1"), _window("s2", country="US"), _window("s3")]
    assert blast_radius(windows, IncidentScope(country="US")).subjects == {"s2"}
    assert blast_radius(windows, IncidentScope(subject_ids=("s3", "s9"))).subjects == {"s3"}


# -- the report rule -----------------------------------------------------------------------


def test_the_report_is_required_from_1000_subjects_not_at_999() -> None:
    rule = _rule()
    assert rule.threshold == 1000
    assert report_reasons(rule, 999, ["name"], "recipient_breach") == []
    assert report_reasons(rule, 1000, ["name"], "recipient_breach") == ["subject_threshold"]


def test_external_access_makes_a_report_due_whatever_the_count() -> None:
    assert report_reasons(_rule(), 1, ["name"], "hacking") == ["external_access"]
    assert report_reasons(_rule(), 1, ["name"], "misdelivery") == []


def test_unique_identifiers_or_sensitive_data_make_a_report_due() -> None:
    rule = ReportRule(1000, frozenset({"rrn"}), frozenset({"health"}))
    assert report_reasons(rule, 1, ["rrn"], "other") == ["unique_identifiers"]
    assert report_reasons(rule, 1, ["health"], "other") == ["sensitive_data"]


def test_the_customs_code_is_not_listed_as_a_unique_identifier() -> None:
    # 고유식별정보 are the numbers of 시행령 제19조; the customs clearance code is not one.
    _, rules = _pack()
    assert "customs_code" not in rules.unique_identifier_fields
    assert set(rules.external_access_kinds) <= set(rules.kinds)


# -- the clock ----------------------------------------------------------------------------


def test_notify_by_is_discovery_plus_the_packs_72_hours() -> None:
    hours = _pack()[0].deadlines.breach_notify_hours
    assert hours == 72
    assert notify_by(T0, hours) == T0 + timedelta(hours=72)


def test_the_clock_is_due_then_overdue_then_done() -> None:
    incident = _incident()
    assert incident.status(T0 + timedelta(hours=71)) is ClockStatus.DUE
    assert incident.status(T0 + timedelta(hours=72)) is ClockStatus.DUE
    assert incident.status(T0 + timedelta(hours=73)) is ClockStatus.OVERDUE
    notified = replace(incident, steps={Step.SUBJECTS_NOTIFIED: T0 + timedelta(hours=80)})
    assert notified.status(T0 + timedelta(hours=90)) is ClockStatus.DONE


def test_a_required_report_keeps_the_clock_open_until_it_is_made() -> None:
    incident = _incident(report_required=True, report_reasons=("external_access",))
    notified = replace(incident, steps={Step.SUBJECTS_NOTIFIED: T0})
    assert notified.status(T0) is ClockStatus.DUE
    both = replace(notified, steps={**notified.steps, Step.REGULATOR_REPORTED: T0})
    assert both.status(T0 + timedelta(days=9)) is ClockStatus.DONE


def test_steps_out_of_order_or_out_of_time_are_refused() -> None:
    incident = _incident()
    now = T0 + timedelta(hours=1)
    with pytest.raises(InvalidInput) as future:
        check_step(incident, Step.SUBJECTS_NOTIFIED, now + timedelta(minutes=1), now)
    assert future.value.code == "step_in_future"
    with pytest.raises(InvalidInput) as early:
        check_step(incident, Step.SUBJECTS_NOTIFIED, T0 - timedelta(minutes=1), now)
    assert early.value.code == "step_before_discovery"
    with pytest.raises(Conflict) as closing:
        check_step(incident, Step.CLOSED, now, now)
    assert closing.value.code == "not_done"
    with pytest.raises(Conflict) as bare:
        check_step(replace(incident, countermeasures=None), Step.SUBJECTS_NOTIFIED, now, now)
    assert bare.value.code == "notice_incomplete"
    assert bare.value.details == {"item": "countermeasures"}
    done = replace(incident, steps={Step.SUBJECTS_NOTIFIED: now})
    with pytest.raises(Conflict) as again:
        check_step(done, Step.SUBJECTS_NOTIFIED, now, now)
    assert again.value.code == "step_already_recorded"
    check_step(done, Step.CLOSED, now, now)


def test_a_malformed_scope_or_a_future_discovery_is_refused() -> None:
    fields = _pack()[0].pii_fields
    cases = [
        (IncidentScope(), "scope_empty"),
        (IncidentScope(fields=("password",)), "unknown_field"),
        (IncidentScope(window_to=T0 + timedelta(hours=1)), "scope_window_after_discovery"),
        (IncidentScope(window_from=T0 + timedelta(seconds=1)), "scope_window_reversed"),
        (IncidentScope(window_to=datetime(2026, 1, 1)), "invalid_time"),
    ]
    for scope, code in cases:
        with pytest.raises(InvalidInput) as refused:
            check_scope(scope, T0, fields)
        assert refused.value.code == code
    assert check_scope(IncidentScope(recipient_id="r"), T0, fields).window_to == T0
    with pytest.raises(InvalidInput) as future:
        check_discovery(T0 + timedelta(seconds=1), T0)
    assert future.value.code == "discovered_in_future"


# -- the notice ----------------------------------------------------------------------------


def _facts(**kw: object) -> NoticeFacts:
    values: dict[str, object] = {
        "leaked_items": ("성명", "주소"),
        "period": "2026-11-01 09:00 KST ~ 2026-11-03 09:00 KST",
        "discovered": "2026-11-03 10:00 KST",
        "description": "판매자의 주문 내보내기 파일이 외부에 노출되었습니다.",
        "self_protection": "주문을 사칭한 전화·문자에 주의하십시오.",
        "countermeasures": "해당 판매자의 접근을 중지하고 사본 삭제를 확인하였습니다.",
        "officer": {
            "name": "김보호",
            "department": "개인정보보호팀",
            "phone": "02-1234-5678",
            "email": "privacy@market.example.kr",
        },
    }
    values.update(kw)
    return NoticeFacts(**values)  # type: ignore[arg-type]


def test_the_notice_has_all_five_items_of_article_34_1_in_korean() -> None:
    _, rules = _pack()
    notice = render_notice(rules, _facts(), "ko", "ko")
    assert notice.article == "「개인정보 보호법」 제34조제1항"
    by_key = {key: (heading, text) for key, heading, text in notice.items}
    assert tuple(by_key) == NOTICE_ITEMS
    assert "유출등이 된 개인정보의 항목" in by_key["leaked_items"][0]
    assert by_key["leaked_items"][1] == "성명, 주소"
    assert "시점과 그 경위" in by_key["when_and_how"][0]
    assert "2026-11-03 10:00 KST" in by_key["when_and_how"][1]
    assert "주문 내보내기" in by_key["when_and_how"][1]
    assert "정보주체가 할 수 있는 방법" in by_key["self_protection"][0]
    assert "사칭" in by_key["self_protection"][1]
    assert "대응조치 및 피해 구제절차" in by_key["countermeasures"][0]
    assert "사본 삭제" in by_key["countermeasures"][1]
    assert "담당부서 및 연락처" in by_key["contact"][0]
    assert "02-1234-5678" in by_key["contact"][1] and "개인정보보호팀" in by_key["contact"][1]
    for heading, text in by_key.values():
        assert heading in notice.text and text in notice.text


def test_the_notice_renders_in_english_too() -> None:
    notice = render_notice(_pack()[1], _facts(), "en", "ko")
    assert notice.title == "Notice of a personal data breach"
    assert [key for key, _, _ in notice.items] == list(NOTICE_ITEMS)


@pytest.mark.parametrize(
    ("item", "change"),
    [
        ("leaked_items", {"leaked_items": ()}),
        ("when_and_how", {"description": "  "}),
        ("self_protection", {"self_protection": None}),
        ("countermeasures", {"countermeasures": ""}),
        ("contact", {"officer": None}),
    ],
)
def test_rendering_fails_naming_the_empty_item(item: str, change: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as refused:
        render_notice(_pack()[1], _facts(**change), "ko", "ko")
    assert refused.value.code == "notice_item_missing"
    assert refused.value.details["item"] == item
    assert item in refused.value.message
