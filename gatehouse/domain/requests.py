"""Data-subject requests (Arts. 35-38): their kinds, statutory clock and resolution rules.

Pure: no I/O. The rule pack supplies the number of days (KR-PIPA: an answer within 10 days,
an internal alert from day 7); this module turns them into a due date and a deadline state,
and checks that a refusal carries what the law says it must (reasons and the objection route).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from gatehouse.domain.errors import Conflict, InvalidInput

__all__ = [
    "MAX_MESSAGE_CHARS",
    "MAX_REASON_CHARS",
    "RequestType",
    "RequestStatus",
    "DeadlineState",
    "Outcome",
    "Deadline",
    "Resolution",
    "RightsRequest",
    "deadline_for",
    "deadline_state",
    "parse_type",
    "parse_outcome",
    "validate_message",
    "resolve",
]

MAX_MESSAGE_CHARS = 4000
MAX_REASON_CHARS = 2000


class RequestType(StrEnum):
    """What the customer asks for: one right each (Arts. 35-37), or a complaint."""

    ACCESS = "access"
    CORRECTION = "correction"
    DELETION = "deletion"
    SUSPENSION = "suspension"
    COMPLAINT = "complaint"


class RequestStatus(StrEnum):
    """A request is pending until the operator answers it, once."""

    PENDING = "pending"
    RESOLVED = "resolved"


class DeadlineState(StrEnum):
    """Where a request stands against its statutory clock."""

    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


class Outcome(StrEnum):
    """How the operator answered."""

    COMPLETED = "completed"
    REFUSED = "refused"
    PARTIALLY_COMPLETED = "partially_completed"

    @property
    def refuses(self) -> bool:
        """True when some of the request is refused.

        A partial answer refuses the rest, and the decree asks the same of it as of a full
        refusal: the reasons and how to object (Enforcement Decree Arts. 42(2), 43(3)).
        """
        return self is not Outcome.COMPLETED


@dataclass(frozen=True)
class Deadline:
    """A request's clock: the internal alert and the statutory due moment."""

    created_at: datetime
    alert_at: datetime
    due_at: datetime

    def state(self, now: datetime) -> DeadlineState:
        """``due_soon`` from the alert day on, ``overdue`` only strictly after the due moment."""
        if now > self.due_at:
            return DeadlineState.OVERDUE
        if now >= self.alert_at:
            return DeadlineState.DUE_SOON
        return DeadlineState.ON_TIME


def deadline_for(created_at: datetime, *, days: int, alert_day: int) -> Deadline:
    """The clock of a request made at ``created_at`` under a pack's ``days`` and ``alert_day``.

    Days are counted as whole 24-hour periods from the moment of the request. That is never
    later than counting calendar days to midnight, so an answer on time here is on time there.
    """
    if days <= 0 or not 0 < alert_day < days:
        raise ValueError("need 0 < alert_day < days")
    return Deadline(
        created_at=created_at,
        alert_at=created_at + timedelta(days=alert_day),
        due_at=created_at + timedelta(days=days),
    )


def deadline_state(deadline: Deadline, now: datetime) -> DeadlineState:
    """Shorthand for ``deadline.state(now)``."""
    return deadline.state(now)


def parse_type(value: str) -> RequestType:
    """The request type named by ``value``, or ``InvalidInput``."""
    try:
        return RequestType(value)
    except ValueError:
        raise InvalidInput(
            f"type must be one of {', '.join(t.value for t in RequestType)}",
            code="invalid_request_type",
        ) from None


def parse_outcome(value: str) -> Outcome:
    """The outcome named by ``value``, or ``InvalidInput``."""
    try:
        return Outcome(value)
    except ValueError:
        raise InvalidInput(
            f"outcome must be one of {', '.join(o.value for o in Outcome)}",
            code="invalid_outcome",
        ) from None


def validate_message(message: str) -> str:
    """A customer's message, stripped: 1 to ``MAX_MESSAGE_CHARS`` characters."""
    text = message.strip()
    if not text:
        raise InvalidInput("say what the request is about", code="message_required")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            f"the message is longer than {MAX_MESSAGE_CHARS} characters",
            code="message_too_long",
            details={"max_chars": MAX_MESSAGE_CHARS},
        )
    return text


def _optional_text(value: str | None, name: str) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInput(
            f"{name} is longer than {MAX_REASON_CHARS} characters",
            code=f"{name}_too_long",
            details={"max_chars": MAX_REASON_CHARS},
        )
    return text or None


@dataclass(frozen=True)
class Resolution:
    """The operator's answer, checked."""

    outcome: Outcome
    message: str | None
    refusal_reason: str | None
    appeal_route: str | None
    resolved_at: datetime


@dataclass(frozen=True)
class RightsRequest:
    """A request as the domain sees it: what, when, its clock and (once) its answer."""

    id: str
    subject_id: str
    type: RequestType
    transfer_id: str | None
    deadline: Deadline
    resolution: Resolution | None = None

    @property
    def status(self) -> RequestStatus:
        """Pending until resolved."""
        return RequestStatus.PENDING if self.resolution is None else RequestStatus.RESOLVED

    def deadline_state(self, now: datetime) -> DeadlineState:
        """The state now; a resolved request keeps the state it was answered in."""
        at = now if self.resolution is None else self.resolution.resolved_at
        return self.deadline.state(at)


def resolve(
    request: RightsRequest,
    *,
    outcome: Outcome,
    message: str | None,
    refusal_reason: str | None,
    appeal_route: str | None,
    at: datetime,
) -> Resolution:
    """Check an answer to ``request``: once only, and a refusal with reasons and appeal route."""
    if request.resolution is not None:
        raise Conflict("this request was resolved already", code="request_resolved")
    reason = _optional_text(refusal_reason, "refusal_reason")
    route = _optional_text(appeal_route, "appeal_route")
    text = (message or "").strip() or None
    if text is not None and len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            f"the message is longer than {MAX_MESSAGE_CHARS} characters", code="message_too_long"
        )
    if outcome.refuses:
        missing = [
            name for name, v in (("refusal_reason", reason), ("appeal_route", route)) if not v
        ]
        if missing:
            raise InvalidInput(
                "a refusal must give its reasons and how to object to it",
                code="refusal_incomplete",
                details={"missing": missing},
            )
    return Resolution(
        outcome=outcome,
        message=text,
        refusal_reason=reason,
        appeal_route=route,
        resolved_at=at,
    )
