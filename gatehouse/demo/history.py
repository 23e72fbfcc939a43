"""The demo marketplace's past: months of orders and the duties around them.

A demo whose activity all happened a second ago has nothing to show in a quarter's audit. So
the demo starts its clock months back and lets it catch up as orders come in; half-way it
answers customers' requests (one of them late), deletes an account whose recipients are
asked to erase (not all of them answer), and handles a breach at one seller within 72 hours.
Every entry is then stamped as it would have been, and the ledger's time only moves forward.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from gatehouse.domain.incidents import IncidentScope, Step
from gatehouse.services import erasures as erasure_service
from gatehouse.services import incidents as incident_service
from gatehouse.services import rights_requests as request_service
from gatehouse.services.customer import delete_account
from gatehouse.services.runtime import Clock, Gatehouse, system_clock

__all__ = ["HISTORY_DAYS", "DemoClock", "DemoHistory"]

# Long enough that the last complete calendar quarter lies inside the demo's past.
HISTORY_DAYS = 200
# Where the duties happen, in days before now: inside the last quarter on most days.
_DUTIES_FROM_DAYS = 100
_REQUESTS = 6
_BREACH = "배송 라벨 출력 오류로 한 고객의 주문 정보가 다른 판매자에게 표시되었습니다."
_REQUEST_MESSAGE = "제 개인정보가 어느 판매자에게 제공되었는지 알려 주세요."


class DemoClock:
    """Real time, running behind while the demo writes its past.

    It only moves forward: catching up shortens the lag while real time goes on.
    """

    def __init__(self, now: Clock = system_clock) -> None:
        self._now = now
        self._behind = timedelta(0)

    def __call__(self) -> datetime:
        return self._now() - self._behind

    def go_back(self, by: timedelta) -> None:
        """Start running ``by`` behind; only before anything has been written."""
        self._behind = by

    def catch_up(self, behind: timedelta) -> None:
        """Run at most ``behind`` behind from now on (never further back than before)."""
        self._behind = min(self._behind, max(behind, timedelta(0)))


class DemoHistory:
    """Moves the demo's clock through its past as orders come in, with the duties half-way."""

    def __init__(self, gh: Gatehouse, clock: DemoClock, orders: int) -> None:
        self._gh, self._clock, self._orders = gh, clock, max(orders, 1)
        self._duties_done = False

    def begin(self) -> None:
        """Go back to the start of the past, before the demo writes anything."""
        self._clock.go_back(timedelta(days=HISTORY_DAYS))

    def _days_back(self, index: int) -> float:
        # The first half of the orders before the duties, the second half after them.
        half = self._orders / 2
        if index < half:
            return HISTORY_DAYS - (HISTORY_DAYS - _DUTIES_FROM_DAYS) * index / half
        return (_DUTIES_FROM_DAYS - 25) * (1 - (index - half) / half) + 5

    def at_order(self, index: int, transfers_by_subject: Mapping[str, int]) -> None:
        """Called before the ``index``-th customer's orders; the duties come half-way."""
        if not self._duties_done and index >= self._orders / 2 and transfers_by_subject:
            self._duties(transfers_by_subject)
            self._duties_done = True
        self._clock.catch_up(timedelta(days=self._days_back(index)))

    def end(self) -> None:
        """Back to real time."""
        self._clock.catch_up(timedelta(0))

    def _at(self, days_back: float) -> None:
        self._clock.catch_up(timedelta(days=days_back))

    def _duties(self, transfers_by_subject: Mapping[str, int]) -> None:
        customers = sorted(transfers_by_subject, key=lambda s: -transfers_by_subject[s])
        self._at(_DUTIES_FROM_DAYS)
        filed = [
            request_service.submit_request(
                self._gh, subject_id, request_type="access", message=_REQUEST_MESSAGE
            ).request.id
            for subject_id in customers[1 : 1 + _REQUESTS]
        ]
        self._at(_DUTIES_FROM_DAYS - 3)
        for request_id in filed[:-1]:
            request_service.resolve_request(
                self._gh, request_id, outcome="completed", message="제공 내역을 안내드립니다."
            )
        # A customer with several sellers, so erasure notices go to more than one.
        deleted = delete_account(self._gh, customers[min(1 + _REQUESTS, len(customers) - 1)])
        self._at(_DUTIES_FROM_DAYS - 5)
        for notice in deleted.erasure_notices[:-1]:
            erasure_service.acknowledge(self._gh, notice.recipient_id, notice.erasure_id, None)
        self._breach(customers[0])
        # Answered on day 12, past the 10 days of 「개인정보 보호법」 시행령 제41조제4항.
        self._at(_DUTIES_FROM_DAYS - 12)
        if filed:
            request_service.resolve_request(
                self._gh, filed[-1], outcome="completed", message="늦어진 점 사과드립니다."
            )

    def _breach(self, subject_id: str) -> None:
        discovered = self._clock() - timedelta(hours=2)
        incident = incident_service.open_incident(
            self._gh,
            incident_service.NewIncident(
                discovered_at=discovered,
                kind="misdelivery",
                description=_BREACH,
                scope=IncidentScope(subject_ids=(subject_id,)),
                self_protection="주문을 사칭한 전화·문자에 주의하십시오.",
                countermeasures="오류를 수정하고 해당 판매자의 사본 삭제를 확인하였습니다.",
            ),
        )
        self._at(_DUTIES_FROM_DAYS - 5.5)  # within the 72 hours
        incident_service.record_step(self._gh, incident.id, Step.SUBJECTS_NOTIFIED, None)
