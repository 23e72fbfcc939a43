"""The console's incident panel: open breach incidents and where their 72-hour clock stands."""

from __future__ import annotations

from typing import Any

from gatehouse.domain.errors import Conflict
from gatehouse.services import incidents as service
from gatehouse.services.runtime import Gatehouse
from gatehouse.web.i18n import N_
from gatehouse.web.site import text

__all__ = ["open_incidents"]

_STATUS = {"due": N_("Due"), "overdue": N_("Overdue"), "done": N_("Done")}
# The panel lists what still needs the team; closed incidents stay in the API and the ledger.
_SHOWN = 50


def open_incidents(gh: Gatehouse, locale: str) -> list[dict[str, Any]]:
    """The incidents not yet closed, newest discovery first, with their clock state."""
    try:
        pack, rules = service.breach_pack(gh)
    except Conflict:  # no pack declares breach rules: there is no clock to show
        return []
    now = gh.clock()
    rows = []
    for incident in service.list_incidents(gh, None, service.MAX_LISTED):
        if incident.closed_at is not None:
            continue
        status = str(incident.status(now))
        label = rules.kind_labels.get(incident.kind)
        rows.append(
            {
                "id": incident.id,
                "kind": label.text(locale, pack.required_language) if label else incident.kind,
                "discovered_at": incident.discovered_at,
                "notify_by": incident.notify_by,
                "affected_subjects": incident.affected_subjects,
                "report_required": incident.report_required,
                "status": status,
                "status_label": text(locale, _STATUS[status]),
            }
        )
        if len(rows) == _SHOWN:
            break
    return rows
