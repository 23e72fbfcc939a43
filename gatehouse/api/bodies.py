"""The base of every request body, and the bounded string types they share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictStr

__all__ = ["Body", "ShortText", "Text"]

Text = Annotated[StrictStr, Field(max_length=2000)]
ShortText = Annotated[StrictStr, Field(max_length=200)]


class Body(BaseModel):
    """Base for request bodies: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", strict=True)
