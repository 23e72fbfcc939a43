"""Structured logs: one JSON object per line, and the logging set-up of ``gatehouse serve``.

:class:`JsonFormatter` writes the time, level, logger and message, and the fields a caller
passed in ``extra`` (request id, route template, status, fingerprint...). A record that
carries an exception is written with the exception's type and fingerprint only, never its
text or traceback: a library's ``log.exception`` must not put a database error's bound
parameters, or any other value, into the logs either.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from gatehouse.http.fingerprints import error_type, fingerprint

__all__ = ["JsonFormatter", "log_config"]

# The attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"))


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON object on one line; an exception by type and fingerprint."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        entry: dict[str, Any] = {
            "ts": f"{stamp}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            entry.setdefault("error_type", error_type(exc))
            entry.setdefault("fingerprint", fingerprint(exc))
        return _ENCODER.encode(entry)


def log_config(level: str = "info") -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of ``gatehouse serve``, uvicorn's loggers included.

    Every line is JSON: access lines (``gatehouse.access``) on stdout, everything else on
    stderr. uvicorn's own access log is off: ours names the route template, not the path.
    """
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": upper, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "gatehouse": {"handlers": ["stderr"], "level": upper, "propagate": False},
            "gatehouse.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }
