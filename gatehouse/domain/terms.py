"""Recipient data-protection terms: the clauses Enforcement Decree Art. 29-10 and R6 require."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.errors import InvalidInput

__all__ = ["REQUIRED_CLAUSES", "Terms", "check_terms"]

# Each clause a recipient's contract must contain, with the provision it comes from. PIPA
# Art. 28-8(4) requires "the protective measures prescribed by Presidential Decree"; the list
# itself is in Enforcement Decree Art. 29-10(1), and Art. 29-10(2) has them agreed with the
# recipient in advance and written into the contract.
REQUIRED_CLAUSES: Mapping[str, str] = {
    "safety_measures": (
        "safety measures for protecting personal data (Enforcement Decree Art. 29-10(1) 1, "
        "referring to Art. 30(1))"
    ),
    "complaint_handling": (
        "handling of complaints and resolution of disputes over infringements "
        "(Enforcement Decree Art. 29-10(1) 2)"
    ),
    "purpose_limitation": (
        "use only for the stated purpose, such as fulfilment (Enforcement Decree "
        "Art. 29-10(1) 3, other necessary measures; R6)"
    ),
    "deletion": (
        "deletion on request or when the retention period ends (Enforcement Decree "
        "Art. 29-10(1) 3; R6, R13)"
    ),
    "onward_transfer": (
        "onward transfer only with equivalent protection (PIPA Art. 28-11, applying Art. 28-8 "
        "to onward transfers)"
    ),
}

_MIN_CLAUSE_CHARS = 20


@dataclass(frozen=True)
class Terms:
    """One published version of the terms."""

    version: str
    clauses: Mapping[str, str]
    published_at: datetime


def check_terms(version: str, clauses: Mapping[str, str]) -> None:
    """Raise ``InvalidInput`` naming every required clause that is missing or empty."""
    if not version.strip():
        raise InvalidInput("terms need a version", code="invalid_terms_version")
    problems = []
    for name, why in REQUIRED_CLAUSES.items():
        text = (clauses.get(name) or "").strip()
        if len(text) < _MIN_CLAUSE_CHARS:
            problems.append({"clause": name, "requirement": why})
    if problems:
        names = ", ".join(p["clause"] for p in problems)
        raise InvalidInput(
            f"the terms lack required clauses: {names}",
            code="terms_missing_clauses",
            details={"missing": problems},
        )
