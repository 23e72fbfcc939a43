"""What the audit's folds share: the entry they read, the limits, and one finding's tally."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from gatehouse.domain.audit import (
    Category,
    EvidenceEntry,
    Figure,
    Finding,
    FindingKey,
    Irregularity,
    read_count,
)

__all__ = [
    "FIGURE_ORDER",
    "AuditEntry",
    "AuditRules",
    "Listing",
    "evidence_of",
    "parse_time",
    "text_of",
]


class AuditEntry(Protocol):
    """What the fold reads of a ledger entry (:class:`gatehouse.ledger.LedgerEntry` has it)."""

    @property
    def shard(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def recipient_id(self) -> str | None: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def entry_hash(self) -> str: ...


@dataclass(frozen=True)
class AuditRules:
    """The limits of one report and the pack's deadlines it judges by."""

    # Exceptions kept per finding; the count goes on past it.
    listing_limit: int = 10_000
    samples: int = 3
    erasure_ack_days: int = 10


def text_of(value: Any) -> str:
    """A payload value that should be text, or "" when it is not."""
    return value if isinstance(value, str) else ""


def evidence_of(entry: AuditEntry, detail: dict[str, str]) -> EvidenceEntry:
    """The entry as evidence, with the ids and codes that say what it shows."""
    return EvidenceEntry(entry.shard, entry.seq, entry.kind, entry.at, entry.entry_hash, detail)


