"""Telling the marketplace whom to notify of a breach: a sealed event through the outbox.

The marketplace reaches its customers, so when the operator records that the subjects were
notified, the event carries each affected subject's external reference (the marketplace's own
customer id, read from the vault). Like ``subject.deleted``, it is sealed at rest and never
logged; a subject erased since the breach has no reference left and is only counted.
"""

from __future__ import annotations

from datetime import datetime

from gatehouse.domain.incidents import Incident, blast_radius
from gatehouse.services.operator_webhook import enqueue_operator_event
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import open_pii
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.vault import KeyShredded

__all__ = ["SUBJECTS_NOTIFIED_EVENT", "tell_operator"]

SUBJECTS_NOTIFIED_EVENT = "incident.subjects_notified"


def tell_operator(gh: Gatehouse, uow: UnitOfWork, incident: Incident, at: datetime) -> str | None:
    """Queue the sealed event in ``uow``; the event id, or None when no webhook is set."""
    if not uow.operator_events.webhook_set():
        return None
    radius = blast_radius(uow.incidents.view_windows(incident.scope), incident.scope)
    refs: list[str] = []
    erased = 0
    for subject_id in sorted(radius.subjects):
        try:
            refs.append(open_pii(gh, uow.subjects, subject_id).external_ref)
        except KeyShredded:
            erased += 1
    return enqueue_operator_event(
        gh,
        uow,
        event_type=SUBJECTS_NOTIFIED_EVENT,
        data={
            "incident_id": incident.id,
            "notified_at": at.isoformat(),
            "notify_by": incident.notify_by.isoformat(),
            "external_refs": refs,
            "erased_subjects": erased,
        },
    )
