"""The audit report: what the ledger shows for a window, article by article, with proof.

One read-only snapshot gives the window's entries, every suspension up to its end, the
notices they cite, the policy versions and the latest signed checkpoint, so the figures,
the samples and their inclusion proofs belong together. The ledger's own verification runs
beside it: a report over a ledger that does not verify says so on its first page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from gatehouse.domain.audit import AuditReport, EvidenceEntry, Finding, Integrity
from gatehouse.domain.audit_fold import AuditFold
from gatehouse.domain.audit_listing import AuditRules
from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.operator_profile import profile_from_content
from gatehouse.domain.suspension_spans import SUSPENSION_KINDS, SuspensionSpans
from gatehouse.ledger import Checkpoint, LedgerEntry
from gatehouse.services.ledger_proofs import prove
from gatehouse.services.ledger_verify import verify
from gatehouse.services.ports import Ledger
from gatehouse.services.ports_policy import StoredPolicy
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork

__all__ = ["MAX_WINDOW_DAYS", "Progress", "build_audit", "day_window"]

Progress = Callable[[int, int], None]
"""Called as ``progress(entries_read, entries_in_window)`` while the window is read."""

# Ten years: longer than any retention the law asks, and a bound on a mistyped year.
MAX_WINDOW_DAYS = 3660
_PROGRESS_EVERY = 10_000
_SUSPENSION_BATCH = 1000
# The pack whose deadlines judge erasure acknowledgements: the one the ledger's law names.
_JURISDICTION = "KR"


def day_window(first: date, last: date) -> tuple[datetime, datetime]:
    """Whole UTC days ``first`` to ``last``, both included, as ``[start, end)``."""
    return (
        datetime.combine(first, time(), UTC),
        datetime.combine(last + timedelta(days=1), time(), UTC),
    )


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("from and to must carry a time zone", code="invalid_window")
    if end <= start:
        raise InvalidInput("to must be after from", code="invalid_window")
    if (end - start).days > MAX_WINDOW_DAYS:
        raise InvalidInput(f"a report covers at most {MAX_WINDOW_DAYS} days", code="invalid_window")


def _spans(ledger: Ledger, end: datetime) -> SuspensionSpans:
    """Every suspension and resumption before ``end``, replayed in time order."""
    events: list[LedgerEntry] = []
    for kind in SUSPENSION_KINDS:
        after: tuple[int, int] | None = None
        while True:
            page = ledger.find(kind=kind, after=after, limit=_SUSPENSION_BATCH)
            events.extend(e for e in page if e.at < end)
            if len(page) < _SUSPENSION_BATCH:
                break
            after = (page[-1].shard, page[-1].seq)
    events.sort(key=lambda e: (e.at, e.shard, e.seq))
    spans = SuspensionSpans()
    for entry in events:
        target_type, suspended = SUSPENSION_KINDS[entry.kind]
        target = entry.payload.get("target")
        if not isinstance(target, str):
            target = entry.recipient_id if target_type == "recipient" else None
        if target:
            spans.add((target_type, target), suspended, entry.at)
    return spans


def _versions_in_force(history: Iterable[StoredPolicy], start: datetime, end: datetime) -> int:
    """Policy versions in force at some moment of ``[start, end)``."""
    count, next_effective = 0, None
    for policy in history:  # newest first
        if policy.effective_at < end and (next_effective is None or next_effective > start):
            count += 1
        next_effective = policy.effective_at
    return count


def _with_proofs(
    ledger: Ledger, checkpoint: Checkpoint | None, findings: tuple[Finding, ...]
) -> tuple[Finding, ...]:
    """Each sample with its inclusion proof, when the checkpoint covers it."""
    if checkpoint is None:
        return findings

    def covered(sample: EvidenceEntry) -> bool:
        head = checkpoint.head(sample.shard)
        return head is not None and sample.seq < head.size

    wanted = [(s.shard, s.seq) for f in findings for s in f.samples if covered(s)]
    proofs = prove(ledger, wanted)

    def proven(sample: EvidenceEntry) -> EvidenceEntry:
        proof = proofs.get((sample.shard, sample.seq))
        return sample if proof is None else replace(sample, proof=proof.proof_fields())

    return tuple(replace(f, samples=tuple(proven(s) for s in f.samples)) for f in findings)


def _controller(uow: UnitOfWork) -> str | None:
    stored = uow.operator_profiles.latest()
    return None if stored is None else profile_from_content(stored.content).legal_name


def build_audit(
    gh: Gatehouse, start: datetime, end: datetime, *, progress: Progress | None = None
) -> AuditReport:
    """The audit of ``[start, end)``; InvalidInput (``invalid_window``) for a bad window."""
    _check_window(start, end)
    pack = gh.packs.for_country(_JURISDICTION)
    rules = AuditRules(erasure_ack_days=pack.deadlines.erasure_ack_days)
    with gh.unit_of_work(read_only=True) as uow:
        ledger = uow.ledger
        total = ledger.count_window(start, end) if progress is not None else 0

        def notice_known(notice_hash: str) -> bool:
            return bool(uow.notices.by_hashes([notice_hash]))

        def kind_of(recipient_id: str) -> str | None:
            recipient = uow.recipients.get(recipient_id)
            return None if recipient is None else recipient.kind.value

        fold = AuditFold(
            start,
            end,
            _spans(ledger, end),
            notice_known,
            rules,
            bases={
                code: (frozenset(basis.flows), frozenset(basis.kinds))
                for code, basis in pack.bases.items()
            },
            kind_of=kind_of,
        )
        checkpoint = ledger.latest_checkpoint()
        uncovered = 0
        for shard in ledger.shards_with_entries():
            head = None if checkpoint is None else checkpoint.head(shard)
            covered_size = 0 if head is None else head.size
            for entry in ledger.stream_window(shard, start, end):
                fold.add(entry)
                uncovered += entry.seq >= covered_size
                if progress is not None and fold.entries % _PROGRESS_EVERY == 0:
                    progress(fold.entries, total)
        findings = fold.findings(
            policy_versions=_versions_in_force(uow.policies.history(), start, end)
        )
        findings = _with_proofs(ledger, checkpoint, findings)
        controller = _controller(uow)
    if progress is not None:
        progress(fold.entries, total)
    checked = verify(gh)
    bad = checked.first_bad
    integrity = Integrity(
        ok=checked.ok,
        entries=checked.entries,
        first_bad=None if bad is None else f"{bad.shard}:{bad.seq} {bad.reason}",
        checkpoint_sequence=None if checkpoint is None else checkpoint.sequence,
        checkpoint_at=None if checkpoint is None else checkpoint.at,
        uncovered=uncovered,
    )
    return AuditReport(
        start=start,
        end=end,
        generated_at=gh.clock(),
        controller=controller,
        entries=fold.entries,
        findings=findings,
        by_month=fold.by_month(),
        by_country=fold.by_country(),
        integrity=integrity,
    )
