"""The application for uvicorn's worker processes: ``gatehouse.asgi:app`` with ``factory=True``.

Each worker process calls the factory once and opens its own Gatehouse (engine, keys, packs,
group commit) from the environment, as ``gatehouse serve`` does; the parent already migrated.
"""

from __future__ import annotations

from fastapi import FastAPI

from gatehouse.app import create_app
from gatehouse.config import Settings
from gatehouse.services.runtime import open_gatehouse

__all__ = ["app"]


def app() -> FastAPI:
    """Open a Gatehouse from the environment and build the application around it."""
    # The serving command migrated before starting the workers; N workers need not race to.
    return create_app(open_gatehouse(Settings.from_env(), run_migrations=False))
