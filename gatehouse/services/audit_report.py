"""The audit report: what the ledger shows for a window, article by article, with proof.

One read-only snapshot gives the window's entries, every suspension up to its end, the
notices they cite, the policy versions and the latest signed checkpoint, so the figures,
the samples and their inclusion proofs belong together. A calendar month that is settled
reads its one signed row (:mod:`audit_months`), a window of whole days that are all kept
merges their signed folds (:mod:`audit_days`), and neither reads its entries; any other
window's entries are verified in the same pass that folds them (:mod:`audit_window`): each
recomputed and chained, and proven included in the signed checkpoint, so a report whose
entries do not verify says so on its first page. The rest of the ledger is ``gatehouse
ledger verify``'s to check. The fold and the window's verification read from the read
replica when there is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from gatehouse.domain.audit import AuditReport, EvidenceEntry, Finding, Integrity
from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.operator_profile import profile_from_content
from gatehouse.ledger import Checkpoint, VerifyResult, verify_checkpoint
from gatehouse.services.audit_months import KeptAudit, kept_window
from gatehouse.services.audit_window import Progress, fold_window
from gatehouse.services.ledger_proofs import prove
from gatehouse.services.ledger_verify import verify
from gatehouse.services.ledger_window import window_evidence
from gatehouse.services.ports import Ledger
from gatehouse.services.ports_policy import StoredPolicy
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork

__all__ = ["MAX_WINDOW_DAYS", "Progress", "build_audit", "day_window"]

# Ten years: longer than any retention the law asks, and a bound on a mistyped year.
MAX_WINDOW_DAYS = 3660


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


def _versions_in_force(history: Iterable[StoredPolicy], start: datetime, end: datetime) -> int:
    """Policy versions in force at some moment of ``[start, end)``."""
    count, next_effective = 0, None
    for policy in history:  # newest first
        if policy.effective_at < end and (next_effective is None or next_effective > start):
            count += 1
        next_effective = policy.effective_at
    return count


def _with_proofs(
    ledger: Ledger,
    checkpoint: Checkpoint | None,
    findings: tuple[Finding, ...],
    archive_dir: Path | None,
) -> tuple[Finding, ...]:
    """Each sample with its inclusion proof, when the checkpoint covers it."""
    if checkpoint is None:
        return findings

    def covered(sample: EvidenceEntry) -> bool:
        head = checkpoint.head(sample.shard)
        return head is not None and sample.seq < head.size

    wanted = [(s.shard, s.seq) for f in findings for s in f.samples if covered(s)]
    proofs = prove(ledger, wanted, archive_dir)

    def proven(sample: EvidenceEntry) -> EvidenceEntry:
        proof = proofs.get((sample.shard, sample.seq))
        return sample if proof is None else replace(sample, proof=proof.proof_fields())

    return tuple(replace(f, samples=tuple(proven(s) for s in f.samples)) for f in findings)


def _signed(checkpoint: Checkpoint | None, keys: Iterable[str]) -> bool:
    return checkpoint is not None and any(verify_checkpoint(checkpoint, key) for key in keys)


def _controller(uow: UnitOfWork) -> str | None:
    stored = uow.operator_profiles.latest()
    return None if stored is None else profile_from_content(stored.content).legal_name


def build_audit(
    gh: Gatehouse,
    start: datetime,
    end: datetime,
    *,
    progress: Progress | None = None,
    full: bool = False,
    from_entries: bool = False,
    listed: int | None = None,
) -> AuditReport:
    """The audit of ``[start, end)``; InvalidInput (``invalid_window``) for a bad window.

    A settled calendar month reads its row (:mod:`audit_months`), and a window of whole days
    that are all kept merges their folds (:mod:`audit_days`), at the cost of its days, not
    of their entries. Any other window's entries (and, with
    ``from_entries``, every window's) are verified as they are folded, in one pass:
    recomputed, chained and proven included in the latest signed checkpoint
    (:mod:`ledger_window`), at the cost of the window, not of the ledger. ``full`` folds the
    entries too, also runs ``gatehouse ledger verify``'s check of the whole ledger, and the
    report then says so. ``listed`` lists each finding's earliest exceptions only (every one
    is still counted), as a page that shows the first rows asks: a settled month then reads
    no more of its listing than that; None lists all that the rules keep.
    """
    _check_window(start, end)
    if listed is not None and listed < 0:
        raise InvalidInput("listed must not be negative", code="invalid_listing")
    evidence = window_evidence(gh)
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        ledger = uow.ledger
        checkpoint = ledger.latest_checkpoint()
        kept = KeptAudit(None)
        if not (full or from_entries) and _signed(checkpoint, evidence.keys):
            kept = kept_window(gh, uow, start, end, checkpoint, set(evidence.keys), listed=listed)
        if kept.audit is not None:
            settled, scope = kept.audit, "days"
            result = VerifyResult(ok=True, entries=settled.entries, first_bad=None)
            uncovered, proven, whole = 0, 0, 0
        else:
            folded = fold_window(gh, uow, start, end, checkpoint, evidence, progress=progress)
            settled, scope, result = folded.fold.settle(), "window", folded.checked.result
            uncovered = folded.uncovered
            proven, whole = len(folded.checked.proven), len(folded.checked.whole)
        findings = settled.findings(
            policy_versions=_versions_in_force(uow.policies.history(), start, end), listed=listed
        )
        if result.ok and kept.problem is None:
            # Proofs from a ledger that does not verify would prove nothing; the report
            # names its first bad entry instead.
            findings = _with_proofs(ledger, checkpoint, findings, gh.archive_dir)
        controller = _controller(uow)
    if full:
        whole_ledger = verify(gh)
        scope = "ledger"
        # The window's own problem, when there is one, is the one the report relies on.
        result = whole_ledger if result.ok else result
    bad = result.first_bad
    first_bad = None if bad is None else f"{bad.shard}:{bad.seq} {bad.reason}"
    integrity = Integrity(
        # A kept day changed in the database is evidence, even though the report was then
        # made from the entries themselves.
        ok=result.ok and kept.problem is None,
        entries=result.entries,
        first_bad=kept.problem or first_bad,
        checkpoint_sequence=None if checkpoint is None else checkpoint.sequence,
        checkpoint_at=None if checkpoint is None else checkpoint.at,
        uncovered=uncovered,
        scope=scope,
        shards_proven=proven,
        shards_whole=whole,
    )
    return AuditReport(
        start=start,
        end=end,
        generated_at=gh.clock(),
        controller=controller,
        entries=settled.entries,
        findings=findings,
        by_month=settled.by_month(),
        by_country=settled.by_country(),
        integrity=integrity,
    )
