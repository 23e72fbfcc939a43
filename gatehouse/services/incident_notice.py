"""The notice to a breach's subjects, rendered from the pack, the incident and the operator.

The contact item is the privacy officer of the current operator profile: with no profile set
the notice has no contact, and rendering refuses it naming that item.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from gatehouse.domain.breach_notice import NoticeFacts, RenderedNotice, render_notice
from gatehouse.services.incidents import breach_pack, get_incident
from gatehouse.services.operator_profile import current_profile
from gatehouse.services.runtime import Gatehouse

__all__ = ["incident_notice"]

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
