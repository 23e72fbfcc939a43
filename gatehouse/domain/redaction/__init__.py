"""Redaction of personal identifiers inside free text such as delivery notes.

Buyers write phone numbers, e-mail addresses, registration numbers, customs codes, refund
accounts and card numbers into delivery notes and messages; the note itself must still reach
the courier and the seller, with its order and tracking numbers, door codes and building names,
so only the identifiers are replaced, each by a token that names its kind.
"""

from __future__ import annotations

# Importing the recognizer modules registers them with the engine.
from gatehouse.domain.redaction import customs, email, finance, identity, phone  # noqa: F401
from gatehouse.domain.redaction.engine import Redaction, find_spans, redact, redact_pii
from gatehouse.domain.redaction.normalise import Normalised, normalise
from gatehouse.domain.redaction.spans import (
    KINDS,
    PII_TOKENS,
    THRESHOLD,
    Recognizer,
    Span,
    get_recognizer,
    known_recognizers,
    register,
)

__all__ = [
    "KINDS",
    "PII_TOKENS",
    "THRESHOLD",
    "Normalised",
    "Recognizer",
    "Redaction",
    "Span",
    "find_spans",
    "get_recognizer",
    "known_recognizers",
    "normalise",
    "redact",
    "redact_pii",
    "register",
]
