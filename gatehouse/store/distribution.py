"""Where each table goes when one database server is not enough (``docs/scaling.md``).

Every table is in exactly one of four placements, as on Citus:

* ``SUBJECT``: distributed by the subject id and co-located, so one subject's rows (its vault
  fields, consents, orders, transfers, views) sit on one node and the transfer decision's
  joins stay there.
* ``LEDGER``: distributed by the ledger shard number; a shard's entries and its chain head
  are updated together on one node.
* ``REFERENCE``: small registries the decision reads on every node (recipients, terms,
  suspensions, notices), copied to each node and written rarely.
* ``LOCAL``: operator-wide state that no shard query joins (sessions, queues, the console's
  and the register's tables, what a deletion leaves behind), kept on one node.

``tests/test_schema_sharding.py`` holds the schema to this list: a new table must be placed
here, and a subject-owned table must carry the subject id in its key.
"""

from __future__ import annotations

from enum import Enum
from types import MappingProxyType

__all__ = [
    "Placement",
    "PLACEMENTS",
    "SUBJECT_KEY",
    "LEDGER_KEY",
    "distribution_column",
    "tables_in",
]

# The distribution columns: the subject's id, and the ledger's shard number.
SUBJECT_KEY = "subject_id"
LEDGER_KEY = "shard"


class Placement(Enum):
    """How a table is spread over the nodes of a distributed PostgreSQL."""

    SUBJECT = "subject"
    LEDGER = "ledger"
    REFERENCE = "reference"
    LOCAL = "local"


_S, _G, _R, _L = Placement.SUBJECT, Placement.LEDGER, Placement.REFERENCE, Placement.LOCAL

PLACEMENTS = MappingProxyType(
    {
        # One subject's data: the vault, consents, orders and what was decided about them.
        "subjects": _S,
        "pii_fields": _S,
        "blind_indexes": _S,
        "subject_keys": _S,
        "consents": _S,
        "orders": _S,
        "order_events": _S,
        "transfers": _S,
        "views": _S,
        "view_windows": _S,
        "transfer_totals": _S,
        "pii_reads": _S,
        "rights_requests": _S,
        # The ledger: 16 chains, each with its head, its stored subtree roots and the
        # records of its archived ranges.
        "ledger_entries": _G,
        "ledger_shards": _G,
        "ledger_subtrees": _G,
        "ledger_archives": _G,
        # What the decision reads besides the subject: the registries and their generation.
        "recipients": _R,
        "terms_versions": _R,
        "terms_acceptances": _R,
        "country_suspensions": _R,
        "notices": _R,
        "disclosures": _R,
        "disclosure_recipients": _R,
        "policy_versions": _R,
        "policy_disclosures": _R,
        "policy_documents": _R,
        "operator_profiles": _R,
        "api_keys": _R,
        "fact_generations": _R,
        "vault_secrets": _R,
        "ledger_meta": _R,
        # What a deletion leaves behind: the record, the recipients' erasure requests, the
        # separate retention store and the operator's sealed events, read by deletion id,
        # by recipient and by due date, never with the subject's live data.
        "deletions": _L,
        "erasure_requests": _L,
        "retention_records": _L,
        "operator_events": _L,
        # Operator-wide: sessions found by a token's hash, queues, pools, the registers'
        # pages and what the console alone reads.
        "customer_sessions": _L,
        "console_sessions": _L,
        # A recipient's order numbers, each naming its order's subject (``lookup_tables``).
        "order_refs": _L,
        # The marketplace's customer ids, each naming its subject (``lookup_tables``).
        "subject_refs": _L,
        # Each whole day's audit fold, kept once and read by the audit report alone.
        "audit_days": _L,
        # Each settled month of them, read by the audit report alone.
        "audit_months": _L,
        "audit_month_pages": _L,
        "portal_sessions": _L,
        "outbox_jobs": _L,
        "rate_buckets": _L,
        "safe_numbers": _L,
        "operator_webhooks": _L,
        "webhook_previous_secrets": _L,
        "abuse_flags": _L,
        "suspension_events": _L,
        "incidents": _L,
        "policy_register": _L,
        "policy_entrustees": _L,
        "ledger_checkpoints": _L,
        # The console's counts of decisions: a few hundred rows, summed whole by its panels.
        "decision_counts": _L,
    }
)


def distribution_column(table: str) -> str | None:
    """The column ``table`` is distributed by; None for reference and local tables.

    ``subjects`` is the one subject-owned table whose subject id is its own ``id``.
    """
    placement = PLACEMENTS[table]
    if placement is Placement.SUBJECT:
        return "id" if table == "subjects" else SUBJECT_KEY
    if placement is Placement.LEDGER:
        return LEDGER_KEY
    return None


def tables_in(placement: Placement) -> list[str]:
    """The tables of one placement, by name."""
    return sorted(name for name, placed in PLACEMENTS.items() if placed is placement)
