"""Spans, the recognizer base class and the recognizer registry.

A recognizer finds candidate spans of one family of identifiers in normalised text and scores
each one; the engine keeps the best non-overlapping candidates at or above ``THRESHOLD``. New
recognizers register themselves, like the field transforms, so the engine never names them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from gatehouse.domain.redaction.context import Cues

__all__ = [
    "KINDS",
    "PII_TOKENS",
    "THRESHOLD",
    "Recognizer",
    "Span",
    "get_recognizer",
    "known_recognizers",
    "recognizers",
    "register",
]

# The kind strings are a contract shared with the labelled corpus and the benchmark.
PII_TOKENS: dict[str, str] = {
    "phone": "[전화번호]",
    "email": "[이메일]",
    "rrn": "[주민등록번호]",
    "frn": "[외국인등록번호]",
    "customs_code": "[통관부호]",
    "bank_account": "[계좌번호]",
    "card": "[카드번호]",
    "passport": "[여권번호]",
    "driver_license": "[운전면허번호]",
}
KINDS: tuple[str, ...] = tuple(PII_TOKENS)

# A candidate is redacted when its score reaches this.
THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class Span:
    """One identifier found in a text: ``text[start:end]`` is of ``kind``, with ``score``."""

    start: int
    end: int
    kind: str
    score: float


class Recognizer(ABC):
    """Finds and scores candidate identifiers of one family in normalised text."""

    name: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]]
    # The fewest digits in a row (give or take separators) that a candidate holds; the engine
    # skips the recognizer on a text with no run that long. It knows runs of 9 and of 13.
    min_run: ClassVar[int] = 9
    # Whether candidates hold an @ instead (e-mail addresses).
    needs_at: ClassVar[bool] = False

    @abstractmethod
    def find(self, text: str, cues: Cues) -> Iterator[Span]:
        """Yield scored candidates with offsets into the normalised ``text``, whose cue words
        are ``cues``."""


_REGISTRY: dict[str, Recognizer] = {}
_ALL: list[tuple[Recognizer, ...]] = [()]  # the registry's values, kept for the hot path
_R = TypeVar("_R", bound=type[Recognizer])


def register(cls: _R) -> _R:
    """Class decorator: register a recognizer under its ``name``."""
    if cls.name in _REGISTRY:
        raise ValueError(f"recognizer '{cls.name}' is already registered")
    unknown = set(cls.kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"recognizer '{cls.name}' emits unknown kinds {sorted(unknown)}")
    _REGISTRY[cls.name] = cls()
    _ALL[0] = tuple(_REGISTRY.values())
    return cls


def get_recognizer(name: str) -> Recognizer:
    """Return the recognizer registered as ``name`` (KeyError otherwise)."""
    return _REGISTRY[name]


def known_recognizers() -> list[str]:
    """Names of all registered recognizers, sorted."""
    return sorted(_REGISTRY)


def recognizers() -> tuple[Recognizer, ...]:
    """All registered recognizers, in registration order."""
    return _ALL[0]
