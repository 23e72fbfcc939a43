"""Field transforms: how a personal data field is released to a recipient.

A rule pack names a transform per purpose and field; the names resolve through this registry,
so a pack can only use transforms that exist in code, and the loader checks that up front.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from gatehouse.domain import masking
from gatehouse.domain.errors import Conflict
from gatehouse.domain.redaction import redact_pii

__all__ = [
    "Transform",
    "TransformContext",
    "UnknownTransform",
    "get_transform",
    "known_transforms",
    "register",
]


@dataclass(frozen=True)
class TransformContext:
    """Facts about one transfer that change what a transform releases."""

    customs_required: bool = False
    # Maps a real E.164 number to a safe number (0505-XXXX-XXXX) from the caller's pool.
    safe_number: Callable[[str], str] | None = None


class Transform(ABC):
    """A named strategy that turns a stored field value into the value a recipient sees."""

    name: ClassVar[str]
    # Fields the transform understands; None means any field.
    fields: ClassVar[frozenset[str] | None] = None

    def supports(self, field: str) -> bool:
        """Whether this transform can be configured for ``field``."""
        return self.fields is None or field in self.fields

    @abstractmethod
    def apply(self, field: str, value: str | None, ctx: TransformContext) -> str | None:
        """Return the released value, or None when the field is not released."""


class UnknownTransform(KeyError):
    """No transform is registered under the name."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        return f"unknown transform '{self.name}' (known: {', '.join(self.known)})"


_REGISTRY: dict[str, Transform] = {}
_T = TypeVar("_T", bound=type[Transform])


def register(cls: _T) -> _T:
    """Class decorator: register a transform under its ``name``."""
    if cls.name in _REGISTRY:
        raise ValueError(f"transform '{cls.name}' is already registered")
    _REGISTRY[cls.name] = cls()
    return cls


def get_transform(name: str) -> Transform:
    """Return the transform registered as ``name``; raise UnknownTransform otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownTransform(name, known_transforms()) from None


def known_transforms() -> list[str]:
    """Names of all registered transforms, sorted."""
    return sorted(_REGISTRY)


_ADDRESS_LINES = frozenset({"address", "address_line1"})


def _mask(field: str, value: str) -> str:
    if field == "name":
        return masking.mask_name(value)
    if field == "phone":
        return masking.mask_phone(value)
    if field == "email":
        return masking.mask_email(value)
    if field == "customs_code":
        return masking.mask_customs_code(value)
    if field == "postal_code":
        return masking.mask_postal_code(value)
    if field in _ADDRESS_LINES:
        return masking.mask_address(value)
    # address_line2: the unit and floor identify the household and say nothing about the route.
    return "***"


@register
class Plain(Transform):
    """Release the value unchanged."""

    name = "plain"

    def apply(self, field: str, value: str | None, ctx: TransformContext) -> str | None:
        return value


@register
class Masked(Transform):
    """Release a masked value (홍*동, 010-****-5678, h***@example.com)."""

    name = "masked"
    fields = frozenset(
        {"name", "phone", "email", "customs_code", "postal_code", "address_line2", *_ADDRESS_LINES}
    )

    def apply(self, field: str, value: str | None, ctx: TransformContext) -> str | None:
        return None if value is None else _mask(field, value)


@register
class SafeNumber(Transform):
    """Release a safe number from the caller's pool instead of the real phone number."""

    name = "safe_number"
    fields = frozenset({"phone"})

    def apply(self, field: str, value: str | None, ctx: TransformContext) -> str | None:
        if value is None:
            return None
        if ctx.safe_number is None:
            raise Conflict(
                "no safe number source was supplied for this transfer",
                code="safe_number_unavailable",
            )
        return ctx.safe_number(value)


@register
class RedactPii(Transform):
    """Release free text with phone numbers, e-mails and identifiers replaced by tokens."""

    name = "redact_pii"

    def apply(self, field: str, value: str | None, ctx: TransformContext) -> str | None:
        return None if value is None else redact_pii(value)


@register
class Drop(Transform):
    """Never release the field."""

    name = "drop"

    def apply(self, field: str, value: str | None, ctx: TransformContext) -> str | None:
        return None


@register
class CustomsOnly(Transform):
    """Release the value only when the transfer is flagged as needing customs clearance."""

    name = "customs_only"

    def apply(self, field: str, value: str | None, ctx: TransformContext) -> str | None:
        return value if ctx.customs_required else None


@register
class MaskedFurther(Transform):
    """The stronger mask used after purchase confirmation (홍**, 010-****-****)."""

    name = "masked_further"
    fields = frozenset({"name", "phone", "postal_code", "address_line2", *_ADDRESS_LINES})

    def apply(self, field: str, value: str | None, ctx: TransformContext) -> str | None:
        if value is None:
            return None
        if field == "name":
            return masking.mask_name_further(value)
        if field == "phone":
            return masking.hide_phone(value)
        return _mask(field, value)
