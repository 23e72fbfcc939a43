"""The operator console's panels: what needs the privacy team's attention today.

Five panels: rights requests by due date, erasure acknowledgements still outstanding at
recipients (the most overdue first), dead outbox jobs, refused transfers by reason, and
allowed transfers by country. Each is a typed result; the console page only translates and
lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatehouse.domain.policy.pack import Deadlines
from gatehouse.services.erasures import erasure_status, outstanding_erasures
from gatehouse.services.outbox_admin import counts, jobs, retry_dead
from gatehouse.services.rights_requests import list_requests
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.dashboard import DashboardRepository
from gatehouse.store.outbox import Job
from gatehouse.store.recipients import RecipientRepository

__all__ = [
    "PANEL_ROWS",
    "PendingRequest",
    "OutstandingErasure",
    "ReasonCount",
    "CountryCount",
    "Dashboard",
    "pending_requests",
    "outstanding_erasure_rows",
    "dead_jobs",
    "refusals_by_reason",
    "transfers_by_country",
    "deadlines",
    "dashboard",
    "retry_job",
]

# Rows per panel: enough for a day's work, few enough for one page.
PANEL_ROWS = 100


@dataclass(frozen=True)
class PendingRequest:
    """A rights request waiting for an answer, with where it stands on its clock."""

    id: str
    subject_id: str
    type: str
    transfer_id: str | None
    created_at: datetime
    due_at: datetime
    # Whole days since it came in, as the deadline counts them, and the days it allows.
    days: int
    limit: int
    # on_time, due_soon (from the alert day) or overdue.
    state: str


@dataclass(frozen=True)
class OutstandingErasure:
    """An erasure request a recipient has not acknowledged yet."""

    id: str
    recipient_id: str
    recipient: str
    country: str
    order_refs: tuple[str, ...]
    requested_at: datetime
    due_at: datetime
    # pending or overdue.
    status: str


@dataclass(frozen=True)
class ReasonCount:
    """How many transfers were refused for one reason."""

    code: str
    count: int


@dataclass(frozen=True)
class CountryCount:
    """How many transfers were allowed to one country, with its name in the reader's language."""

    code: str
    name: str
    count: int


@dataclass(frozen=True)
class Dashboard:
    """The five panels, as of ``now``."""

    now: datetime
    deadlines: Deadlines
    requests: tuple[PendingRequest, ...]
    erasures: tuple[OutstandingErasure, ...]
    dead_jobs: tuple[Job, ...]
    job_counts: dict[str, int]
    refusals: tuple[ReasonCount, ...]
    countries: tuple[CountryCount, ...]


def deadlines(gh: Gatehouse) -> Deadlines:
    """The statutory clocks the panels apply (the first rule pack's)."""
    return gh.packs.by_id(gh.packs.ids()[0]).deadlines


def pending_requests(gh: Gatehouse, limit: int = PANEL_ROWS) -> list[PendingRequest]:
    """Pending rights requests, the earliest due first."""
    now = gh.clock()
    page, _cursor = list_requests(gh, status="pending", limit=limit)
    return [
        PendingRequest(
            id=request.id,
            subject_id=request.subject_id,
            type=request.type.value,
            transfer_id=request.transfer_id,
            created_at=request.deadline.created_at,
            due_at=request.deadline.due_at,
            days=(now - request.deadline.created_at).days,
            limit=(request.deadline.due_at - request.deadline.created_at).days,
            state=request.deadline_state(now).value,
        )
        for request in page
    ]


def outstanding_erasure_rows(gh: Gatehouse, limit: int = PANEL_ROWS) -> list[OutstandingErasure]:
    """Unacknowledged erasure requests: overdue ones first, the most overdue leading."""
    now = gh.clock()
    # By due date, not by id: past the limit the panel must show the most overdue ones, and
    # a long overdue backlog must not crowd out the ones falling due next.
    overdue = outstanding_erasures(gh, overdue=True, limit=limit)
    pending = outstanding_erasures(gh, overdue=False, limit=limit)
    unique: dict[str, Any] = {}
    for row in [*overdue, *pending]:
        unique.setdefault(row.id, row)
    with gh.engine.connect() as connection:
        names = RecipientRepository(connection).names(row.recipient_id for row in unique.values())
    rows = []
    for row in unique.values():
        name = names.get(row.recipient_id)
        rows.append(
            OutstandingErasure(
                id=row.id,
                recipient_id=row.recipient_id,
                recipient=(name.legal_name if name else None) or row.recipient_id,
                country=(name.country if name else None) or "",
                order_refs=tuple(row.order_refs),
                requested_at=row.requested_at,
                due_at=row.due_at,
                status=erasure_status(row, now),
            )
        )
    rows.sort(key=lambda r: (r.status != "overdue", r.due_at, r.id))
    return rows


def dead_jobs(gh: Gatehouse, limit: int = PANEL_ROWS) -> list[Job]:
    """Outbox jobs that gave up, oldest first."""
    page, _cursor = jobs(gh, status="dead", limit=limit)
    return page


def refusals_by_reason(gh: Gatehouse) -> list[ReasonCount]:
    """Refused transfers per reason, the most frequent first."""
    with gh.engine.connect() as connection:
        counted = DashboardRepository(connection).refusals_by_reason()
    rows = [ReasonCount(code or "unknown", count) for code, count in counted.items()]
    return sorted(rows, key=lambda r: (-r.count, r.code))


def transfers_by_country(gh: Gatehouse, locale: str) -> list[CountryCount]:
    """Allowed transfers per destination country, the most frequent first, named in ``locale``."""
    with gh.engine.connect() as connection:
        counted = DashboardRepository(connection).allowed_by_country()
    pack = gh.packs.by_id(gh.packs.ids()[0])
    ranked = sorted(
        ((code or "??", count) for code, count in counted.items()), key=lambda kv: (-kv[1], kv[0])
    )
    return [
        CountryCount(code, pack.country_name(code, locale) or code, count) for code, count in ranked
    ]


def dashboard(gh: Gatehouse, locale: str) -> Dashboard:
    """All five panels, country names in ``locale``."""
    return Dashboard(
        now=gh.clock(),
        deadlines=deadlines(gh),
        requests=tuple(pending_requests(gh)),
        erasures=tuple(outstanding_erasure_rows(gh)),
        dead_jobs=tuple(dead_jobs(gh)),
        job_counts=counts(gh),
        refusals=tuple(refusals_by_reason(gh)),
        countries=tuple(transfers_by_country(gh, locale)),
    )


def retry_job(gh: Gatehouse, job_id: str) -> Job:
    """Re-queue a dead job, due now; ``NotFound`` or ``Conflict`` (not dead) otherwise."""
    return retry_dead(gh, job_id)
