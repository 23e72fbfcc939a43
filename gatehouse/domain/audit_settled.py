"""A settled audit: a window's findings once its duties are paired at its end.

:meth:`AuditFold.settle` gives it. What is left to add at report time is what does not
depend on the window's entries (the policy versions in force) and the samples' proofs, so a
settled window can be kept, as JSON, and read back as the very findings it held: a calendar
month whose days are all kept is settled once, and its report reads one row instead of
merging its days again (:mod:`gatehouse.services.audit_days`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from gatehouse.domain.audit import Finding, FindingKey, SeriesPoint, read_count
from gatehouse.domain.audit_listing import FIGURE_ORDER, AuditRules, Listing

__all__ = ["SETTLED_FORMAT", "SettledAudit", "Tallies", "by_country", "by_month"]

SETTLED_FORMAT = 1
"""The version of :meth:`SettledAudit.to_state`'s form, which kept months carry."""

Tallies = Mapping[str, tuple[int, int]]
"""A label (a month, a country) -> (transfers allowed, transfers refused)."""


def by_month(months: Tallies) -> tuple[SeriesPoint, ...]:
    """Transfers allowed and refused per month, oldest first."""
    return tuple(SeriesPoint(m, a, r) for m, (a, r) in sorted(months.items()))


def by_country(countries: Tallies) -> tuple[SeriesPoint, ...]:
    """Transfers allowed and refused per recipient country, busiest first."""
    ranked = sorted(countries.items(), key=lambda kv: (-kv[1][0] - kv[1][1], kv[0]))
    return tuple(SeriesPoint(c, a, r) for c, (a, r) in ranked)


@dataclass
class SettledAudit:
    """The findings of ``[start, end)`` as of ``end``, and its series, with the listings
    already cut to the rules' limits."""

    start: datetime
    end: datetime
    rules: AuditRules
    entries: int
    listings: dict[FindingKey, Listing]
    months: dict[str, tuple[int, int]]
    countries: dict[str, tuple[int, int]]

    def findings(self, *, policy_versions: int, listed: int | None = None) -> tuple[Finding, ...]:
        """The findings, in :class:`FindingKey` order, with the policy versions in force in
        the window (which the registry says, not the entries); each lists its earliest
        ``listed`` exceptions (all it kept when None) and counts every one."""
        self.listings[FindingKey.POLICY].counts["versions"] = policy_versions
        found = tuple(self.listings[key].finding(key, FIGURE_ORDER[key]) for key in FindingKey)
        if listed is None:
            return found
        return tuple(replace(f, exceptions=f.exceptions[:listed]) for f in found)

    def by_month(self) -> tuple[SeriesPoint, ...]:
        """Transfers allowed and refused per month, oldest first."""
        return by_month(self.months)

    def by_country(self) -> tuple[SeriesPoint, ...]:
        """Transfers allowed and refused per recipient country, busiest first."""
        return by_country(self.countries)

    def to_state(self) -> dict[str, Any]:
        """The settled window as JSON, to be kept and read back (:meth:`from_state`)."""
        listings = {str(key): self.listings[key].to_state() for key in FindingKey}
        # The versions are the registry's, counted again by each report.
        listings[str(FindingKey.POLICY)]["counts"].pop("versions", None)
        return {
            "format": SETTLED_FORMAT,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "rules": asdict(self.rules),
            "entries": self.entries,
            "months": {key: list(tally) for key, tally in self.months.items()},
            "countries": {key: list(tally) for key, tally in self.countries.items()},
            "listings": listings,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], *, listed: int | None = None) -> SettledAudit:
        """The settled window :meth:`to_state` gave; ValueError if it does not parse. With
        ``listed``, only each listing's earliest ``listed`` exceptions are read (they are
        kept earliest first): a report that shows a page reads a page."""
        try:
            if state["format"] != SETTLED_FORMAT:
                raise ValueError(f"not a settled audit of format {SETTLED_FORMAT}")
            rules = AuditRules(**state["rules"])
            listings = {key: Listing(rules) for key in FindingKey}
            for key, listing in listings.items():
                kept = state["listings"][str(key)]
                if len(kept["exceptions"]) > max(rules.listing_limit, 0):
                    raise ValueError("a settled listing holds more than its rules list")
                if listed is not None:
                    kept = {**kept, "exceptions": kept["exceptions"][:listed]}
                listing.merge_state(kept)
            return cls(
                start=datetime.fromisoformat(state["start"]),
                end=datetime.fromisoformat(state["end"]),
                rules=rules,
                entries=read_count(state["entries"]),
                listings=listings,
                months=_tallies(state["months"]),
                countries=_tallies(state["countries"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"a settled audit that does not parse: {exc}") from exc


def _tallies(kept: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    return {
        str(key): (read_count(allowed), read_count(refused))
        for key, (allowed, refused) in kept.items()
    }
