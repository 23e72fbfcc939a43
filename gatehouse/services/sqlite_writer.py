"""SQLite's one writer, taken in turn by this process's threads rather than by polling."""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import Engine

__all__ = ["WRITER_WAIT_S", "writer_turn"]

WRITER_WAIT_S = 10.0
"""As long as SQLite's own busy timeout: a writer that waits longer gives up."""

_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_WRITERS_GUARD = threading.Lock()


def writer_turn(engine: Engine) -> threading.RLock | None:
    """The lock that this process's writers on an SQLite ``engine`` take turns by; None for
    a server database, whose writers run side by side.

    SQLite has one writer at a time, and a connection that finds the write lock taken waits
    in its busy handler, which sleeps between tries (up to 100 ms a sleep): under concurrent
    writes those sleeps, not the work, made the latency's tail. Queued on a lock in this
    process, the next writer starts the moment the last one commits. Re-entrant, so a
    thread that opens a unit of work inside its own write behaves as it did without it;
    writers in other processes (the worker) still meet SQLite's busy handler.
    """
    if engine.dialect.name != "sqlite":
        return None
    with _WRITERS_GUARD:
        turn = _WRITERS.get(engine)
        if turn is None:
            turn = _WRITERS[engine] = threading.RLock()
        return turn
