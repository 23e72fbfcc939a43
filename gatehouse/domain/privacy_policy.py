"""The privacy policy as a document: its shape, the schema check, its hash and its change log.

A document is built per language (see :mod:`gatehouse.domain.policy_document`) from facts
that do not depend on the reader; a *version* holds every language, and its content hash
covers them all, so a version means the same thing in Korean and English. The schema check
names the first required item that is missing or empty, as ``section.item`` (for example
``privacy_officer.phone``), and publishing stops there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from gatehouse.domain.errors import Conflict
from gatehouse.domain.policy.policy_texts import REQUIRED_SECTIONS

__all__ = [
    "CHANGES_SECTION",
    "Change",
    "Fact",
    "PolicyDocument",
    "PolicyIncomplete",
    "Section",
    "Table",
    "changes_between",
    "check_policy",
    "document_content",
    "document_from_content",
    "effective_from",
    "policy_hash",
]

# The section a version adds when it is shown: its number, dates and hash are not content.
CHANGES_SECTION = "changes"

# Items each section must state, beyond a heading and some content.
_REQUIRED_FACTS: dict[str, tuple[str, ...]] = {
    "controller": ("legal_name", "address", "representative"),
    "third_party_provision": ("provision_abroad",),
    "overseas_transfer": (
        "legal_basis",
        "timing",
        "method",
        "refusal_consent",
        "refusal_disclosure",
        "refusal_effect",
        "register",
    ),
    "privacy_officer": ("name", "title", "department", "phone", "email"),
    CHANGES_SECTION: ("version", "effective", "published", "content_hash"),
}
_AGENT_FACTS = ("name", "address", "phone", "email")
# Tables that must have at least one row.
_REQUIRED_TABLES: dict[str, tuple[str, ...]] = {
    "purposes": ("purposes",),
    "items": ("items",),
    "retention": ("retention",),
    "rights": ("channels",),
    "remedies": ("remedies",),
}


class PolicyIncomplete(Conflict):
    """A required item of the privacy policy is missing or empty; ``item`` names it."""

    code = "policy_incomplete"

    def __init__(self, item: str) -> None:
        super().__init__(
            f"the privacy policy cannot be published: {item} is missing or empty",
            details={"item": item},
        )
        self.item = item


@dataclass(frozen=True)
class Fact:
    """One labelled statement, such as the privacy officer's phone number."""

    key: str
    label: str
    value: str


@dataclass(frozen=True)
class Table:
    """Rows of labelled cells; ``rows[i][0]`` is the row's key (a recipient id, a purpose).

    ``total`` is set when ``rows`` is one page of a longer table: how many rows it has.
    """

    key: str
    columns: tuple[str, ...]
    labels: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: int | None = None


@dataclass(frozen=True)
class Section:
    """One numbered section: heading, the provision it answers, and what it says."""

    key: str
    heading: str
    article: str | None
    paragraphs: tuple[str, ...] = ()
    facts: tuple[Fact, ...] = ()
    tables: tuple[Table, ...] = ()

    def fact(self, key: str) -> Fact | None:
        """The fact called ``key``, or None."""
        return next((f for f in self.facts if f.key == key), None)

    def table(self, key: str) -> Table | None:
        """The table called ``key``, or None."""
        return next((t for t in self.tables if t.key == key), None)


@dataclass(frozen=True)
class PolicyDocument:
    """The privacy policy in one language."""

    language: str
    title: str
    preamble: str
    sections: tuple[Section, ...]
    # Whether the domestic-agent rule requires an agent: its particulars are then required.
    agent_required: bool

    def section(self, key: str) -> Section | None:
        """The section called ``key``, or None."""
        return next((s for s in self.sections if s.key == key), None)


@dataclass(frozen=True)
class Change:
    """One line of the change log: which section changed, and how."""

    section: str
    kind: str  # added, removed or changed
    material: bool
    # For the register: how many recipients were added, removed or changed.
    count: int = 0


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def check_policy(document: PolicyDocument, *, with_changes: bool = True) -> None:
    """Raise :class:`PolicyIncomplete` naming the first required item that is missing or empty.

    ``with_changes=False`` checks the content alone, before a version number exists.
    """
    if _blank(document.title) or _blank(document.preamble):
        raise PolicyIncomplete("title" if _blank(document.title) else "preamble")
    for key in REQUIRED_SECTIONS:
        if key == CHANGES_SECTION and not with_changes:
            continue
        section = document.section(key)
        if section is None or _blank(section.heading):
            raise PolicyIncomplete(key)
        if not (section.paragraphs or section.facts or any(t.rows for t in section.tables)):
            raise PolicyIncomplete(key)
        if any(_blank(p) for p in section.paragraphs):
            raise PolicyIncomplete(key)
        required = _REQUIRED_FACTS.get(key, ())
        if key == "domestic_agent" and document.agent_required:
            required = _AGENT_FACTS
        for name in required:
            fact = section.fact(name)
            if fact is None or _blank(fact.value) or _blank(fact.label):
                raise PolicyIncomplete(f"{key}.{name}")
        for fact in section.facts:
            if _blank(fact.value):
                raise PolicyIncomplete(f"{key}.{fact.key}")
        for name in _REQUIRED_TABLES.get(key, ()):
            table = section.table(name)
            if table is None or not table.rows:
                raise PolicyIncomplete(f"{key}.{name}")
        for table in section.tables:
            # A page that came back empty from a table that has rows lost them somewhere.
            if table.total and not table.rows:
                raise PolicyIncomplete(f"{key}.{table.key}")
        for table in section.tables:
            for row in table.rows:
                for column, cell in zip(table.columns, row, strict=True):
                    if _blank(cell):
                        raise PolicyIncomplete(f"{key}.{table.key}[{row[0]}].{column}")


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def document_content(document: PolicyDocument) -> dict[str, Any]:
    """The document as JSON-ready data, without the version's own changes section."""
    content = asdict(document)
    content["sections"] = [s for s in content["sections"] if s["key"] != CHANGES_SECTION]
    for section in content["sections"]:
        for table in section["tables"]:
            # A whole table has no total: its content (and so the hash) is as it always was.
            if table["total"] is None:
                del table["total"]
    return content


