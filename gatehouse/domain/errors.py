"""Errors the domain raises; adapters map each ``code`` to an HTTP status."""

from __future__ import annotations

from typing import Any


class GatehouseError(Exception):
    """Base error: a stable machine ``code``, a human ``message`` and optional ``details``."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidInput(GatehouseError):
    """The caller sent a value that breaks a domain rule (maps to 422)."""

    code = "invalid_input"


class NotFound(GatehouseError):
    """The id names nothing the caller may see (maps to 404)."""

    code = "not_found"


class Conflict(GatehouseError):
    """The request clashes with existing state (maps to 409)."""

    code = "conflict"


class Forbidden(GatehouseError):
    """The caller is known but may not do this (maps to 403)."""

    code = "forbidden"


class Unauthorized(GatehouseError):
    """No valid credentials (maps to 401)."""

    code = "unauthorized"
