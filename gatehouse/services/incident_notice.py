"""The notice to a breach's subjects, rendered from the pack, the incident and the operator.

The contact item is the privacy officer of the current operator profile: with no profile set
the notice has no contact, and rendering refuses it naming that item.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from gatehouse.domain.breach_notice import NoticeFacts, RenderedNotice, render_notice
from gatehouse.domain.incidents import Incident, Step, blast_radius
from gatehouse.services.incidents import breach_pack, get_incident
from gatehouse.services.operator_profile import current_profile
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork

__all__ = ["NOTICES_SHOWN", "incident_notice", "notices_for_subject"]

# How many of the newest incidents the privacy center looks through for a customer's notices.
NOTICES_SHOWN = 50
# Korea keeps one offset all year; subjects read times in it.
_KST = timezone(timedelta(hours=9), "KST")


def _when(value: datetime | None) -> str:
    return value.astimezone(_KST).strftime("%Y-%m-%d %H:%M KST") if value is not None else ""


def incident_notice(gh: Gatehouse, incident_id: str, language: str) -> RenderedNotice:
    """The subject notice of one incident in ``language`` (the pack's own language otherwise)."""
    pack, rules = breach_pack(gh)
    incident = get_incident(gh, incident_id)
    if language not in pack.languages:
        language = pack.required_language
    fallback = pack.required_language
    profile = current_profile(gh)
    officer = None
    if profile is not None:
        o = profile.profile.privacy_officer
        officer = {"name": o.name, "department": o.department, "phone": o.phone, "email": o.email}
    scope = incident.scope
    facts = NoticeFacts(
        leaked_items=tuple(pack.field_labels[f].text(language, fallback) for f in incident.fields),
        period=f"{_when(scope.window_from)} ~ {_when(scope.window_to)}".strip(),
        discovered=_when(incident.discovered_at),
        description=incident.description,
        self_protection=incident.self_protection,
        countermeasures=incident.countermeasures,
        officer=officer,
    )
    return render_notice(rules, facts, language, fallback)


def _reaches(gh_uow: UnitOfWork, incident: Incident, subject_id: str) -> bool:
    """Whether the incident's blast radius holds the subject, measured on its views alone."""
    scope = incident.scope
    if scope.subject_ids and subject_id not in scope.subject_ids:
        return False
    narrowed = replace(scope, subject_ids=(subject_id,))
    windows = gh_uow.incidents.view_windows(narrowed)
    return subject_id in blast_radius(windows, narrowed).subjects


def notices_for_subject(
    gh: Gatehouse, subject_id: str, language: str
) -> list[tuple[Incident, RenderedNotice]]:
    """The notices of breaches that reached the subject, once the operator has sent them.

    Only incidents whose subjects were notified (the step the operator records when it sends
    the notice) are shown: the privacy center repeats the notice, it does not pre-empt it.
    """
    with gh.unit_of_work(read_only=True) as uow:
        recent = uow.incidents.listing(status=None, now=gh.clock(), limit=NOTICES_SHOWN)
        reached = [
            i for i in recent if Step.SUBJECTS_NOTIFIED in i.steps and _reaches(uow, i, subject_id)
        ]
    return [(i, incident_notice(gh, i.id, language)) for i in reached]
