"""What may be logged of an unexpected exception: its type and a fingerprint, never its text.

The fingerprint is a hash of the type and of the traceback's ``file:line:function`` frames: the
same for every occurrence of the same fault, so operators can count and find it. The message
is never logged, nor the traceback's text: a database error's message carries bound
parameters, and other exceptions quote bodies or query values.
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from pathlib import PurePath

from starlette.types import Scope

from gatehouse.http.request_ids import request_id_of
from gatehouse.http.routes import route_template

__all__ = ["error_type", "fingerprint", "frames", "log_unexpected"]

log = logging.getLogger("gatehouse.http")

# The innermost frames say where the fault is; a deep stack needs no more to be told apart.
_MAX_FRAMES = 30


def error_type(exc: BaseException) -> str:
    """The exception's qualified type name, e.g. ``sqlalchemy.exc.ProgrammingError``."""
    kind = type(exc)
    return f"{kind.__module__}.{kind.__qualname__}"


def frames(exc: BaseException) -> list[str]:
    """The traceback as ``file:line:function`` (the file's name only), innermost last."""
    summary = traceback.extract_tb(exc.__traceback__)[-_MAX_FRAMES:]
    return [f"{PurePath(f.filename).name}:{f.lineno}:{f.name}" for f in summary]


def fingerprint(exc: BaseException) -> str:
    """The first 16 hex digits of SHA-256 over the type and the traceback's frames."""
    text = "\n".join([error_type(exc), *frames(exc)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def log_unexpected(scope: Scope, exc: BaseException) -> None:
    """Log an unexpected exception by type, fingerprint and frames: never its message."""
    log.error(
        "unhandled error",
        extra={
            "request_id": request_id_of(scope),
            "route": route_template(scope),
            "method": scope.get("method"),
            "error_type": error_type(exc),
            "fingerprint": fingerprint(exc),
            "frames": frames(exc),
        },
    )
