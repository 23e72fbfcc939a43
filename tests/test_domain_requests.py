"""Rights requests in pure code: the statutory clock and the rules of an answer. No database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.domain.errors import Conflict, InvalidInput
from gatehouse.domain.requests import (
    MAX_MESSAGE_CHARS,
    DeadlineState,
    Outcome,
    RequestStatus,
    RequestType,
    Resolution,
    RightsRequest,
    deadline_for,
    deadline_state,
    parse_outcome,
    parse_type,
    resolve,
    validate_message,
)
from gatehouse.rules import load_packs

CREATED = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
PACK = load_packs().by_id("KR-PIPA")
DAYS = PACK.deadlines.rights_request_days
ALERT = PACK.deadlines.rights_request_alert_day


def _request() -> RightsRequest:
    deadline = deadline_for(CREATED, days=DAYS, alert_day=ALERT)
    return RightsRequest("req_1", "sub_1", RequestType.ACCESS, None, deadline)


def _answer(
    request: RightsRequest,
    outcome: Outcome,
    *,
    message: str | None = None,
    reason: str | None = None,
    route: str | None = None,
    on_day: int = 0,
) -> Resolution:
    return resolve(
        request,
        outcome=outcome,
        message=message,
        refusal_reason=reason,
        appeal_route=route,
        at=CREATED + timedelta(days=on_day),
    )


def _completed(message: str | None = None) -> RightsRequest:
    request = _request()
    answer = _answer(request, Outcome.COMPLETED, message=message, on_day=2)
    return RightsRequest("req_1", "sub_1", RequestType.ACCESS, None, request.deadline, answer)


def test_the_pack_gives_ten_days_and_an_alert_on_day_seven() -> None:
    assert (DAYS, ALERT) == (10, 7)
    deadline = deadline_for(CREATED, days=DAYS, alert_day=ALERT)
    assert deadline.due_at == CREATED + timedelta(days=10)
    assert deadline.alert_at == CREATED + timedelta(days=7)


@pytest.mark.parametrize(
    ("after", "state"),
    [
        (timedelta(0), DeadlineState.ON_TIME),
        (timedelta(days=7) - timedelta(microseconds=1), DeadlineState.ON_TIME),
        (timedelta(days=7), DeadlineState.DUE_SOON),
        (timedelta(days=9, hours=23), DeadlineState.DUE_SOON),
        (timedelta(days=10), DeadlineState.DUE_SOON),  # due at day 10: not yet late
        (timedelta(days=10, microseconds=1), DeadlineState.OVERDUE),
        (timedelta(days=40), DeadlineState.OVERDUE),
    ],
)
def test_deadline_state_moves_from_on_time_to_due_soon_to_overdue(
    after: timedelta, state: DeadlineState
) -> None:
    deadline = deadline_for(CREATED, days=DAYS, alert_day=ALERT)
    assert deadline.state(CREATED + after) is state
    assert deadline_state(deadline, CREATED + after) is state


@pytest.mark.parametrize(("days", "alert"), [(10, 10), (10, 0), (0, 0), (10, 11)])
def test_an_alert_must_fall_inside_the_period(days: int, alert: int) -> None:
    with pytest.raises(ValueError):
        deadline_for(CREATED, days=days, alert_day=alert)


def test_types_and_outcomes_are_closed_lists() -> None:
    assert {t.value for t in RequestType} == {
        "access",
        "correction",
        "deletion",
        "suspension",
        "complaint",
    }
    assert parse_type("complaint") is RequestType.COMPLAINT
    assert parse_outcome("partially_completed") is Outcome.PARTIALLY_COMPLETED
    with pytest.raises(InvalidInput) as bad_type:
        parse_type("erasure")
    assert bad_type.value.code == "invalid_request_type"
    with pytest.raises(InvalidInput) as bad_outcome:
        parse_outcome("ignored")
    assert bad_outcome.value.code == "invalid_outcome"


def test_messages_are_required_and_bounded() -> None:
    assert validate_message("  열람을 요청합니다.  ") == "열람을 요청합니다."
    assert validate_message("가" * MAX_MESSAGE_CHARS) == "가" * MAX_MESSAGE_CHARS
    for bad, code in (("   ", "message_required"), ("가" * 4001, "message_too_long")):
        with pytest.raises(InvalidInput) as error:
            validate_message(bad)
        assert error.value.code == code


def test_a_pending_request_has_no_outcome_and_is_judged_now() -> None:
    request = _request()
    assert request.status is RequestStatus.PENDING and request.resolution is None
    assert request.deadline_state(CREATED + timedelta(days=11)) is DeadlineState.OVERDUE


def test_a_resolved_request_keeps_the_state_it_was_answered_in() -> None:
    request = _completed("보내드렸습니다.")
    assert request.status is RequestStatus.RESOLVED
    assert request.resolution is not None and request.resolution.message == "보내드렸습니다."
    # Answered on day 2: on time for good, however late one looks at it.
    assert request.deadline_state(CREATED + timedelta(days=30)) is DeadlineState.ON_TIME


@pytest.mark.parametrize("outcome", [Outcome.REFUSED, Outcome.PARTIALLY_COMPLETED])
@pytest.mark.parametrize(
    ("reason", "route", "missing"),
    [
        (None, None, ["refusal_reason", "appeal_route"]),
        ("전자상거래법 제6조에 따른 보존 의무", None, ["appeal_route"]),
        (None, "7일 이내 이의 신청", ["refusal_reason"]),
        ("   ", "7일 이내 이의 신청", ["refusal_reason"]),
    ],
)
def test_a_refusal_needs_its_reasons_and_the_appeal_route(
    outcome: Outcome, reason: str | None, route: str | None, missing: list[str]
) -> None:
    with pytest.raises(InvalidInput) as error:
        _answer(_request(), outcome, reason=reason, route=route)
    assert error.value.code == "refusal_incomplete"
    assert error.value.details == {"missing": missing}


def test_a_complete_refusal_is_accepted_and_a_completion_needs_no_reason() -> None:
    refused = _answer(
        _request(),
        Outcome.REFUSED,
        message=" ",
        reason=" 사유 ",
        route="privacy@example.kr 로 이의 신청",
    )
    assert refused.outcome.refuses and refused.refusal_reason == "사유"
    assert refused.message is None
    done = _answer(_request(), Outcome.COMPLETED)
    assert not done.outcome.refuses


def test_a_request_is_answered_once() -> None:
    with pytest.raises(Conflict) as error:
        _answer(_completed(), Outcome.COMPLETED, on_day=3)
    assert error.value.code == "request_resolved"


def test_long_answers_are_refused() -> None:
    with pytest.raises(InvalidInput):
        _answer(_request(), Outcome.COMPLETED, message="가" * 4001)
    with pytest.raises(InvalidInput):
        _answer(_request(), Outcome.REFUSED, reason="가" * 2001, route="route")
