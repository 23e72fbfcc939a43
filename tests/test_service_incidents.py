"""The incident use cases on the in-memory fakes: blast radius, the report flag at 999 and 1,000
subjects, the clock's steps in the ledger, the operator's sealed event, and no partial write."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.domain.incidents import ClockStatus, IncidentScope, Step
from gatehouse.domain.views import view_expiry
from gatehouse.services import incidents
from gatehouse.store.records import OpenView, StoredTransfer
from tests.support.fake_world import World, new_world

SELF_HELP = "주문을 사칭한 전화·문자에 주의하십시오."
MEASURES = "해당 판매자의 접근을 중지하고 사본 삭제를 확인하였습니다."
DESCRIPTION = "판매자의 주문 내보내기 파일이 외부에 노출되었습니다."


@pytest.fixture
def world() -> World:
    return new_world()


def _seed_views(world: World, recipient_id: str, count: int) -> None:
    """``count`` subjects with one allowed transfer each to the recipient, open now."""
    now = world.clock()
    expires = view_expiry(world.gh.packs.by_id("KR-PIPA").views, now, None)
    for n in range(count):
        transfer_id = f"trf_bulk{n}"
        subject_id = f"sub_bulk{n}"
        world.db.add_transfer(
            StoredTransfer(
                transfer_id,
                f"ord_bulk{n}",
                subject_id,
                recipient_id,
                "CN",
                "fulfilment",
                "provision",
                True,
                "SEPARATE_CONSENT",
                None,
                None,
                ["name", "address"],
                now,
                None,
                None,
            ),
            OpenView(
                transfer_id,
                f"ord_bulk{n}",
                subject_id,
                recipient_id,
                "fulfilment",
                None,
                None,
                now,
                expires,
            ),
        )


def _new(world: World, scope: IncidentScope, **kw: object) -> incidents.NewIncident:
    values: dict[str, object] = {
        "discovered_at": world.clock(),
        "kind": "recipient_breach",
        "description": DESCRIPTION,
        "scope": scope,
        "self_protection": SELF_HELP,
        "countermeasures": MEASURES,
    }
    values.update(kw)
    return incidents.NewIncident(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("subjects", "required"), [(999, False), (1000, True)])
def test_the_report_flag_turns_on_at_1000_subjects(
    world: World, subjects: int, required: bool
) -> None:
    seller = world.recipient()
    _seed_views(world, seller.id, subjects)
    world.advance(hours=1)
    incident = incidents.open_incident(world.gh, _new(world, IncidentScope(seller.id)))
    assert incident.affected_subjects == subjects
    assert incident.report_required is required
    assert incident.report_reasons == (("subject_threshold",) if required else ())


def test_a_recipient_breach_counts_the_subjects_open_there_and_logs_no_text(world: World) -> None:
    seller, other = world.recipient(), world.recipient()
    first = world.subject()
    world.transfer(world.order(first, seller), consent_notice=None)
    world.transfer(world.order(first, seller), consent_notice=None)
    world.transfer(world.order(world.subject(), other), consent_notice=None)
    world.advance(days=1)
    late = world.subject()
    world.transfer(world.order(late, seller), consent_notice=None)  # after the window
    world.advance(days=1)
    start = world.clock() - timedelta(days=2)
    scope = IncidentScope(seller.id, window_from=start, window_to=start + timedelta(hours=12))
    incident = incidents.open_incident(world.gh, _new(world, scope))
    assert incident.affected_subjects == 1
    assert incident.fields == ("name", "address")
    assert incident.recipients == (seller.id,)
    assert incident.notify_by == world.clock() + timedelta(hours=72)
    [entry] = world.db.entries("incident.opened")
    assert entry.payload["incident_id"] == incident.id
    assert entry.payload["affected_subjects"] == 1
    assert DESCRIPTION not in str(entry.payload) and SELF_HELP not in str(entry.payload)


def test_unknown_ids_and_kinds_are_refused_and_nothing_is_kept(world: World) -> None:
    before = world.db.committed()
    with pytest.raises(NotFound) as recipient:
        incidents.open_incident(world.gh, _new(world, IncidentScope("rcp_nobody")))
    assert recipient.value.code == "unknown_recipient"
    with pytest.raises(NotFound) as subject:
        incidents.open_incident(world.gh, _new(world, IncidentScope(subject_ids=("sub_no",))))
    assert subject.value.code == "unknown_subject"
    with pytest.raises(InvalidInput) as kind:
        incidents.open_incident(world.gh, _new(world, IncidentScope("r"), kind="alien"))
    assert kind.value.code == "unknown_kind"
    assert world.db.committed() == before


def test_a_failure_midway_keeps_neither_the_incident_nor_its_entry(world: World) -> None:
    seller = world.recipient()
    world.db.fail("Ledger.append", RuntimeError("disk full"), times=1)
    with pytest.raises(RuntimeError):
        incidents.open_incident(world.gh, _new(world, IncidentScope(seller.id)))
    assert world.db.tables.incidents == {}


def test_steps_walk_the_clock_and_each_is_a_ledger_entry(world: World) -> None:
    seller = world.recipient()
    subject = world.subject()
    world.transfer(world.order(subject, seller), consent_notice=None)
    world.db.tables.operator_webhook = {"url": "https://market.example.kr/hooks"}
    incident = incidents.open_incident(world.gh, _new(world, IncidentScope(seller.id)))
    world.advance(hours=73)
    [overdue] = incidents.list_incidents(world.gh, ClockStatus.OVERDUE)
    assert overdue.id == incident.id
    with pytest.raises(Conflict):
        incidents.record_step(world.gh, incident.id, Step.CLOSED, None)
    notified = incidents.record_step(world.gh, incident.id, Step.SUBJECTS_NOTIFIED, None)
    assert notified.status(world.clock()) is ClockStatus.DONE
    assert incidents.list_incidents(world.gh, ClockStatus.OVERDUE) == []
    incidents.record_step(world.gh, incident.id, Step.CLOSED, None)
    steps = world.db.entries("incident.step")
    assert [e.payload["step"] for e in steps] == ["subjects_notified", "closed"]
    assert steps[0].payload["late"] is True
    # The marketplace is told whom to reach, sealed: its ciphertext holds no reference.
    [event] = world.db.tables.operator_events.values()
    assert event["event_type"] == "incident.subjects_notified"
    assert steps[0].payload["operator_event"] == event["id"]
    assert b"cus_" not in bytes(event["ciphertext"])
    with pytest.raises(Conflict) as closed:
        incidents.record_step(world.gh, incident.id, Step.REGULATOR_REPORTED, None)
    assert closed.value.code == "incident_closed"
