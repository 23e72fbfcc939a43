"""Moving a test database to one revision of the migrations, up or down."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from gatehouse.store import migrate


def _run(engine: Engine, revision: str, step: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(migrate.__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, step)(config, revision)


def upgrade_to(engine: Engine, revision: str) -> None:
    """Bring ``engine``'s database up to ``revision`` only, as an older release left it."""
    _run(engine, revision, "upgrade")


def downgrade_to(engine: Engine, revision: str) -> None:
    """Take ``engine``'s database down to ``revision``, through each downgrade on the way."""
    _run(engine, revision, "downgrade")
