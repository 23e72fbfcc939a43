"""The separate retention store: records kept after a deletion, sealed until their end date."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from gatehouse.domain.ids import new_id
from gatehouse.domain.policy import RetentionHold, RulePack
from gatehouse.services import ledger
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.erasures import RetentionRepository
from gatehouse.vault import FieldCipher, WrappedKey, new_data_key, unwrap_key, wrap_key

__all__ = ["retention_context", "keep", "read_record", "destroy_expired", "kept_until"]

_SCOPE = "retention"


def retention_context(record_id: str) -> str:
    """The vault context binding a retention record's key to the record."""
    return f"retention:{record_id}"


def kept_until(hold: RetentionHold, start: datetime) -> datetime:
    """The statutory end date: ``hold.months`` after ``start`` (months counted as 30.44 days)."""
    return start + timedelta(days=round(hold.months * 30.44))


def keep(
    gh: Gatehouse,
    connection: Connection,
    *,
    pack: RulePack,
    hold_name: str,
    deletion_id: str,
    values: Mapping[str, Any],
    start: datetime,
) -> dict[str, Any] | None:
    """Seal the hold's fields of ``values`` as a new record; other fields are never stored.

    Returns a summary for the deletion receipt, or None when none of the hold's fields apply.
    """
    hold = pack.retention_holds[hold_name]
    kept = {name: values[name] for name in hold.fields if values.get(name) is not None}
    if not kept:
        return None
    record_id = new_id("ret")
    key = new_data_key()
    # Its own key, not the subject's: the subject's key is shredded in the same transaction.
    blob = FieldCipher(record_id, key).encrypt(
        _SCOPE, hold_name, json.dumps(kept, ensure_ascii=False, default=str)
    )
    wrapped = wrap_key(key, retention_context(record_id), gh.keyring)
    until = kept_until(hold, start)
    now = gh.clock()
    RetentionRepository(connection).add(
        id=record_id,
        deletion_id=deletion_id,
        hold=hold_name,
        statute=hold.statute,
        fields=sorted(kept),
        kept_until=until,
        kek_id=wrapped.kek_id,
        wrapped_key=wrapped.blob,
        ciphertext=blob,
        created_at=now,
    )
    return {
        "record_id": record_id,
        "hold": hold_name,
        "label": dict(hold.label.root),
        "statute": hold.statute,
        "fields": sorted(kept),
        "kept_until": until.isoformat(),
    }


def read_record(gh: Gatehouse, row: Any) -> dict[str, Any]:
    """Open a live retention record (for a dispute or an audit)."""
    key = unwrap_key(WrappedKey(row.kek_id, row.wrapped_key), retention_context(row.id), gh.keyring)
    text = FieldCipher(row.id, key).decrypt(_SCOPE, row.hold, row.ciphertext)
    data: dict[str, Any] = json.loads(text)
    return data


def destroy_expired(gh: Gatehouse) -> int:
    """Destroy every record past its end date, and record each destruction in the ledger."""
    now = gh.clock()
    count = 0
    with gh.engine.begin() as connection:
        repo = RetentionRepository(connection)
        for row in repo.due_for_destruction(now):
            if repo.destroy(row.id, now):
                count += 1
                ledger.append(
                    connection,
                    kind="retention.destroyed",
                    at=now,
                    subject_id=None,
                    recipient_id=None,
                    payload={
                        "record_id": row.id,
                        "deletion_id": row.deletion_id,
                        "hold": row.hold,
                        "kept_until": row.kept_until.isoformat(),
                    },
                )
    return count
