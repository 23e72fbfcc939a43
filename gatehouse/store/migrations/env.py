"""Alembic environment: runs on the connection that ``gatehouse.store.migrate`` hands over."""

from __future__ import annotations

from alembic import context

import gatehouse.store.customer_tables  # noqa: F401  (registers the customer side's tables)
import gatehouse.store.erasure_tables  # noqa: F401  (registers the deletion and erasure tables)
import gatehouse.store.lookup_tables  # noqa: F401  (registers the lookup tables)
import gatehouse.store.operator_profiles  # noqa: F401  (registers the operator's profile)
import gatehouse.store.outbox_tables  # noqa: F401  (registers the outbox's tables)
import gatehouse.store.rate_buckets  # noqa: F401  (registers the shared rate-limit buckets)
import gatehouse.store.web_tables  # noqa: F401  (registers the portal's tables)
from gatehouse.store import ledger_tables  # noqa: F401  (registers the ledger's tables)
from gatehouse.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
