"""Folds a window's ledger entries, in any order, into the audit's findings.

One pass, one handler per entry kind: the transfers here (basis, notice, suspensions, the
series by month and country), the duties around them in :mod:`gatehouse.domain.audit_duties`.
Everything is judged as of the window's end: a request still open then and past its due
date is overdue, even if it was answered later. The folds of the days of a window merge
into the fold of the window (:meth:`AuditFold.merge`), with the same findings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from gatehouse.domain.audit import Category, Finding, FindingKey, SeriesPoint, read_count
from gatehouse.domain.audit_duties import DutyFold
from gatehouse.domain.audit_listing import (
    AuditEntry,
    AuditRules,
    Listing,
    evidence_of,
    text_of,
)
from gatehouse.domain.audit_settled import SettledAudit, by_country, by_month
from gatehouse.domain.suspension_spans import SUSPENSION_KINDS, SuspensionSpans

__all__ = ["STATE_FORMAT", "AuditFold", "BasisRules"]

BasisRules = Mapping[str, tuple[frozenset[str], frozenset[str]]]
"""Each lawful basis of the pack -> (the flows, the recipient kinds) it may justify."""

STATE_FORMAT = 1
"""The version of :meth:`AuditFold.to_state`'s form, which kept folds carry."""

_CONSENT_BASIS = "SEPARATE_CONSENT"


def _never_asked(_: str) -> bool:
    # A fold read back is only merged: no entry is added to it, so nothing is looked up.
    raise AssertionError("a kept fold takes no entries")


_SUSPENDED_REFUSALS = frozenset({"recipient_suspended", "country_suspended"})


class _TransferDetail:
    """A transfer's detail for evidence, built only if some finding keeps it."""

    __slots__ = ("_basis", "_country", "_entry")

    def __init__(self, entry: AuditEntry, country: str, basis: str) -> None:
        self._entry, self._country, self._basis = entry, country, basis

    def of(self) -> dict[str, str]:
        """The detail: the transfer, its recipient, country and basis."""
        return {
            "transfer_id": text_of(self._entry.payload.get("transfer_id")),
            "recipient_id": self._entry.recipient_id or "",
            "country": self._country,
            "basis": self._basis,
        }


