"""Ledger entry rows: written with the payload as its canonical text, and read back by the
verifier as the canonical bytes their hash covers, assembled by the database.

Assembling each entry's canonical document in SQL hands the verifier one value per entry to
hash instead of eight to decode and re-encode. It proves nothing by itself: the verifier
hashes what it gets, and an entry whose assembled bytes do not reproduce its hash (a payload
stored before payloads were kept canonical, or an edited entry) is read again, decoded,
through :meth:`LedgerRepository.entries_between`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Connection, Insert, Row, Text, bindparam, cast, insert, type_coerce

from gatehouse.ledger import LeafRow, LedgerEntry, parse_at, stored_fields
from gatehouse.store.ledger_tables import ledger_entries

__all__ = ["entry_row", "insert_entries", "leaf_documents", "to_entry"]


def _add_entry(dialect: str) -> Insert:
    # The payload goes in as its canonical JSON text, not through the JSON type's encoder, so
    # the stored text is the very bytes the entry's hash covers. PostgreSQL's ``json`` type
    # keeps its input text as it is.
    value = bindparam("payload", type_=Text())
    payload = cast(value, JSON) if dialect == "postgresql" else type_coerce(value, Text())
    return insert(ledger_entries).values(payload=payload)


# Built once and given their values at execution, so no append rebuilds or re-keys them.
_ADD_ENTRY = {dialect: _add_entry(dialect) for dialect in ("sqlite", "postgresql")}

# Each string field goes through the database's JSON string encoder, so no value can close
# its quotes and pass for another field: the bytes then parse back into one set of columns.
_SQLITE_DOCUMENT = """
CAST('{"at":' || json_quote(at) || ',"kind":' || json_quote(kind)
  || ',"payload":' || payload || ',"prev_hash":' || json_quote(prev_hash)
  || ',"recipient_id":' || json_quote(recipient_id) || ',"seq":' || seq
  || ',"shard":' || shard || ',"subject_id":' || json_quote(subject_id) || '}' AS BLOB)
"""
# Every function named with its schema, and no operator: whoever may create objects in the
# database could otherwise define a ``to_json(character varying)`` beside the ledger, which
# PostgreSQL prefers to the catalog's generic one wherever the search path lists it, and
# write an edited column back as the value its entry was signed with.
_POSTGRESQL_DOCUMENT = """
pg_catalog.convert_to(pg_catalog.concat(
  '{"at":', pg_catalog.to_json(at), ',"kind":', pg_catalog.to_json(kind),
  ',"payload":', payload, ',"prev_hash":', pg_catalog.to_json(prev_hash),
  ',"recipient_id":', coalesce(pg_catalog.to_json(recipient_id)::pg_catalog.text, 'null'),
  ',"seq":', seq, ',"shard":', shard,
  ',"subject_id":', coalesce(pg_catalog.to_json(subject_id)::pg_catalog.text, 'null'), '}'
), 'UTF8')
"""
# In the driver's own parameter style: the rows are fetched from its cursor, without a
# result object per row, which is most of the cost of reading an entry.
_LEAF_DOCUMENTS = {
    "sqlite": f"SELECT seq, {_SQLITE_DOCUMENT}, entry_hash, prev_hash FROM ledger_entries"
    " WHERE shard = ? AND seq >= ? AND seq < ? ORDER BY seq",
    "postgresql": f"SELECT seq, {_POSTGRESQL_DOCUMENT}, entry_hash, prev_hash FROM ledger_entries"
    " WHERE shard = %s AND seq >= %s AND seq < %s ORDER BY seq",
}


def _statement(connection: Connection, statements: dict[str, Any]) -> Any:
    dialect = connection.dialect.name
    statement = statements.get(dialect)
    if statement is None:
        raise NotImplementedError(f"the ledger does not support the {dialect} dialect")
    return statement


def entry_row(entry: LedgerEntry) -> dict[str, Any]:
    """The row of ``entry`` as :func:`insert_entries` stores it."""
    return stored_fields(entry)


def insert_entries(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert :func:`entry_row` rows, in one statement for many (executemany)."""
    connection.execute(_statement(connection, _ADD_ENTRY), rows)


def leaf_documents(connection: Connection, shard: int, low: int, high: int) -> list[LeafRow]:
    """``(seq, canonical bytes, entry_hash, prev_hash)`` of the shard's entries with
    ``low <= seq < high``, in ``seq`` order, each document as the database assembles it."""
    statement = _statement(connection, _LEAF_DOCUMENTS)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement, (shard, low, high))
        rows: list[LeafRow] = cursor.fetchall()
    finally:
        cursor.close()
    return rows


# An ``at`` that no longer parses was edited; this stand-in can never reproduce the stored
# hash, so the verifier reports the entry instead of the read crashing.
_UNREADABLE_AT = datetime(1, 1, 1, tzinfo=UTC)


def to_entry(row: Row[Any]) -> LedgerEntry:
    """The entry a ``ledger_entries`` row holds, as it was stored."""
    try:
        at = parse_at(row.at)
    except (TypeError, ValueError):
        at = _UNREADABLE_AT
    return LedgerEntry(
        shard=row.shard,
        seq=row.seq,
        kind=row.kind,
        at=at,
        subject_id=row.subject_id,
        recipient_id=row.recipient_id,
        payload=row.payload,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )
