"""policy documents

A privacy-policy version's documents move out of ``policy_versions.documents`` into one row
per language (``policy_documents``), compact: the entrustment and overseas-transfer tables
keep their columns and row count, and their rows, one per entrustee, are kept as row versions
in ``policy_entrustees`` (valid from one version to another, like ``policy_register``), read
a page at a time in (name, id) order. Versions published before are converted the same way,
one at a time, writing an entrustee's row only when it changed from the version before (the
reader still takes a version stored whole, as an older instance may write one during a
rolling upgrade). The downgrade puts every version's rows back into its documents, so
nothing published is lost either way.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import copy
import hashlib
import json
import unicodedata
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# Section key -> its table that lists every entrustee (gatehouse.domain.policy_pages).
_PAGED = {"entrustment": "entrustees", "overseas_transfer": "entrustees"}
# The column of those tables that holds the entrustee's name.
_NAME = 1


def _ordered(length: int) -> sa.types.TypeEngine[str]:
    # Code-point order on PostgreSQL too, the order the documents are built in.
    return sa.String(length=length).with_variant(
        sa.String(length=length, collation="C"), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "policy_documents",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("version", "language", name="pk_policy_documents"),
    )
    op.create_table(
        "policy_entrustees",
        sa.Column("recipient_id", _ordered(40), nullable=False),
        sa.Column("first_version", sa.Integer(), nullable=False),
        sa.Column("last_version", sa.Integer(), nullable=True),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("name_key", _ordered(200), nullable=False),
        sa.Column("abroad", sa.Boolean(), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("recipient_id", "first_version", name="pk_policy_entrustees"),
    )
    # The version range rides in both, so a page skips other versions' rows in the index.
    op.create_index(
        "ix_policy_entrustees_order",
        "policy_entrustees",
        ["name_key", "recipient_id", "first_version", "last_version"],
    )
    op.create_index(
        "ix_policy_entrustees_abroad",
        "policy_entrustees",
        ["abroad", "name_key", "recipient_id", "first_version", "last_version"],
    )
    op.create_index(
        "ix_policy_entrustees_open", "policy_entrustees", ["last_version", "recipient_id"]
    )
    _convert(op.get_bind())


def _fold(name: str) -> str:
    # As gatehouse.domain.policy_pages.fold_name: the key the tables are ordered by.
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())[:200]


def _row_hash(cells: dict[str, Any]) -> str:
    # As gatehouse.services.policy_storage hashes a row, so the next publish rewrites none.
    canonical = json.dumps(cells, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _split(documents: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Whole documents -> compact ones, and each entrustee's cells by recipient id."""
    cells: dict[str, dict[str, Any]] = {}
    compact = {}
    for language, whole in documents.items():
        content = copy.deepcopy(whole)
        for section in content["sections"]:
            name = _PAGED.get(section["key"])
            for table in section["tables"]:
                if table["key"] != name:
                    continue
                for row in table["rows"]:
                    cells.setdefault(row[0], {}).setdefault(language, {})[section["key"]] = row
                table["total"] = len(table["rows"])
                table["rows"] = []
        compact[language] = content
    return compact, cells