class AuditFold:
    """Add each entry of ``[start, end)`` once; then read :meth:`findings` and the series.

    ``spans`` holds every suspension up to ``end``, so a transfer is judged against
    suspensions that began before the window too. ``notice_known`` says whether a notice
    hash names a stored notice; it is asked once per distinct hash. With ``bases`` (the
    pack's) and ``kind_of`` (a recipient's kind), each allowed transfer's basis is checked
    again: a code the pack has, for the transfer's flow and the recipient's kind, so the
    audit does not take the gateway's word for it.
    """

    def __init__(
        self,
        start: datetime,
        end: datetime,
        spans: SuspensionSpans,
        notice_known: Callable[[str], bool],
        rules: AuditRules | None = None,
        *,
        bases: BasisRules | None = None,
        kind_of: Callable[[str], str | None] = lambda _: None,
    ) -> None:
        self.start, self.end, self.rules = start, end, rules or AuditRules()
        self._spans = spans
        self._notice_known = notice_known
        self._known: dict[str, bool] = {}
        self._bases = bases
        # Asked once per allowed transfer: the caller's lookup keeps its own cache.
        self._kind_of = kind_of
        self._listings = {key: Listing(self.rules) for key in FindingKey}
        self._duties = DutyFold(self._listings, self.rules)
        self.entries = 0
        self._result: SettledAudit | None = None
        self._months: dict[str, list[int]] = {}
        self._countries: dict[str, list[int]] = {}
        self._handlers: dict[str, Callable[[AuditEntry], None]] = {
            "transfer.allowed": self._allowed,
            "transfer.refused": self._refused,
            **self._duties.handlers(),
            **dict.fromkeys(SUSPENSION_KINDS, self._suspension),
        }

    def add(self, entry: AuditEntry) -> None:
        """Count one entry of the window."""
        self.entries += 1
        handler = self._handlers.get(entry.kind)
        if handler is not None:
            handler(entry)

    # -- transfers ----------------------------------------------------------------------

    def read_count(self, entry: AuditEntry, country: str, allowed: bool) -> None:
        at = entry.at
        month = self._months.setdefault(f"{at.year:04d}-{at.month:02d}", [0, 0])
        by_country = self._countries.setdefault(country or "??", [0, 0])
        column = 0 if allowed else 1
        month[column] += 1
        by_country[column] += 1

    def _allowed(self, entry: AuditEntry) -> None:
        payload = entry.payload
        basis = text_of(payload.get("basis"))
        country = text_of(payload.get("country"))
        self.read_count(entry, country, True)
        detail = _TransferDetail(entry, country, basis)
        basis_listing = self._listings[FindingKey.BASIS]
        basis_listing.counts["allowed"] += 1
        if basis:
            basis_listing.counts[f"basis.{basis}"] += 1
            flow = text_of(payload.get("flow"))
            if self._permitted(basis, flow, entry.recipient_id):
                if basis_listing.wants(entry):
                    basis_listing.sample(entry, detail.of())
            else:
                basis_listing.counts["basis_not_permitted"] += 1
                cited = {**detail.of(), "flow": flow}
                basis_listing.flag(
                    Category.BASIS_NOT_PERMITTED, entry.at, cited, evidence_of(entry, cited)
                )
        else:
            basis_listing.counts["without_basis"] += 1
            flagged = detail.of()
            basis_listing.flag(
                Category.TRANSFER_WITHOUT_BASIS, entry.at, flagged, evidence_of(entry, flagged)
            )
        self._notice(entry, basis, detail)
        self._suspended(entry, country, detail)

    def _permitted(self, basis: str, flow: str, recipient_id: str | None) -> bool:
        if self._bases is None:
            return True
        rule = self._bases.get(basis)
        if rule is None or flow not in rule[0]:
            return False
        if recipient_id is None:
            return False
        return self._kind_of(recipient_id) in rule[1]

    def _notice(self, entry: AuditEntry, basis: str, detail: _TransferDetail) -> None:
        listing = self._listings[FindingKey.NOTICE]
        listing.counts["allowed"] += 1
        listing.counts["consent_based" if basis == _CONSENT_BASIS else "disclosure_based"] += 1
        notice_hash = text_of(entry.payload.get("notice_hash"))
        known = self._known.get(notice_hash) if notice_hash else False
        if known is None:
            known = self._known[notice_hash] = self._notice_known(notice_hash)
        if known:
            listing.counts["with_notice"] += 1
            if listing.wants(entry):
                listing.sample(entry, {**detail.of(), "notice_hash": notice_hash})
        elif notice_hash or basis == _CONSENT_BASIS:
            # A consent names the notice it answered; a transfer on it must too.
            listing.counts["unresolved"] += 1
            cited = {**detail.of(), "notice_hash": notice_hash}
            listing.flag(Category.NOTICE_UNRESOLVED, entry.at, cited, evidence_of(entry, cited))

    def _suspended(self, entry: AuditEntry, country: str, detail: _TransferDetail) -> None:
        listing = self._listings[FindingKey.SUSPENSION]
        listing.counts["transfers_checked"] += 1
        for target in (("recipient", entry.recipient_id or ""), ("country", country)):
            since = self._spans.covering(target, entry.at) if target[1] else None
            if since is not None:
                listing.counts["breaches"] += 1
                found = {
                    **detail.of(),
                    "suspended": f"{target[0]}:{target[1]}",
                    "since": since.isoformat(),
                }
                listing.flag(Category.SUSPENSION_BREACH, entry.at, found, evidence_of(entry, found))

    def _refused(self, entry: AuditEntry) -> None:
        payload = entry.payload
        reason = text_of(payload.get("refusal")) or "unknown"
        country = text_of(payload.get("country"))
        self.read_count(entry, country, False)
        listing = self._listings[FindingKey.BASIS]
        listing.counts["refused"] += 1
        listing.counts[f"refused.{reason}"] += 1
        detail = {
            "transfer_id": text_of(payload.get("transfer_id")),
            "recipient_id": entry.recipient_id or "",
            "country": country,
            "reason": reason,
        }
        listing.flag(Category.TRANSFER_REFUSED, entry.at, detail, evidence_of(entry, detail))
        if reason in _SUSPENDED_REFUSALS:
            self._listings[FindingKey.SUSPENSION].counts["refused_while_suspended"] += 1

    def _suspension(self, entry: AuditEntry) -> None:
        target_type, suspended = SUSPENSION_KINDS[entry.kind]
        listing = self._listings[FindingKey.SUSPENSION]
        detail = {"target_type": target_type, "target": text_of(entry.payload.get("target"))}
        if suspended:
            listing.counts["suspensions"] += 1
            listing.sample(entry, detail)
            listing.flag(
                Category.RECIPIENT_INELIGIBLE, entry.at, detail, evidence_of(entry, detail)
            )
        else:
            listing.counts["resumptions"] += 1

    # -- merging ------------------------------------------------------------------------

    def merge(self, other: AuditFold) -> None:
        """Take in the fold of a window inside this one, of entries this fold has not seen (a
        day of a month, folded once), with the same result as adding its entries here.

        Every count adds up, the samples and listed exceptions stay the earliest, and what a
        day opened and another closed is paired when :meth:`findings` settles the duties at
        this window's end; so neither fold may have been read yet.
        """
        if other.rules != self.rules:
            raise ValueError("only folds made by the same rules merge")
        if other.start < self.start or other.end > self.end:
            raise ValueError("a fold merges only into a fold of a window around it")
        if self._result is not None or other._result is not None:
            raise ValueError("a fold whose findings were read has settled its duties already")
        self.entries += other.entries
        for mine, theirs in ((self._months, other._months), (self._countries, other._countries)):
            for key, (allowed, refused) in theirs.items():
                tally = mine.setdefault(key, [0, 0])
                tally[0] += allowed
                tally[1] += refused
        self._known.update(other._known)
        for key in FindingKey:
            self._listings[key].merge(other._listings[key])
        self._duties.merge(other._duties)

    def to_state(self) -> dict[str, Any]:
        """The fold as JSON, to be kept (a day's fold) and merged into the fold of a window
        around it later (:meth:`merge_state`); call before :meth:`findings`."""
        if self._result is not None:
            raise ValueError("a fold whose findings were read has settled its duties already")
        return {
            "format": STATE_FORMAT,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "rules": asdict(self.rules),
            "entries": self.entries,
            "months": {key: list(tally) for key, tally in self._months.items()},
            "countries": {key: list(tally) for key, tally in self._countries.items()},
            "known": dict(self._known),
            "listings": {str(key): self._listings[key].to_state() for key in FindingKey},
            "duties": self._duties.to_state(),
        }

    def merge_state(self, state: Mapping[str, Any]) -> None:
        """:meth:`merge` the fold :meth:`to_state` gave, as if its entries had been added
        here; ValueError, and nothing merged, if it is malformed or does not fit."""
        try:
            if state["format"] != STATE_FORMAT:
                raise ValueError(f"not a fold of format {STATE_FORMAT}")
            kept = AuditFold(
                datetime.fromisoformat(state["start"]),
                datetime.fromisoformat(state["end"]),
                SuspensionSpans(),
                _never_asked,
                AuditRules(**state["rules"]),
            )
            kept.entries = read_count(state["entries"])
            for mine, theirs in (
                (kept._months, state["months"]),
                (kept._countries, state["countries"]),
            ):
                for key, (allowed, refused) in theirs.items():
                    mine[str(key)] = [read_count(allowed), read_count(refused)]
            kept._known = {str(key): bool(known) for key, known in state["known"].items()}
            for key in FindingKey:
                listing = state["listings"][str(key)]
                kept._listings[key].merge_state(listing, bound_for=self._listings[key])
            kept._duties.merge_state(state["duties"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"a kept fold that does not parse: {exc}") from exc
        self.merge(kept)

    # -- the result -----------------------------------------------------------------------

    def settle(self) -> SettledAudit:
        """Pair what the window opened with what it closed, as of its end, and give the
        findings that leaves; call after the last entry. Later calls give the same."""
        if self._result is None:
            self._duties.settle(self.end)
            self._listings[FindingKey.NOTICE].counts["notices"] = sum(self._known.values())
            self._listings[FindingKey.CONSENT].counts["notices"] = self._duties.consent_notices
            self._result = SettledAudit(
                start=self.start,
                end=self.end,
                rules=self.rules,
                entries=self.entries,
                listings=self._listings,
                months={key: (a, r) for key, (a, r) in self._months.items()},
                countries={key: (a, r) for key, (a, r) in self._countries.items()},
            )
        return self._result

    def findings(self, *, policy_versions: int) -> tuple[Finding, ...]:
        """The findings, in :class:`FindingKey` order (:meth:`settle`'s)."""
        return self.settle().findings(policy_versions=policy_versions)

    def by_month(self) -> tuple[SeriesPoint, ...]:
        """Transfers allowed and refused per month, oldest first."""
        return by_month({key: (a, r) for key, (a, r) in self._months.items()})

    def by_country(self) -> tuple[SeriesPoint, ...]:
        """Transfers allowed and refused per recipient country, busiest first."""
        return by_country({key: (a, r) for key, (a, r) in self._countries.items()})
