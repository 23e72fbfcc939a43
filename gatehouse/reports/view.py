"""The audit report as the template reads it: every label translated, every number formatted.

The template only lays out what this module gives it, so what a reader sees (which label a
figure gets, when "N more" is shown, how a proof is described) is decided here, in Python,
where it is typed and tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from babel.support import Translations
from markupsafe import Markup

from gatehouse.domain.audit import (
    AuditReport,
    EvidenceEntry,
    Finding,
    Integrity,
    SeriesPoint,
    Status,
)
from gatehouse.domain.policy import RulePack
from gatehouse.reports.charts import Pair, pair_chart
from gatehouse.reports.countries import country_label
from gatehouse.reports.i18n import N_, format_count, format_day, format_when, last_day
from gatehouse.reports.labels import category_label, figure_label, finding_title, is_breach

__all__ = [
    "ChartView",
    "EvidenceView",
    "ExceptionView",
    "FigureView",
    "FindingView",
    "ReportView",
    "build_view",
]

# How much of an entry hash the tables show; the whole hash is in audit.json and the bundle.
_HASH_SHOWN = 16
# Figures shown beside a finding in the summary table: the ones without a code after a dot,
# which every window has, so the summary stays one line per article.
_SUMMARY_FIGURES = 3
# Exceptions the document lists per finding; audit.json lists more, up to the model's limit.
EXCEPTIONS_SHOWN = 100


@dataclass(frozen=True)
class FigureView:
    """One labelled count."""

    key: str
    label: str
    value: str


@dataclass(frozen=True)
class EvidenceView:
    """A ledger entry as cited in a table."""

    ledger_id: str
    kind: str
    at: str
    hash_short: str
    entry_hash: str
    proof: str | None


@dataclass(frozen=True)
class ExceptionView:
    """One exception, with the ledger entry that shows it when there is one."""

    category: str
    # False for a refusal or an ineligible recipient: the controls at work, listed for the
    # auditor but not counted against the operator.
    breach: bool
    at: str
    details: tuple[tuple[str, str], ...]
    ledger_id: str | None


@dataclass(frozen=True)
class FindingView:
    """One article's section."""

    key: str
    title: str
    article: str
    status: str
    status_text: str
    figures: tuple[FigureView, ...]
    summary: tuple[FigureView, ...]
    samples: tuple[EvidenceView, ...]
    exceptions: tuple[ExceptionView, ...]
    more_text: str | None


@dataclass(frozen=True)
class ChartView:
    """A chart and the same numbers as table rows (label, allowed, refused)."""

    svg: Markup
    rows: tuple[tuple[str, str, str], ...]
    total: tuple[str, str]


@dataclass(frozen=True)
class ReportView:
    """Everything the template shows, in the reader's language."""

    locale: str
    controller: str | None
    window: str
    window_bounds: str
    generated_at: str
    entries: str
    integrity_ok: bool
    # What the verdict says was checked, and whether that was the whole ledger or the window.
    integrity_verdict: str
    whole_ledger: bool
    verified_scope: str
    verified: str
    # Shown only when the window's entries were read for this report, not its kept days.
    shards_proven: str | None
    # Shown only when some shards had to be verified whole (archived entries of the period).
    shards_whole: str | None
    first_bad: str | None
    checkpoint: str | None
    uncovered: str
    findings: tuple[FindingView, ...]
    by_month: ChartView
    by_country: ChartView


class _Words:
    """Translation and formatting for one locale."""

    def __init__(self, catalog: Translations, locale: str) -> None:
        self.catalog = catalog
        self.locale = locale

    def __call__(self, message: str, **values: object) -> str:
        text = self.catalog.gettext(message)
        return text % values if values else text

    def count(self, value: int) -> str:
        return format_count(value, self.locale)