def document_from_content(content: Mapping[str, Any]) -> PolicyDocument:
    """Rebuild a document stored with :func:`document_content`."""
    sections = tuple(
        Section(
            key=s["key"],
            heading=s["heading"],
            article=s["article"],
            paragraphs=tuple(s["paragraphs"]),
            facts=tuple(Fact(**f) for f in s["facts"]),
            tables=tuple(
                Table(
                    key=t["key"],
                    columns=tuple(t["columns"]),
                    labels=tuple(t["labels"]),
                    rows=tuple(tuple(r) for r in t["rows"]),
                    total=t.get("total"),
                )
                for t in s["tables"]
            ),
        )
        for s in content["sections"]
    )
    return PolicyDocument(
        language=content["language"],
        title=content["title"],
        preamble=content["preamble"],
        sections=sections,
        agent_required=bool(content["agent_required"]),
    )


def policy_hash(
    documents: Iterable[PolicyDocument], register_digest: str, disclosures_digest: str = ""
) -> str:
    """SHA-256 over every language's content, the register's and the disclosures' digests."""
    content = {
        "disclosures": disclosures_digest,
        "documents": sorted(
            (document_content(d) for d in documents), key=lambda c: str(c["language"])
        ),
        "register": register_digest,
    }
    return hashlib.sha256(_canonical(content)).hexdigest()


# Parts of a section that only count the register's recipients: not a change of their own.
_COUNTED = {
    "overseas_transfer": frozenset({"register", "countries"}),
    "third_party_provision": frozenset({"provision_abroad"}),
}
# Columns whose change corrects how to reach someone, and changes nothing a data subject
# agreed to: a new version shows it at once, without the notice period.
_CONTACT_COLUMNS = frozenset({"contact", "officer_contact"})


def _digest(section: Section, *, material: bool) -> str:
    """The section's digest, less its counts and, for ``material``, less contact details."""
    dropped = _COUNTED.get(section.key, frozenset())
    tables = []
    for table in section.tables:
        if table.key in dropped:
            continue
        if material:
            keep = [i for i, c in enumerate(table.columns) if c not in _CONTACT_COLUMNS]
            table = Table(
                table.key,
                tuple(table.columns[i] for i in keep),
                tuple(table.labels[i] for i in keep),
                tuple(tuple(row[i] for i in keep) for row in table.rows),
            )
        tables.append(table)
    kept = Section(
        section.key,
        section.heading,
        section.article,
        section.paragraphs,
        tuple(f for f in section.facts if f.key not in dropped),
        tuple(tables),
    )
    return hashlib.sha256(_canonical(asdict(kept))).hexdigest()


def _digests(document: PolicyDocument | None, *, material: bool) -> dict[str, str]:
    if document is None:
        return {}
    return {
        s.key: _digest(s, material=material) for s in document.sections if s.key != CHANGES_SECTION
    }


def changes_between(
    old: PolicyDocument | None,
    new: PolicyDocument,
    register: tuple[int, int, int],
    material_sections: Iterable[str],
) -> list[Change]:
    """What changed from ``old`` to ``new`` (documents in the same language), section by section.

    ``register`` counts the recipients added, removed and changed in the register. A change
    is material when its section is one of ``material_sections`` and more than a contact
    detail or a count changed in it.
    """
    sections = set(material_sections)
    before, after = _digests(old, material=False), _digests(new, material=False)
    terms_before, terms_after = _digests(old, material=True), _digests(new, material=True)
    changes = [
        Change(
            key,
            "added" if key not in before else "changed",
            key in sections and terms_before.get(key) != terms_after[key],
        )
        for key, digest in after.items()
        if before.get(key) != digest
    ]
    changes.extend(Change(key, "removed", key in sections) for key in before if key not in after)
    for kind, count in zip(("added", "removed", "changed"), register, strict=True):
        if count:
            changes.append(Change("register", kind, False, count))
    return changes


def effective_from(
    published_at: datetime,
    changes: Iterable[Change],
    notice_days: int,
    previous_effective: datetime | None,
) -> datetime:
    """When a version takes effect: at once, or after the notice period if a change is material.

    Never before the version it follows, because it carries that version's changes too. The
    first version has nothing to give notice of: it takes effect when it is published.
    """
    if previous_effective is None:
        return published_at
    start = published_at
    if any(change.material for change in changes):
        start = published_at + timedelta(days=notice_days)
    if previous_effective > start:
        start = previous_effective
    return start
