"""Privacy-policy versions, append-only, and the register each version published.

A version row holds its hash and change log, and when it was published and takes effect; its
content is in :mod:`gatehouse.store.policy_documents` (whole in ``documents`` only for a
version an instance older than migration 0025 wrote); the application never updates a row.
The register of recipients is kept as row versions: each recipient's disclosed particulars
are stored once per change, valid from the version that introduced them to the one before
the version that changed or removed them. A version's register is the rows valid at it, so
a change to one recipient writes one or two rows, however many recipients there are.
Migration 0014 must match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    func,
    insert,
    select,
    tuple_,
)

from gatehouse.domain.decision import DisclosureFact
from gatehouse.store.db import UTCDateTime
from gatehouse.store.policy_disclosures import (
    PolicyDisclosure,
    add_policy_disclosures,
    policy_disclosures,
)
from gatehouse.store.schema import metadata
from gatehouse.store.versioned_rows import close_current, current_hashes

__all__ = [
    "PolicyDisclosure",
    "PolicyRegisterRow",
    "PolicyRepository",
    "RegisterSlice",
    "StoredPolicy",
    "policy_register",
    "policy_versions",
]

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("content_hash", String(64), nullable=False, unique=True),
    # {} since 0025, which moved each version's content to policy_documents; before,
    # {language: document content} (gatehouse.domain.privacy_policy.document_content).
    Column("documents", JSON, nullable=False),
    Column("register_digest", String(64), nullable=False),
    Column("register_count", Integer, nullable=False),
    # [{section, kind, material, count}] against the version before.
    Column("changes", JSON, nullable=False),
    Column("material", Boolean, nullable=False),
    Column("published_at", UTCDateTime(), nullable=False),
    Column("effective_at", UTCDateTime(), nullable=False),
    Column("profile_version", Integer, nullable=False),
)

policy_register = Table(
    "policy_register",
    metadata,
    Column("recipient_id", String(40), nullable=False),
    Column("first_version", Integer, nullable=False),
    # The last version the row belongs to; NULL while it is current.
    Column("last_version", Integer),
    Column("row_hash", String(64), nullable=False),
    Column("country", String(2), nullable=False),
    # The name folded for search and order; the row keeps the name as registered.
    Column("name_key", String(200), nullable=False),
    Column("row", JSON, nullable=False),
    PrimaryKeyConstraint("recipient_id", "first_version", name="pk_policy_register"),
    # Both carry the version range, so counting a version's rows by country or by a name
    # substring reads the index alone, not each row's JSON.
    Index(
        "ix_policy_register_order",
        "country",
        "name_key",
        "recipient_id",
        "first_version",
        "last_version",
    ),
    Index("ix_policy_register_name", "name_key", "recipient_id", "first_version", "last_version"),
    Index("ix_policy_register_open", "last_version", "recipient_id"),
)
# PostgreSQL finds a '%name%' substring by trigram index (migration 0014 adds pg_trgm).
Index(
    "ix_policy_register_trgm",
    policy_register.c.name_key,
    postgresql_using="gin",
    postgresql_ops={"name_key": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")


@dataclass(frozen=True)
class StoredPolicy:
    """One published version of the privacy policy."""

    version: int
    content_hash: str
    documents: dict[str, Any]
    register_digest: str
    register_count: int
    changes: list[dict[str, Any]]
    material: bool
    published_at: datetime
    effective_at: datetime
    profile_version: int


@dataclass(frozen=True)
class PolicyRegisterRow:
    """A recipient's disclosed particulars as one version published them."""

    recipient_id: str
    country: str
    name_key: str
    row_hash: str
    row: dict[str, Any]


@dataclass(frozen=True)
class RegisterSlice:
    """Which rows of a version's register to read, in (country, name, id) order."""

    version: int
    country: str | None = None
    # Already folded like name_key.
    search: str | None = None
    after: tuple[str, str, str] | None = None


def _stored(row: Any, *, with_documents: bool = True) -> StoredPolicy:
    return StoredPolicy(
        version=row.version,
        content_hash=row.content_hash,
        documents=dict(row.documents) if with_documents else {},
        register_digest=row.register_digest,
        register_count=row.register_count,
        changes=list(row.changes),
        material=bool(row.material),
        published_at=row.published_at,
        effective_at=row.effective_at,
        profile_version=row.profile_version,
    )


def _columns(with_documents: bool) -> list[Column[Any]]:
    """The version's columns, less its documents when they are not needed."""
    return [c for c in policy_versions.c if with_documents or c.name != "documents"]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Above any version number: a current row (last_version NULL) is valid at every version.
_OPEN_END = 2**31 - 1


def _valid_at(version: int) -> list[ColumnElement[bool]]:
    # One expression, not "last_version IS NULL OR last_version >= v": given the OR, SQLite
    # looked each row up through ix_policy_register_open for a name search's count (111 ms at
    # 180,000 rows) instead of scanning the covering name index.
    return [
        policy_register.c.first_version <= version,
        func.coalesce(policy_register.c.last_version, _OPEN_END) >= version,
    ]