def _convert(bind: sa.Connection) -> None:
    """Store every version published so far compact, writing only the rows that changed."""
    versions = sa.table(
        "policy_versions", sa.column("version", sa.Integer()), sa.column("documents", sa.JSON())
    )
    documents = sa.table(
        "policy_documents",
        sa.column("version", sa.Integer()),
        sa.column("language", sa.String()),
        sa.column("content", sa.JSON()),
    )
    entrustees = sa.table(
        "policy_entrustees",
        sa.column("recipient_id", sa.String()),
        sa.column("first_version", sa.Integer()),
        sa.column("last_version", sa.Integer()),
        sa.column("row_hash", sa.String()),
        sa.column("name_key", sa.String()),
        sa.column("abroad", sa.Boolean()),
        sa.column("cells", sa.JSON()),
    )
    numbers = bind.execute(sa.select(versions.c.version).order_by(versions.c.version)).scalars()
    current: dict[str, str] = {}
    for version in list(numbers):
        # One version's documents at a time: at 180,000 recipients each is megabytes.
        whole = bind.execute(
            sa.select(versions.c.documents).where(versions.c.version == version)
        ).scalar_one()
        if not whole:
            continue
        compact, cells = _split(dict(whole))
        bind.execute(
            sa.insert(documents),
            [{"version": version, "language": k, "content": c} for k, c in compact.items()],
        )
        fresh = {rid: _row_hash(c) for rid, c in cells.items()}
        written = {rid for rid, h in fresh.items() if current.get(rid) != h}
        ended = [rid for rid in current if rid not in fresh or rid in written]
        for start in range(0, len(ended), 500):
            bind.execute(
                sa.update(entrustees)
                .where(
                    entrustees.c.recipient_id.in_(ended[start : start + 500]),
                    entrustees.c.last_version.is_(None),
                )
                .values(last_version=version - 1)
            )
        rows = [
            {
                "recipient_id": rid,
                "first_version": version,
                "last_version": None,
                "row_hash": fresh[rid],
                "name_key": _fold(next(iter(cells[rid].values()))["entrustment"][_NAME]),
                "abroad": any("overseas_transfer" in c for c in cells[rid].values()),
                "cells": cells[rid],
            }
            for rid in sorted(written)
        ]
        for start in range(0, len(rows), 1000):
            bind.execute(sa.insert(entrustees), rows[start : start + 1000])
        bind.execute(sa.update(versions).where(versions.c.version == version).values(documents={}))
        current = fresh


def _whole(content: dict[str, Any], rows: list[Any], language: str) -> dict[str, Any]:
    """A compact document with its entrustee rows back in, as it was hashed."""
    for section in content["sections"]:
        name = _PAGED.get(section["key"])
        for table in section["tables"]:
            if table["key"] != name:
                continue
            table["rows"] = [
                r.cells[language][section["key"]]
                for r in rows
                if section["key"] in r.cells.get(language, {})
            ]
            table.pop("total", None)
    return content


def downgrade() -> None:
    bind = op.get_bind()
    versions = sa.table(
        "policy_versions", sa.column("version", sa.Integer()), sa.column("documents", sa.JSON())
    )
    documents = sa.table(
        "policy_documents",
        sa.column("version", sa.Integer()),
        sa.column("language", sa.String()),
        sa.column("content", sa.JSON()),
    )
    entrustees = sa.table(
        "policy_entrustees",
        sa.column("recipient_id", sa.String()),
        sa.column("first_version", sa.Integer()),
        sa.column("last_version", sa.Integer()),
        sa.column("name_key", sa.String()),
        sa.column("cells", sa.JSON()),
    )
    stored: dict[int, dict[str, Any]] = {}
    for row in bind.execute(
        sa.select(documents.c.version, documents.c.language, documents.c.content)
    ):
        stored.setdefault(row.version, {})[row.language] = dict(row.content)
    for version, contents in sorted(stored.items()):
        valid = list(
            bind.execute(
                sa.select(
                    entrustees.c.recipient_id, entrustees.c.name_key, entrustees.c.cells
                ).where(
                    entrustees.c.first_version <= version,
                    sa.or_(
                        entrustees.c.last_version.is_(None), entrustees.c.last_version >= version
                    ),
                )
            )
        )
        # Sorted here, by code point, whatever the database's collation.
        valid.sort(key=lambda r: (r.name_key, r.recipient_id))
        whole = {lang: _whole(c, valid, lang) for lang, c in contents.items()}
        bind.execute(
            sa.update(versions).where(versions.c.version == version).values(documents=whole)
        )
    op.drop_table("policy_entrustees")
    op.drop_table("policy_documents")
