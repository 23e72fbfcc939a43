"""Moving a test database to one revision of the migrations, up or down."""

from __future__ import annotations

from sqlalchemy import Engine

from gatehouse.store import migrate


def upgrade_to(engine: Engine, revision: str) -> None:
    """Bring ``engine``'s database up to ``revision`` only, as an older release left it."""
    migrate.run(engine, "upgrade", revision)


def downgrade_to(engine: Engine, revision: str) -> None:
    """Take ``engine``'s database down to ``revision``, through each downgrade on the way."""
    migrate.run(engine, "downgrade", revision)
