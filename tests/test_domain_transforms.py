"""The transform registry and the built-in transforms."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import Conflict, GatehouseError
from gatehouse.domain.transforms import (
    Transform,
    TransformContext,
    UnknownTransform,
    get_transform,
    known_transforms,
    register,
)

NO_CTX = TransformContext()


def test_builtins_are_registered() -> None:
    assert known_transforms() == [
        "customs_only",
        "drop",
        "masked",
        "masked_further",
        "plain",
        "redact_pii",
        "safe_number",
    ]
    for name in known_transforms():
        assert get_transform(name).name == name


def test_unknown_transform_lists_the_known_ones() -> None:
    with pytest.raises(UnknownTransform) as exc:
        get_transform("safe_numbr")
    assert isinstance(exc.value, KeyError)
    assert exc.value.name == "safe_numbr"
    assert exc.value.known == known_transforms()
    assert str(exc.value).startswith("unknown transform 'safe_numbr' (known: customs_only, drop,")


def test_register_rejects_a_duplicate_name() -> None:
    class Again(Transform):
        name = "plain"

        def apply(self, field: str, value: str | None, ctx: TransformContext) -> str | None:
            return value

    with pytest.raises(ValueError, match="already registered"):
        register(Again)
    assert type(get_transform("plain")).__name__ == "Plain"


def test_plain_and_drop() -> None:
    assert get_transform("plain").apply("address", "서울 강남구 테헤란로 152", NO_CTX) == (
        "서울 강남구 테헤란로 152"
    )
    assert get_transform("drop").apply("email", "hong@example.com", NO_CTX) is None


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", "홍길동", "홍*동"),
        ("phone", "+821012345678", "010-****-5678"),
        ("email", "hong@example.com", "h***@example.com"),
        ("customs_code", "P123456789012", "P*********012"),
        ("address", "서울특별시 강남구 테헤란로 152", "서울특별시 강남구 테헤란로 ***"),
        ("address_line1", "서울특별시 강남구 테헤란로 152", "서울특별시 강남구 테헤란로 ***"),
        ("address_line2", "101동 1203호", "***"),
        ("postal_code", "06236", "062**"),
    ],
)
def test_masked_dispatches_on_field(field: str, value: str, expected: str) -> None:
    assert get_transform("masked").apply(field, value, NO_CTX) == expected


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", "홍길동", "홍**"),
        ("name", "John Smith", "** Smith"),
        ("phone", "+821012345678", "010-****-****"),
        ("phone", "0505-1234-5678", "0505-****-****"),
        ("address", "서울특별시 강남구 테헤란로 152", "서울특별시 강남구 테헤란로 ***"),
    ],
)
def test_masked_further(field: str, value: str, expected: str) -> None:
    assert get_transform("masked_further").apply(field, value, NO_CTX) == expected


def test_field_support_is_declared() -> None:
    assert get_transform("masked").supports("name")
    assert not get_transform("masked").supports("delivery_note")
    assert get_transform("safe_number").supports("phone")
    assert not get_transform("safe_number").supports("address")
    assert not get_transform("masked_further").supports("email")
    assert get_transform("redact_pii").supports("delivery_note")
    assert get_transform("plain").supports("anything")


def test_safe_number_uses_the_context_pool() -> None:
    calls: list[str] = []

    def pool(e164: str) -> str:
        calls.append(e164)
        return "0505-1111-2222"

    ctx = TransformContext(safe_number=pool)
    assert get_transform("safe_number").apply("phone", "+821012345678", ctx) == "0505-1111-2222"
    assert calls == ["+821012345678"]
    assert get_transform("safe_number").apply("phone", None, ctx) is None
    assert calls == ["+821012345678"]


def test_safe_number_without_a_pool_is_a_domain_error() -> None:
    with pytest.raises(Conflict) as exc:
        get_transform("safe_number").apply("phone", "+821012345678", NO_CTX)
    assert isinstance(exc.value, GatehouseError)
    assert exc.value.code == "safe_number_unavailable"
    assert "5678" not in exc.value.message


def test_customs_only_releases_only_when_required() -> None:
    transform = get_transform("customs_only")
    code = "P123456789012"
    assert transform.apply("customs_code", code, TransformContext(customs_required=True)) == code
    assert transform.apply("customs_code", code, TransformContext(customs_required=False)) is None
    assert transform.apply("customs_code", code, NO_CTX) is None
    assert transform.apply("customs_code", None, TransformContext(customs_required=True)) is None


def test_redact_pii_transform() -> None:
    note = "문 앞에 두고 010-1234-5678 로 문자 주세요. 3층"
    assert get_transform("redact_pii").apply("delivery_note", note, NO_CTX) == (
        "문 앞에 두고 [전화번호] 로 문자 주세요. 3층"
    )


@pytest.mark.parametrize("name", ["plain", "masked", "redact_pii", "drop", "masked_further"])
def test_absent_values_stay_absent(name: str) -> None:
    assert get_transform(name).apply("name", None, NO_CTX) is None


def test_context_is_frozen() -> None:
    ctx = TransformContext()
    with pytest.raises(AttributeError):
        ctx.customs_required = True  # type: ignore[misc]