def parse_time(value: Any) -> datetime | None:
    """A payload's ISO time, or None when it is missing or malformed."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _position(sample: EvidenceEntry) -> tuple[datetime, int, int]:
    return (sample.at, sample.shard, sample.seq)


def _exception_order(
    exception: Irregularity,
) -> tuple[datetime, int, int, str, tuple[tuple[str, str], ...]]:
    # Time first; entries of one instant in their chain order, so the listing is stable; the
    # detail last, so that two exceptions judged at one moment with no entry sort one way too.
    entry = exception.entry
    position = (-1, -1) if entry is None else (entry.shard, entry.seq)
    detail = tuple(sorted(exception.detail.items()))
    return (exception.at, *position, str(exception.category), detail)


@dataclass
class Listing:
    """One finding's counters, samples and exceptions."""

    rules: AuditRules
    counts: Counter[str] = field(default_factory=Counter)
    samples: list[EvidenceEntry] = field(default_factory=list)
    exceptions: list[Irregularity] = field(default_factory=list)
    exception_count: int = 0
    breaches: int = 0
    # The position of the latest sample kept, once the samples are full.
    _latest: tuple[datetime, int, int] = field(default=(datetime.max, 0, 0), repr=False)

    def wants(self, entry: AuditEntry) -> bool:
        """Whether ``entry`` would be kept as a sample: cheap, so a caller builds the
        sample's detail only when it will be kept."""
        if len(self.samples) < self.rules.samples:
            return self.rules.samples > 0
        return (entry.at, entry.shard, entry.seq) < self._latest

    def sample(self, entry: AuditEntry, detail: dict[str, str]) -> None:
        """Keep ``entry`` as evidence if it is among the finding's earliest, so the samples
        do not depend on the order the entries came in."""
        if not self.wants(entry):
            return
        samples = self.samples
        if len(samples) < self.rules.samples:
            samples.append(evidence_of(entry, detail))
        else:
            latest = max(range(len(samples)), key=lambda i: _position(samples[i]))
            samples[latest] = evidence_of(entry, detail)
        if len(samples) == self.rules.samples:
            self._latest = max(_position(s) for s in samples)

    def flag(
        self, category: Category, at: datetime, detail: dict[str, str], entry: EvidenceEntry | None
    ) -> None:
        """Count an exception, and list it if it is among the earliest ``listing_limit``, so
        that the listing, like the samples, does not depend on the order the entries came in."""
        self.exception_count += 1
        self.breaches += category.breach
        if self.rules.listing_limit <= 0:
            return
        self.exceptions.append(Irregularity(category, at, detail, entry))
        # Cut back now and then, not at every flag: the list stays within twice the limit.
        if len(self.exceptions) >= 2 * self.rules.listing_limit:
            self._keep_earliest()

    def merge(self, other: Listing) -> None:
        """Take in ``other``'s tally, made of entries this listing has not seen: the counts
        add up, and the samples and listed exceptions stay the earliest of both, as if every
        entry had come here."""
        if other.rules != self.rules:
            raise ValueError("only listings kept by the same rules merge")
        self.counts.update(other.counts)
        self.exception_count += other.exception_count
        self.breaches += other.breaches
        self.samples = sorted([*self.samples, *other.samples], key=_position)[: self.rules.samples]
        if self.samples and len(self.samples) == self.rules.samples:
            self._latest = max(_position(s) for s in self.samples)
        if self.rules.listing_limit > 0:
            self.exceptions.extend(other.exceptions)
            if len(self.exceptions) >= 2 * self.rules.listing_limit:
                self._keep_earliest()

    def to_state(self) -> dict[str, Any]:
        """The tally as JSON, to be kept and merged later (:meth:`merge_state`)."""
        self._keep_earliest()
        return {
            "counts": dict(self.counts),
            "samples": [sample.to_dict() for sample in self.samples],
            "exceptions": [exception.to_dict() for exception in self.exceptions],
            "exception_count": self.exception_count,
            "breaches": self.breaches,
        }

    def merge_state(self, state: Mapping[str, Any], *, bound_for: Listing | None = None) -> None:
        """:meth:`merge` the tally :meth:`to_state` gave, kept by the same rules; KeyError,
        TypeError or ValueError, and nothing merged, if it is malformed. ``bound_for`` is the
        listing this one will be merged into, when not this one: its exceptions decide which
        of the kept ones could still be listed."""
        counts = state["counts"]
        other = Listing(
            self.rules,
            counts=Counter({str(key): read_count(value) for key, value in counts.items()}),
            samples=[EvidenceEntry.from_dict(sample) for sample in state["samples"]],
            exceptions=(bound_for or self)._listable(state["exceptions"]),
            exception_count=read_count(state["exception_count"]),
            breaches=read_count(state["breaches"]),
        )
        if len(other.samples) > self.rules.samples:
            raise ValueError("a kept tally holds more samples than its rules keep")
        self.merge(other)

    def _listable(self, kept: Sequence[Mapping[str, Any]]) -> list[Irregularity]:
        """The kept exceptions (earliest first, as :meth:`to_state` wrote them) that could
        still be listed here: none once this listing is full up to an exception earlier
        than their first, so a month's later days are counted but not read one by one."""
        if not kept or self.rules.listing_limit <= 0:
            return []
        first = Irregularity.from_dict(kept[0])
        if len(self.exceptions) >= self.rules.listing_limit:
            self._keep_earliest()
            if _exception_order(first) >= _exception_order(self.exceptions[-1]):
                return []
        return [first, *(Irregularity.from_dict(item) for item in kept[1:])]

    def _keep_earliest(self) -> None:
        self.exceptions.sort(key=_exception_order)
        del self.exceptions[self.rules.listing_limit :]

    def finding(self, key: FindingKey, order: tuple[str, ...]) -> Finding:
        """The finding: ``order``'s figures first, then any code the data brought."""
        # The declared keys first, always shown; keys found in the data (codes) after them.
        extra = sorted(k for k in self.counts if k not in order)
        figures = tuple(Figure(k, self.counts[k]) for k in (*order, *extra))
        self._keep_earliest()
        return Finding(
            key,
            figures,
            tuple(sorted(self.samples, key=_position)),
            tuple(self.exceptions),
            self.exception_count,
            self.breaches,
        )


# The figures each finding always shows, in order.
FIGURE_ORDER: dict[FindingKey, tuple[str, ...]] = {
    FindingKey.BASIS: ("allowed", "refused", "without_basis", "basis_not_permitted"),
    FindingKey.NOTICE: (
        "allowed",
        "consent_based",
        "with_notice",
        "disclosure_based",
        "notices",
        "unresolved",
    ),
    FindingKey.SUSPENSION: (
        "suspensions",
        "resumptions",
        "transfers_checked",
        "breaches",
        "refused_while_suspended",
    ),
    FindingKey.CONSENT: ("granted", "refused", "withdrawn", "notices", "without_notice"),
    FindingKey.REQUESTS: ("created", "resolved", "on_time", "late", "open_overdue", "open_in_time"),
    FindingKey.ERASURE: (
        "deletions",
        "erasure_notices",
        "acknowledged",
        "acknowledged_late",
        "unacknowledged",
        "escalated",
    ),
    FindingKey.INCIDENTS: (
        "opened",
        "report_required",
        "notified_on_time",
        "notified_late",
        "overdue",
    ),
    FindingKey.POLICY: ("published", "versions"),
}