def _evidence(entry: EvidenceEntry, words: _Words) -> EvidenceView:
    proof = None
    if entry.proof is not None:
        proof = words(
            N_("Checkpoint #%(sequence)s, tree size %(size)s"),
            sequence=entry.proof.get("checkpoint_sequence", "?"),
            size=entry.proof.get("tree_size", "?"),
        )
    return EvidenceView(
        ledger_id=entry.ledger_id,
        kind=entry.kind,
        at=format_when(entry.at),
        hash_short=entry.entry_hash[:_HASH_SHOWN],
        entry_hash=entry.entry_hash,
        proof=proof,
    )


def _status_text(finding: Finding, words: _Words) -> str:
    if finding.status is Status.EXCEPTIONS:
        count = finding.breaches
        text = words.catalog.ngettext("%(num)s exception", "%(num)s exceptions", count)
        return text % {"num": words.count(count)}
    if finding.status is Status.OK:
        return words(N_("No exceptions"))
    return words(N_("No activity in the period"))


def _finding(finding: Finding, words: _Words) -> FindingView:
    figures = tuple(
        FigureView(f.key, figure_label(finding.key, f.key, words), words.count(f.value))
        for f in finding.figures
    )
    shown = finding.exceptions[:EXCEPTIONS_SHOWN]
    in_json = len(finding.exceptions) - len(shown)
    beyond = finding.exception_count - len(finding.exceptions)
    notes = []
    if in_json > 0:
        text = words.catalog.ngettext(
            "%(num)s more exception is listed in audit.json.",
            "%(num)s more exceptions are listed in audit.json.",
            in_json,
        )
        notes.append(text % {"num": words.count(in_json)})
    if beyond > 0:
        text = words.catalog.ngettext(
            "%(num)s more is counted but not listed; the evidence bundle "
            "(gatehouse export) holds every entry.",
            "%(num)s more are counted but not listed; the evidence bundle "
            "(gatehouse export) holds every entry.",
            beyond,
        )
        notes.append(text % {"num": words.count(beyond)})
    more_text = " ".join(notes) or None
    return FindingView(
        key=str(finding.key),
        title=finding_title(finding.key, words),
        article=finding.article,
        status=str(finding.status),
        status_text=_status_text(finding, words),
        figures=figures,
        summary=tuple(f for f in figures if "." not in f.key)[:_SUMMARY_FIGURES],
        samples=tuple(_evidence(s, words) for s in finding.samples),
        exceptions=tuple(
            ExceptionView(
                category=category_label(e.category, words),
                breach=is_breach(e.category),
                at=format_when(e.at),
                details=tuple(sorted(e.detail.items())),
                ledger_id=None if e.entry is None else e.entry.ledger_id,
            )
            for e in shown
        ),
        more_text=more_text,
    )


def _verdict(integrity: Integrity, w: _Words) -> str:
    """The verdict, saying what was checked and no more."""
    if integrity.scope == "ledger":
        if integrity.ok:
            return w(
                N_(
                    "The ledger verifies: every entry's hash and its link to the entry "
                    "before it check out."
                )
            )
        return w(N_("The ledger does not verify."))
    if not integrity.ok:
        return w(N_("The period's ledger entries do not verify."))
    if integrity.scope == "days":
        return w(
            N_(
                "The period's ledger entries were verified day by day, as each day was kept: "
                "each entry's hash was recomputed from its content and its link to the entry "
                "before it checked, and the day's entries were proven included in a signed "
                "checkpoint. Each day's result is signed with the ledger's key, and every "
                "signature checks out. The entries were not read again for this report; "
                "gatehouse ledger verify checks that none has changed since."
            )
        )
    held = integrity.shards_proven or integrity.shards_whole
    if held and integrity.checkpoint_sequence is not None:
        return w(
            N_(
                "The period's ledger entries verify: each entry's hash was recomputed from "
                "its content and its link to the entry before it checks out, and those that "
                "signed checkpoint #%(sequence)s covers are proven included in it by an "
                "inclusion proof."
            ),
            sequence=integrity.checkpoint_sequence,
        )
    return w(
        N_(
            "The period's ledger entries verify: each entry's hash was recomputed from its "
            "content and its link to the entry before it checks out. No signed checkpoint "
            "covers them yet, so none is proven included in one."
        )
    )


