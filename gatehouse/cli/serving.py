"""How ``gatehouse serve`` runs uvicorn: one process, or N worker processes."""

from __future__ import annotations

from typing import Any

import typer

from gatehouse.cli.common import err
from gatehouse.http.logs import log_config
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.db import is_sqlite

__all__ = ["check_workers", "run_server"]


def check_workers(database_url: str, workers: int) -> None:
    """Exit with status 2 when more than one worker is asked for on SQLite."""
    if workers > 1 and is_sqlite(database_url):
        err.print(
            f"[red]--workers {workers} needs PostgreSQL;[/] SQLite keeps one writer at a time, "
            "and one process's group commit already gathers its transfers. "
            "Serve SQLite with --workers 1."
        )
        raise typer.Exit(2)


def run_server(gh: Gatehouse, host: str, port: int, workers: int = 1) -> None:
    """Serve ``gh`` in this process, or close it and start ``workers`` processes of their own."""
    import uvicorn

    # uvloop and httptools (the C event loop and HTTP parser) are pinned dependencies, named
    # here so a missing one fails at start-up instead of quietly serving slower. The access
    # log is off: gatehouse.access logs each request by route template, never by path.
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "log_config": log_config("info"),
        "access_log": False,
        "loop": "uvloop",
        "http": "httptools",
    }
    if workers == 1:
        from gatehouse.app import create_app

        uvicorn.run(create_app(gh), **options)
        return
    # Each worker opens its own Gatehouse through the factory; the parent only supervises.
    gh.close()
    uvicorn.run("gatehouse.asgi:app", factory=True, workers=workers, **options)