class PolicyRepository:
    """Policy versions and their registers, on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def latest(self, *, with_documents: bool = True) -> StoredPolicy | None:
        """The newest version, in force or announced; None before the first."""
        row = self._c.execute(
            select(*_columns(with_documents)).order_by(policy_versions.c.version.desc()).limit(1)
        ).first()
        return _stored(row, with_documents=with_documents) if row is not None else None

    def get(self, version: int, *, with_documents: bool = True) -> StoredPolicy | None:
        """Version ``version``, or None; without the documents, a read of a few columns."""
        row = self._c.execute(
            select(*_columns(with_documents)).where(policy_versions.c.version == version)
        ).first()
        return _stored(row, with_documents=with_documents) if row is not None else None

    def in_force(self, at: datetime, *, with_documents: bool = True) -> StoredPolicy | None:
        """The newest version whose effective time has come by ``at``.

        Without the documents it is a read of a few columns, for links and consent records.
        """
        row = self._c.execute(
            select(*_columns(with_documents))
            .where(policy_versions.c.effective_at <= at)
            .order_by(policy_versions.c.version.desc())
            .limit(1)
        ).first()
        return _stored(row, with_documents=with_documents) if row is not None else None

    def history(self) -> list[StoredPolicy]:
        """Every version, newest first, without the documents (they are not read here)."""
        rows = self._c.execute(
            select(*_columns(with_documents=False)).order_by(policy_versions.c.version.desc())
        )
        return [_stored(r, with_documents=False) for r in rows]

    def append(self, policy: StoredPolicy) -> None:
        """Store a new version; a concurrent publisher of the same number clashes on the key."""
        self._c.execute(
            insert(policy_versions).values(
                version=policy.version,
                content_hash=policy.content_hash,
                documents=policy.documents,
                register_digest=policy.register_digest,
                register_count=policy.register_count,
                changes=policy.changes,
                material=policy.material,
                published_at=policy.published_at,
                effective_at=policy.effective_at,
                profile_version=policy.profile_version,
            )
        )

    def current_hashes(self) -> dict[str, str]:
        """recipient id → row hash of every row still current (in the latest version)."""
        return current_hashes(self._c, policy_register)

    def close_rows(self, recipient_ids: Iterable[str], last_version: int) -> None:
        """End the current rows of ``recipient_ids`` at ``last_version``."""
        close_current(self._c, policy_register, recipient_ids, last_version)

    def add_rows(self, rows: Sequence[PolicyRegisterRow], first_version: int) -> None:
        """Add rows current from ``first_version`` on."""
        for start in range(0, len(rows), 1000):
            self._c.execute(
                insert(policy_register),
                [
                    {
                        "recipient_id": r.recipient_id,
                        "first_version": first_version,
                        "last_version": None,
                        "row_hash": r.row_hash,
                        "country": r.country,
                        "name_key": r.name_key,
                        "row": r.row,
                    }
                    for r in rows[start : start + 1000]
                ],
            )

    def register_page(self, where: RegisterSlice, limit: int) -> list[PolicyRegisterRow]:
        """Up to ``limit`` rows of the version's register after ``where.after``."""
        conditions = _valid_at(where.version)
        if where.country is not None:
            conditions.append(policy_register.c.country == where.country)
        if where.search:
            pattern = f"%{_escape_like(where.search)}%"
            conditions.append(policy_register.c.name_key.like(pattern, escape="\\"))
        key = tuple_(
            policy_register.c.country, policy_register.c.name_key, policy_register.c.recipient_id
        )
        if where.after is not None:
            conditions.append(key > tuple_(*where.after))
        rows = self._c.execute(
            select(
                policy_register.c.recipient_id,
                policy_register.c.country,
                policy_register.c.name_key,
                policy_register.c.row_hash,
                policy_register.c.row,
            )
            .where(and_(*conditions))
            .order_by(
                policy_register.c.country,
                policy_register.c.name_key,
                policy_register.c.recipient_id,
            )
            .limit(limit)
        )
        return [
            PolicyRegisterRow(r.recipient_id, r.country, r.name_key, r.row_hash, dict(r.row))
            for r in rows
        ]

    def register_count(self, where: RegisterSlice) -> int:
        """How many rows of the version's register match ``where`` (cursor ignored)."""
        if where.country is None and not where.search:
            # The whole register: the version recorded its size when it was published, and
            # counting 180,000 rows valid at it took 100 ms on SQLite for every page.
            total = self._c.execute(
                select(policy_versions.c.register_count).where(
                    policy_versions.c.version == where.version
                )
            ).scalar_one_or_none()
            return int(total or 0)
        conditions = _valid_at(where.version)
        if where.country is not None:
            conditions.append(policy_register.c.country == where.country)
        if where.search:
            pattern = f"%{_escape_like(where.search)}%"
            conditions.append(policy_register.c.name_key.like(pattern, escape="\\"))
        return int(
            self._c.execute(
                select(func.count()).select_from(policy_register).where(and_(*conditions))
            ).scalar_one()
        )

    def add_disclosures(self, version: int, rows: Sequence[PolicyDisclosure]) -> None:
        """Record what version ``version`` discloses under Art. 28-8(1) 3."""
        add_policy_disclosures(self._c, version, rows)

    def disclosures_in_force(
        self, recipient_id: str, at: datetime, language: str
    ) -> list[DisclosureFact]:
        """What the version in force at ``at`` discloses of the recipient, as decision facts.

        The version's content hash stands as the notice hash: it is what a transfer resting
        on the disclosure points at.
        """
        in_force = (
            select(func.max(policy_versions.c.version))
            .where(policy_versions.c.effective_at <= at)
            .scalar_subquery()
        )
        d = policy_disclosures
        rows = self._c.execute(
            select(
                policy_versions.c.content_hash,
                d.c.purpose,
                d.c.flow,
                d.c.fingerprint,
                d.c.content_digest,
            )
            .join(policy_versions, policy_versions.c.version == d.c.version)
            .where(d.c.recipient_id == recipient_id, d.c.version == in_force)
        )
        return [
            DisclosureFact(
                notice_hash=row.content_hash,
                purpose=row.purpose,
                recipients={recipient_id: row.fingerprint},
                flow=row.flow,
                language=language,
                content_digest=row.content_digest,
            )
            for row in rows
        ]