def _scope(integrity: Integrity, w: _Words) -> str:
    """What the check covered, in words."""
    if integrity.scope == "ledger":
        return w(N_("The whole ledger"))
    if integrity.scope == "days":
        return w(
            N_(
                "The period's days: each day's entries, verified when the day was kept "
                "against the signed checkpoint of that time, and the day's signed result"
            )
        )
    return w(
        N_(
            "The period's entries: in each ledger shard, every entry from the "
            "period's first to its last, and the entry just before and just after them"
        )
    )


def _chart(
    points: Sequence[SeriesPoint], labels: Sequence[str], chart_id: str, title: str, w: _Words
) -> ChartView:
    allowed, refused = w(N_("Allowed")), w(N_("Refused"))
    description = "; ".join(
        w(
            N_("%(label)s: allowed %(allowed)s, refused %(refused)s"),
            label=label,
            allowed=w.count(p.allowed),
            refused=w.count(p.refused),
        )
        for label, p in zip(labels, points, strict=True)
    ) or w(N_("No transfers in the period"))
    svg = pair_chart(
        [Pair(label, p.allowed, p.refused) for label, p in zip(labels, points, strict=True)],
        chart_id=chart_id,
        title=title,
        description=description,
        first=allowed,
        second=refused,
    )
    rows = tuple(
        (label, w.count(p.allowed), w.count(p.refused))
        for label, p in zip(labels, points, strict=True)
    )
    total = (w.count(sum(p.allowed for p in points)), w.count(sum(p.refused for p in points)))
    return ChartView(svg=svg, rows=rows, total=total)


def build_view(
    report: AuditReport, catalog: Translations, locale: str, pack: RulePack | None
) -> ReportView:
    """The report in ``locale``, ready for the template."""
    w = _Words(catalog, locale)
    integrity = report.integrity
    checkpoint = None
    if integrity.checkpoint_sequence is not None:
        checkpoint = f"#{integrity.checkpoint_sequence}"
        if integrity.checkpoint_at is not None:
            checkpoint += f" ({format_when(integrity.checkpoint_at)})"
    countries = [country_label(p.label, locale, pack) for p in report.by_country]
    return ReportView(
        locale=locale,
        controller=report.controller,
        window=w(
            N_("%(first)s to %(last)s"),
            first=format_day(report.start, locale),
            last=format_day(last_day(report.end), locale),
        ),
        window_bounds=w(
            N_("Entries from %(start)s up to, not including, %(end)s"),
            start=format_when(report.start),
            end=format_when(report.end),
        ),
        generated_at=format_when(report.generated_at),
        entries=w.count(report.entries),
        integrity_ok=integrity.ok,
        integrity_verdict=_verdict(integrity, w),
        whole_ledger=integrity.scope == "ledger",
        verified_scope=_scope(integrity, w),
        verified=w.count(integrity.entries),
        shards_proven=None if integrity.scope == "days" else w.count(integrity.shards_proven),
        shards_whole=w.count(integrity.shards_whole) if integrity.shards_whole else None,
        first_bad=integrity.first_bad,
        checkpoint=checkpoint,
        uncovered=w.count(integrity.uncovered),
        findings=tuple(_finding(f, w) for f in report.findings),
        by_month=_chart(
            report.by_month,
            [p.label for p in report.by_month],
            "audit-by-month",
            w(N_("Transfers allowed and refused, by month")),
            w,
        ),
        by_country=_chart(
            report.by_country,
            countries,
            "audit-by-country",
            w(N_("Transfers allowed and refused, by destination country")),
            w,
        ),
    )
