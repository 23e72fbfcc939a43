"""Database errors a use case may handle, translated to the ports' exceptions."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from gatehouse.services.ports import Contention, DuplicateKey

__all__ = ["database_unavailable", "translated"]

# SQLSTATEs of a transaction the server aborted for a concurrent one: serialization failure
# and deadlock. Running the transaction again is the documented remedy for both.
_RETRYABLE = {"40001", "40P01"}
# PostgreSQL's connection exceptions (class 08) and a server shutting down or starting up.
_GONE = {"57P01", "57P02", "57P03"}
# SQLite's busy and locked result codes: another writer held on past the busy timeout.
_SQLITE_BUSY = {5, 6}


def translated(error: BaseException) -> Exception | None:
    """The port's exception for a database error that a use case may handle, else None."""
    if isinstance(error, IntegrityError):
        return DuplicateKey(str(error.orig))
    if isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in _RETRYABLE:
        return Contention(str(error.orig))
    return None


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database could not be reached or used just now.

    Such a failure is the database's, not the request's: the answer is 503 and a retry, where
    any other database error (a missing table, a bad statement) is a fault of ours.
    """
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    state = getattr(error.orig, "sqlstate", None)
    if state is not None:
        return str(state).startswith("08") or state in _GONE
    if not isinstance(error, OperationalError):
        return False
    code = getattr(error.orig, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF in _SQLITE_BUSY
    # A driver's error with no SQLSTATE at all: the connection itself could not be made.
    return True
