"""The operator console's panels: what needs the privacy team's attention today.

Five panels: rights requests by due date, erasure acknowledgements still outstanding at
recipients (the most overdue first), dead outbox jobs, refused transfers by reason, and
allowed transfers by country. Each is a typed result; the console page only translates and
lays them out. The whole dashboard is read from one snapshot, so its panels agree, on the
read replica when there is one: a panel a moment behind the primary misleads nobody, and
its counts are the heaviest reads the console makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.policy.pack import Deadlines
from gatehouse.domain.requests import RequestStatus
from gatehouse.services.erasures import ErasureRequest, erasure_status
from gatehouse.services.operator_profile import StartupCheck, profile_check
from gatehouse.services.outbox_admin import retry_dead
from gatehouse.services.policy_reading import VersionSummary, version_summary
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.outbox import Job, JobStatus

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
    # Whether the operator profile is set and the domestic-agent rule is met.
    profile: StartupCheck
    # The privacy-policy version in force, and a later one announced but not yet in force.
    policy_in_force: VersionSummary | None = None
    policy_upcoming: VersionSummary | None = None


def deadlines(gh: Gatehouse) -> Deadlines:
    """The statutory clocks the panels apply (the first rule pack's)."""
    return gh.packs.by_id(gh.packs.ids()[0]).deadlines


def _pending_requests(uow: UnitOfWork, now: datetime, limit: int) -> list[PendingRequest]:
    stored = uow.requests.page(
        status=RequestStatus.PENDING, due_before=None, subject_id=None, after=None, limit=limit
    )
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
        for request in (item.request for item in stored)
    ]


def pending_requests(gh: Gatehouse, limit: int = PANEL_ROWS) -> list[PendingRequest]:
    """Pending rights requests, the earliest due first."""
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        return _pending_requests(uow, gh.clock(), limit)


def _outstanding_erasures(uow: UnitOfWork, now: datetime, limit: int) -> list[OutstandingErasure]:
    # By due date, not by id: past the limit the panel must show the most overdue ones, and
    # a long overdue backlog must not crowd out the ones falling due next.
    overdue = uow.erasures.outstanding(now=now, overdue=True, limit=limit)
    pending = uow.erasures.outstanding(now=now, overdue=False, limit=limit)
    unique: dict[str, ErasureRequest] = {}
    for request in [*overdue, *pending]:
        unique.setdefault(request.id, request)
    names = uow.recipients.names(request.recipient_id for request in unique.values())
    rows = []
    for request in unique.values():
        name = names.get(request.recipient_id)
        rows.append(
            OutstandingErasure(
                id=request.id,
                recipient_id=request.recipient_id,
                recipient=(name.legal_name if name else None) or request.recipient_id,
                country=(name.country if name else None) or "",
                order_refs=tuple(request.order_refs),
                requested_at=request.requested_at,
                due_at=request.due_at,
                status=erasure_status(request, now),
            )
        )
    rows.sort(key=lambda r: (r.status != "overdue", r.due_at, r.id))
    return rows


def outstanding_erasure_rows(gh: Gatehouse, limit: int = PANEL_ROWS) -> list[OutstandingErasure]:
    """Unacknowledged erasure requests: overdue ones first, the most overdue leading."""
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        return _outstanding_erasures(uow, gh.clock(), limit)


def _dead_jobs(uow: UnitOfWork, limit: int) -> list[Job]:
    return uow.outbox.page(status=JobStatus.DEAD.value, limit=limit)


def dead_jobs(gh: Gatehouse, limit: int = PANEL_ROWS) -> list[Job]:
    """Outbox jobs that gave up, oldest first."""
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        return _dead_jobs(uow, limit)


def _refusals(uow: UnitOfWork) -> list[ReasonCount]:
    counted = uow.dashboard.refusals_by_reason()
    rows = [ReasonCount(code or "unknown", count) for code, count in counted.items()]
    return sorted(rows, key=lambda r: (-r.count, r.code))


def refusals_by_reason(gh: Gatehouse) -> list[ReasonCount]:
    """Refused transfers per reason, the most frequent first."""
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        return _refusals(uow)


def _countries(gh: Gatehouse, uow: UnitOfWork, locale: str) -> list[CountryCount]:
    counted = uow.dashboard.allowed_by_country()
    pack = gh.packs.by_id(gh.packs.ids()[0])
    ranked = sorted(
        ((code or "??", count) for code, count in counted.items()), key=lambda kv: (-kv[1], kv[0])
    )
    return [
        CountryCount(code, pack.country_name(code, locale) or code, count) for code, count in ranked
    ]


def transfers_by_country(gh: Gatehouse, locale: str) -> list[CountryCount]:
    """Allowed transfers per destination country, the most frequent first, named in ``locale``."""
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        return _countries(gh, uow, locale)


def _policy(uow: UnitOfWork, now: datetime) -> dict[str, VersionSummary | None]:
    in_force = uow.policies.in_force(now, with_documents=False)
    latest = uow.policies.latest(with_documents=False)
    upcoming = (
        latest if latest and (in_force is None or latest.version > in_force.version) else None
    )
    return {
        "policy_in_force": None if in_force is None else version_summary(in_force),
        "policy_upcoming": None if upcoming is None else version_summary(upcoming),
    }


def dashboard(gh: Gatehouse, locale: str) -> Dashboard:
    """All five panels, country names in ``locale``, read from one snapshot."""
    now = gh.clock()
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        return Dashboard(
            now=now,
            deadlines=deadlines(gh),
            requests=tuple(_pending_requests(uow, now, PANEL_ROWS)),
            erasures=tuple(_outstanding_erasures(uow, now, PANEL_ROWS)),
            dead_jobs=tuple(_dead_jobs(uow, PANEL_ROWS)),
            job_counts=uow.outbox.counts(),
            refusals=tuple(_refusals(uow)),
            countries=tuple(_countries(gh, uow, locale)),
            profile=profile_check(uow, gh.packs),
            **_policy(uow, now),
        )


def retry_job(gh: Gatehouse, job_id: str) -> Job:
    """Re-queue a dead job, due now; ``NotFound`` or ``Conflict`` (not dead) otherwise."""
    return retry_dead(gh, job_id)
