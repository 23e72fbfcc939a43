"""What the verifier reports: the first bad entry (or checkpoint), and the verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BadEntry", "VerifyResult"]


@dataclass(frozen=True)
class BadEntry:
    """The first problem found. ``seq`` is -1 when the problem is not tied to one entry, and
    ``shard`` is -1 when it concerns a checkpoint as a whole."""

    shard: int
    seq: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"shard", "seq", "reason"}``."""
        return {"shard": self.shard, "seq": self.seq, "reason": self.reason}


@dataclass(frozen=True)
class VerifyResult:
    """Whether the ledger verifies, how many entries were read, and the first bad entry."""

    ok: bool
    entries: int
    first_bad: BadEntry | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the API shape ``{"ok", "entries", "first_bad"}``."""
        first_bad = None if self.first_bad is None else self.first_bad.to_dict()
        return {"ok": self.ok, "entries": self.entries, "first_bad": first_bad}
