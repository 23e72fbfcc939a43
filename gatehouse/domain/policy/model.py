"""The value types every part of a rule pack is built from: keys, texts and labels."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, RootModel, StringConstraints

__all__ = ["BasisCode", "CountryCode", "Key", "Label", "LanguageCode", "Model", "Text"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
BasisCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class Model(BaseModel):
    """Base of every pack section: immutable, and an unknown key is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Label(RootModel[dict[LanguageCode, Text]]):
    """A text in each of the pack's languages, keyed by language code."""

    model_config = ConfigDict(frozen=True)

    def __getitem__(self, language: str) -> str:
        return self.root[language]

    def text(self, language: str, fallback: str) -> str:
        """The text in ``language``, or in ``fallback`` when the pack lacks that language."""
        return self.root.get(language, self.root[fallback])
