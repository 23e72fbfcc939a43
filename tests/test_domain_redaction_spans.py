"""The recognizer base class and its registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gatehouse.domain.redaction import (
    KINDS,
    Recognizer,
    Span,
    get_recognizer,
    known_recognizers,
    register,
)
from gatehouse.domain.redaction.context import Cues


def test_every_kind_has_a_registered_recognizer() -> None:
    assert known_recognizers() == [
        "bank_account",
        "card",
        "customs_code",
        "driver_license",
        "email",
        "passport",
        "phone",
        "registration_number",
    ]
    emitted = {kind for name in known_recognizers() for kind in get_recognizer(name).kinds}
    assert emitted == set(KINDS)


def test_a_recognizer_yields_scored_spans_on_the_normalised_text() -> None:
    text = "연락처 010-1234-5678"
    spans = list(get_recognizer("phone").find(text, Cues(text)))
    assert [(s.start, s.end, s.kind) for s in spans] == [(4, 17, "phone")]
    assert spans[0].score > 0.9


def test_names_and_kinds_are_checked_at_registration() -> None:
    class Again(Recognizer):
        name = "phone"
        kinds = ("phone",)

        def find(self, text: str, cues: Cues) -> Iterator[Span]:
            yield from ()

    class Unknown(Recognizer):
        name = "vehicle_plate"
        kinds = ("vehicle_plate",)

        def find(self, text: str, cues: Cues) -> Iterator[Span]:
            yield from ()

    with pytest.raises(ValueError, match="already registered"):
        register(Again)
    with pytest.raises(ValueError, match="unknown kinds"):
        register(Unknown)
    assert "vehicle_plate" not in known_recognizers()


def test_spans_are_immutable_values() -> None:
    span = Span(0, 3, "phone", 0.9)
    assert span == Span(0, 3, "phone", 0.9)
    with pytest.raises(AttributeError):
        span.start = 1  # type: ignore[misc]
