"""The audit report's model: findings per article, their figures, evidence and exceptions.

Everything here is what the ledger says about one window. A finding names the article of
「개인정보 보호법」 it answers, carries counts (each one a direct count of ledger entries or of
facts they name), a few sample entries that an auditor can prove against a signed checkpoint,
and the exceptions, one by one. Labels for keys are the reader's language and live with the
renderer; the statute citations are Korean legal text and live here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "ARTICLES",
    "AuditReport",
    "Category",
    "EvidenceEntry",
    "Figure",
    "Finding",
    "FindingKey",
    "Integrity",
    "Irregularity",
    "SeriesPoint",
    "Status",
    "read_count",
    "read_integer",
    "read_text",
]


class FindingKey(StrEnum):
    """One finding per statutory duty the ledger can show, in the report's order."""

    BASIS = "basis"
    NOTICE = "notice"
    SUSPENSION = "suspension"
    CONSENT = "consent"
    REQUESTS = "requests"
    ERASURE = "erasure"
    INCIDENTS = "incidents"
    POLICY = "policy"


# The article each finding answers, cited as a Korean lawyer would.
ARTICLES: dict[FindingKey, str] = {
    FindingKey.BASIS: "「개인정보 보호법」 제28조의8제1항",
    FindingKey.NOTICE: "「개인정보 보호법」 제28조의8제2항",
    FindingKey.SUSPENSION: "「개인정보 보호법」 제28조의9",
    FindingKey.CONSENT: "「개인정보 보호법」 제22조",
    FindingKey.REQUESTS: "「개인정보 보호법」 제35조부터 제38조까지",
    FindingKey.ERASURE: "「개인정보 보호법」 제21조 및 제36조",
    FindingKey.INCIDENTS: "「개인정보 보호법」 제34조",
    FindingKey.POLICY: "「개인정보 보호법」 제30조",
}


class Status(StrEnum):
    """``ok``: activity and no breach; ``exceptions``: at least one duty broken; ``quiet``:
    nothing in the window to judge."""

    OK = "ok"
    EXCEPTIONS = "exceptions"
    QUIET = "quiet"


class Category(StrEnum):
    """Kinds of exception, each listed entry by entry."""

    TRANSFER_REFUSED = "transfer_refused"
    TRANSFER_WITHOUT_BASIS = "transfer_without_basis"
    BASIS_NOT_PERMITTED = "basis_not_permitted"
    NOTICE_UNRESOLVED = "notice_unresolved"
    SUSPENSION_BREACH = "suspension_breach"
    RECIPIENT_INELIGIBLE = "recipient_ineligible"
    CONSENT_WITHOUT_NOTICE = "consent_without_notice"
    REQUEST_LATE = "request_late"
    REQUEST_OVERDUE = "request_overdue"
    ERASURE_UNACKNOWLEDGED = "erasure_unacknowledged"
    ERASURE_ACKNOWLEDGED_LATE = "erasure_acknowledged_late"
    INCIDENT_LATE = "incident_late"
    INCIDENT_OVERDUE = "incident_overdue"

    @property
    def breach(self) -> bool:
        """Whether the category shows a duty broken; refusals and suspensions show the
        controls at work and are listed for the auditor, not held against the operator."""
        return self not in _NOT_BREACHES


_NOT_BREACHES = frozenset({Category.TRANSFER_REFUSED, Category.RECIPIENT_INELIGIBLE})


@dataclass(frozen=True)
class Figure:
    """One count, under a key the renderer labels (``allowed``, ``basis.SEPARATE_CONSENT``)."""

    key: str
    value: int


@dataclass(frozen=True)
class EvidenceEntry:
    """A ledger entry cited as evidence: its position, hash, and an inclusion proof when
    a signed checkpoint covers it (``proof`` is :meth:`InclusionProof.proof_fields`)."""

    shard: int
    seq: int
    kind: str
    at: datetime
    entry_hash: str
    detail: dict[str, str] = field(default_factory=dict)
    proof: dict[str, Any] | None = None

    @property
    def ledger_id(self) -> str:
        """The entry's stable name in the ledger, ``shard:seq``."""
        return f"{self.shard}:{self.seq}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "ledger_id": self.ledger_id,
            "shard": self.shard,
            "seq": self.seq,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "entry_hash": self.entry_hash,
            "detail": dict(self.detail),
            "proof": self.proof,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvidenceEntry:
        """The entry :meth:`to_dict` gave; KeyError, TypeError or ValueError if malformed."""
        proof = data["proof"]
        return cls(
            shard=read_integer(data["shard"]),
            seq=read_integer(data["seq"]),
            kind=read_text(data["kind"]),
            at=datetime.fromisoformat(read_text(data["at"])),
            entry_hash=read_text(data["entry_hash"]),
            detail=_texts(data["detail"]),
            proof=None if proof is None else dict(proof),
        )


