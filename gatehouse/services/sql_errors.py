"""Database errors a use case may handle, translated to the ports' exceptions."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError

from gatehouse.services.ports import Contention, DuplicateKey

__all__ = ["translated"]

# SQLSTATEs of a transaction the server aborted for a concurrent one: serialization failure
# and deadlock. Running the transaction again is the documented remedy for both.
_RETRYABLE = {"40001", "40P01"}


def translated(error: BaseException) -> Exception | None:
    """The port's exception for a database error that a use case may handle, else None."""
    if isinstance(error, IntegrityError):
        return DuplicateKey(str(error.orig))
    if isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in _RETRYABLE:
        return Contention(str(error.orig))
    return None
