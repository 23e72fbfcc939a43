"""The customer's consents, one per notice, as their privacy center lists them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gatehouse.services.consents import consent_states
from gatehouse.services.customer_profile import live_subject
from gatehouse.services.remedies import language_of
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.tables import notices, recipients

__all__ = ["consents_of"]


def consents_of(gh: Gatehouse, subject_id: str) -> list[dict[str, Any]]:
    """The subject's consents, one per notice, naming the recipients and countries in scope."""
    with gh.engine.connect() as connection:
        subject = live_subject(connection, subject_id)
    states = consent_states(gh, subject_id)
    hashes = sorted({s.notice_hash for s in states})
    ids = sorted({rid for s in states for rid in s.recipients})
    with gh.engine.connect() as connection:
        names = {
            row.id: row
            for row in connection.execute(
                select(recipients.c.id, recipients.c.legal_name, recipients.c.country).where(
                    recipients.c.id.in_(ids)
                )
            )
        }
        countries = {
            row.hash: list(row.countries)
            for row in connection.execute(
                select(notices.c.hash, notices.c.countries).where(notices.c.hash.in_(hashes))
            )
        }
    pack = gh.packs.by_id(subject.rule_pack)
    language = language_of(subject, pack)
    items = []
    for state in states:
        purpose = pack.purposes.get(state.purpose)
        items.append(
            {
                "id": state.consent_id,
                "notice_hash": state.notice_hash,
                "purpose": state.purpose,
                "purpose_label": purpose.label.text(language, pack.required_language)
                if purpose
                else state.purpose,
                "recipients": [
                    {
                        "id": rid,
                        "legal_name": names[rid].legal_name if rid in names else None,
                        "country": names[rid].country if rid in names else None,
                    }
                    for rid in sorted(state.recipients)
                ],
                "countries": countries.get(state.notice_hash, []),
                "granted": state.granted,
                "granted_at": state.granted_at,
                "withdrawn_at": state.withdrawn_at,
                "channel": state.channel,
            }
        )
    return items
