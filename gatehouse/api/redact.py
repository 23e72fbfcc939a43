"""``POST /v1/redact``: the operator's other systems (chat, reviews) redact free text here.

The same engine that cleans delivery notes before a recipient sees them answers with the text,
each personal identifier replaced by a Korean token that names its kind, and the spans found
in the text as sent. Nothing is stored and nothing is logged: the text is the caller's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictStr

from gatehouse.api.bodies import Body
from gatehouse.domain.redaction import KINDS, PII_TOKENS, redact
from gatehouse.http.deps import OperatorDep

__all__ = ["MAX_REDACT_CHARS", "router"]

router = APIRouter(prefix="/v1/redact", tags=["redaction"])

MAX_REDACT_CHARS = 20_000
"""A long chat message or review; longer text is refused, not cut, so nothing passes unread."""


class RedactIn(Body):
    text: Annotated[StrictStr, Field(max_length=MAX_REDACT_CHARS)]


class SpanOut(BaseModel):
    start: int = Field(description="Offset of the identifier's first character in the text sent.")
    end: int = Field(description="Offset just after its last character.")
    type: str = Field(description=f"One of: {', '.join(KINDS)}.")
    score: float = Field(description="Confidence from 0.5 (the threshold) to 1.")
    token: str = Field(description="What replaced it in ``text``.")


class RedactOut(BaseModel):
    text: str
    spans: list[SpanOut]


@router.post("", response_model=RedactOut)
def redact_text(body: RedactIn, _operator: OperatorDep) -> RedactOut:
    """The text with every personal identifier replaced, and where each one was."""
    result = redact(body.text)
    return RedactOut(
        text=result.text,
        spans=[
            SpanOut(
                start=span.start,
                end=span.end,
                type=span.kind,
                # The engine ranks by scores that context may lift past 1; callers see 0.5 to 1.
                score=round(min(span.score, 1.0), 3),
                token=PII_TOKENS[span.kind],
            )
            for span in result.spans
        ],
    )