def read_integer(value: Any) -> int:
    """A kept JSON value that must be an integer (not a boolean); TypeError otherwise."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value


def read_count(value: Any) -> int:
    """A kept JSON value that must be a count: a whole number, not negative."""
    if read_integer(value) < 0:
        raise TypeError("a count is a whole number")
    return int(value)


def read_text(value: Any) -> str:
    """A kept JSON value that must be text; TypeError otherwise."""
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _texts(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError("expected an object")
    return {read_text(key): read_text(item) for key, item in value.items()}


@dataclass(frozen=True)
class Irregularity:
    """One exception: what is wrong, and the entry that shows it (None when the fault is an
    absence, such as an erasure never acknowledged, shown by the entry that started it)."""

    category: Category
    at: datetime
    detail: dict[str, str]
    entry: EvidenceEntry | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "category": str(self.category),
            "at": self.at.isoformat(),
            "detail": dict(self.detail),
            "entry": None if self.entry is None else self.entry.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Irregularity:
        """The exception :meth:`to_dict` gave; KeyError, TypeError or ValueError if malformed."""
        entry = data["entry"]
        return cls(
            category=Category(data["category"]),
            at=datetime.fromisoformat(read_text(data["at"])),
            detail=_texts(data["detail"]),
            entry=None if entry is None else EvidenceEntry.from_dict(entry),
        )


@dataclass(frozen=True)
class Finding:
    """What the window shows for one article."""

    key: FindingKey
    figures: tuple[Figure, ...]
    samples: tuple[EvidenceEntry, ...]
    exceptions: tuple[Irregularity, ...]
    # Exceptions found in all; ``exceptions`` holds at most the report's listing limit.
    exception_count: int
    # How many of them show a duty broken (see :attr:`Category.breach`).
    breaches: int = 0

    @property
    def article(self) -> str:
        """The article this finding answers."""
        return ARTICLES[self.key]

    @property
    def status(self) -> Status:
        """Whether the window shows the duty kept, broken, or not exercised."""
        if self.breaches:
            return Status.EXCEPTIONS
        if any(f.value for f in self.figures):
            return Status.OK
        return Status.QUIET

    def figure(self, key: str) -> int:
        """The figure under ``key``, 0 when the finding has none."""
        return next((f.value for f in self.figures if f.key == key), 0)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "key": str(self.key),
            "article": self.article,
            "status": str(self.status),
            "figures": {f.key: f.value for f in self.figures},
            "samples": [s.to_dict() for s in self.samples],
            "exception_count": self.exception_count,
            "breaches": self.breaches,
            "exceptions": [e.to_dict() for e in self.exceptions],
        }


@dataclass(frozen=True)
class SeriesPoint:
    """Transfers decided in one month (``2026-07``) or to one country (``US``)."""

    label: str
    allowed: int
    refused: int


@dataclass(frozen=True)
class Integrity:
    """The ledger's own check of what the report relies on: whether it verifies, what it
    covered, and the checkpoint the proofs use.

    ``scope`` says what was verified: ``"window"``, the entries of the window's positions in
    each shard, recomputed and chained, proven included in the checkpoint; ``"days"``, the
    window's whole days as each was verified so and kept, signed, when a checkpoint covered
    it (the entries are not read again); ``"ledger"``, the whole ledger. ``entries`` counts
    the entries verified.
    """

    ok: bool
    entries: int
    first_bad: str | None
    checkpoint_sequence: int | None
    checkpoint_at: datetime | None
    # Entries of the window newer than the checkpoint, so without a proof yet.
    uncovered: int
    scope: str = "window"
    # Shards whose window entries one inclusion proof held to the checkpoint.
    shards_proven: int = 0
    # Shards verified whole because their archive files hold entries of the window.
    shards_whole: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "ok": self.ok,
            "scope": self.scope,
            "entries": self.entries,
            "first_bad": self.first_bad,
            "checkpoint_sequence": self.checkpoint_sequence,
            "checkpoint_at": None if self.checkpoint_at is None else self.checkpoint_at.isoformat(),
            "shards_proven": self.shards_proven,
            "shards_whole": self.shards_whole,
            "uncovered": self.uncovered,
        }


@dataclass(frozen=True)
class AuditReport:
    """The audit of ``[start, end)``: the window's entries, read from one snapshot."""

    start: datetime
    end: datetime
    generated_at: datetime
    controller: str | None
    entries: int
    findings: tuple[Finding, ...]
    by_month: tuple[SeriesPoint, ...]
    by_country: tuple[SeriesPoint, ...]
    integrity: Integrity

    def finding(self, key: FindingKey) -> Finding:
        """The finding for ``key``."""
        return next(f for f in self.findings if f.key == key)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, as ``GET /v1/audit`` answers and ``audit.json`` holds."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "controller": self.controller,
            "entries": self.entries,
            "integrity": self.integrity.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "by_month": [vars(p) for p in self.by_month],
            "by_country": [vars(p) for p in self.by_country],
        }
