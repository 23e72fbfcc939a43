"""A kept audit day: the whole UTC days of a window, and the document the ledger's key signs
for each day's fold, so that a fold kept in the database gives itself away when it is
changed, as a changed checkpoint does."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

__all__ = ["KEPT_DAY_FORMAT", "day_start", "kept_day_document", "state_text", "whole_days"]

KEPT_DAY_FORMAT = "gatehouse.audit-day.v1"


def _canonical(document: Any) -> str:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def state_text(state: Mapping[str, Any]) -> str:
    """A fold's state as the text it is kept in: canonical JSON."""
    return _canonical(state)


def kept_day_document(
    day: date, checkpoint_sequence: int, checkpoint_digest: str, kept_state: str
) -> bytes:
    """The bytes the ledger's key signs for a kept day: the SHA-256 of its fold's kept text
    (:func:`state_text`), and the checkpoint the day's entries were verified against, under a
    format of its own. Binding the text's hash lets a report check a day without parsing
    its fold twice."""
    return _canonical(
        {
            "format": KEPT_DAY_FORMAT,
            "day": day.isoformat(),
            "checkpoint_sequence": checkpoint_sequence,
            "checkpoint_digest": checkpoint_digest,
            "state_sha256": hashlib.sha256(kept_state.encode("utf-8")).hexdigest(),
        }
    ).encode("utf-8")


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(), UTC)


def whole_days(start: datetime, end: datetime) -> list[date] | None:
    """The UTC days that ``[start, end)`` is made of, or None when it starts or ends
    elsewhere than at midnight UTC."""
    first, last = start.astimezone(UTC), end.astimezone(UTC)
    if first.timetz() != time(tzinfo=UTC) or last.timetz() != time(tzinfo=UTC):
        return None
    return [first.date() + timedelta(days=n) for n in range((last - first).days)]
