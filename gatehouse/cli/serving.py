"""How ``gatehouse serve`` runs uvicorn: one process, or N worker processes."""

from __future__ import annotations

import ctypes
import os
from typing import Any

import typer

from gatehouse.cli.common import err
from gatehouse.http.logs import log_config
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.db import is_sqlite

__all__ = ["MALLOC_ARENAS", "cap_malloc_arenas", "check_workers", "run_server"]

MALLOC_ARENAS = 2
"""glibc's malloc arenas for a server process, where glibc would make up to eight a core.

Each request thread otherwise gets an arena of its own, keeps the pages it freed there, and
the server's memory grows with concurrency: 55 MB over a load against 33 MB with two arenas
(BENCHMARKS.md, "Where the memory goes after the load")."""
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's <malloc.h>


def check_workers(database_url: str, workers: int) -> None:
    """Exit with status 2 when more than one worker is asked for on SQLite."""
    if workers > 1 and is_sqlite(database_url):
        err.print(
            f"[red]--workers {workers} needs PostgreSQL;[/] SQLite keeps one writer at a time, "
            "and one process's group commit already gathers its transfers. "
            "Serve SQLite with --workers 1."
        )
        raise typer.Exit(2)


def cap_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas at :data:`MALLOC_ARENAS`, for this process and the workers it
    starts, unless ``MALLOC_ARENA_MAX`` is set already; True when the cap was set here.

    A C library without ``mallopt`` (not glibc) is left as it is.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False  # the operator's own choice, which glibc read at this process's start
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None or mallopt(_M_ARENA_MAX, MALLOC_ARENAS) != 1:
        return False
    # Spawned workers are new processes: glibc reads the cap from their environment.
    os.environ["MALLOC_ARENA_MAX"] = str(MALLOC_ARENAS)
    return True


def run_server(gh: Gatehouse, host: str, port: int, workers: int = 1) -> None:
    """Serve ``gh`` in this process, or close it and start ``workers`` processes of their own."""
    import uvicorn

    cap_malloc_arenas()
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
