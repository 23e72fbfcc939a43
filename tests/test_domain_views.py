"""Views with no database: transforms, the release list, windows; never the raw phone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.domain.contact import RoadAddress
from gatehouse.domain.transforms import TransformContext
from gatehouse.domain.views import (
    CloseReason,
    ViewSource,
    build_recipient_fields,
    close_reason,
    released_fields,
    view_expiry,
)
from gatehouse.rules import load_packs

PACK = load_packs().by_id("KR-PIPA")
FULFILMENT = PACK.purposes["fulfilment"]
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _source(
    phone: str = "+821024681357", customs: str | None = "P123456789012", note: str | None = None
) -> ViewSource:
    return ViewSource(
        name="홍길동",
        phone=phone,
        address=RoadAddress("06236", "서울특별시 강남구 테헤란로 152", "12층"),
        delivery_note=note,
        customs_code=customs,
    )


def _ctx(customs: bool) -> TransformContext:
    return TransformContext(customs_required=customs, safe_number=lambda _: "0505-1234-5678")


def test_fulfilment_view() -> None:
    fields = build_recipient_fields(
        FULFILMENT, _source(note="경비실 010-1111-2222"), _ctx(False), confirmed=False
    )
    assert fields["name"] == "홍*동"
    assert fields["phone"] == "0505-1234-5678"
    assert fields["address"] == {
        "postal_code": "06236",
        "line1": "서울특별시 강남구 테헤란로 152",
        "line2": "12층",
    }
    assert "010-1111-2222" not in str(fields["delivery_note"])
    assert "customs_code" not in fields


def test_customs_code_only_when_customs_required() -> None:
    fields = build_recipient_fields(FULFILMENT, _source(), _ctx(True), confirmed=False)
    assert fields["customs_code"] == "P123456789012"
    assert released_fields(FULFILMENT, customs_required=True, has_delivery_note=False) == [
        "name",
        "phone",
        "address",
        "customs_code",
    ]
    assert "customs_code" not in released_fields(
        FULFILMENT, customs_required=False, has_delivery_note=True
    )


def test_purchase_confirmation_masks_further() -> None:
    fields = build_recipient_fields(FULFILMENT, _source(), _ctx(True), confirmed=True)
    assert fields["name"] != "홍*동" and str(fields["name"]).startswith("홍")
    assert "5678" not in str(fields["phone"])
    assert "customs_code" not in fields
    assert "152" not in str(fields["address"])


def test_window_is_delivery_plus_n_capped_at_max() -> None:
    assert view_expiry(PACK.views, T0, None) == T0 + timedelta(days=90)
    delivered = T0 + timedelta(days=3)
    assert view_expiry(PACK.views, T0, delivered) == delivered + timedelta(days=7)
    late = T0 + timedelta(days=89)
    assert view_expiry(PACK.views, T0, late) == T0 + timedelta(days=90)


def test_close_reasons() -> None:
    common = dict(
        opened_at=T0,
        delivered_at=None,
        order_cancelled=False,
        recipient_suspended=False,
        country_suspended=False,
        subject_deleted=False,
    )
    expires = T0 + timedelta(days=90)
    assert close_reason(PACK.views, now=T0, expires_at=expires, **common) is None  # type: ignore[arg-type]
    assert (
        close_reason(PACK.views, now=expires, expires_at=expires, **common)
        is CloseReason.MAX_WINDOW_ENDED
    )  # type: ignore[arg-type]
    assert (
        close_reason(
            PACK.views, now=T0, expires_at=expires, **{**common, "country_suspended": True}
        )
        is CloseReason.COUNTRY_SUSPENDED
    )  # type: ignore[arg-type]


digits = st.text(alphabet="0123456789", min_size=4, max_size=4)
notes = st.lists(
    st.one_of(
        st.sampled_from(
            ["문 앞", "경비실에 맡겨 주세요", "부재 시 연락", "3층", "101동 1203호", " ", ", "]
        ),
        st.builds(lambda a, b: f"010-{a}-{b}", digits, digits),
        st.builds(lambda a, b: f"010{a}{b}", digits, digits),
        st.builds(lambda a, b: f"+82 10-{a}-{b}", digits, digits),
        st.builds(lambda n: f"P{n}", st.text(alphabet="0123456789", min_size=12, max_size=12)),
    ),
    max_size=8,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(
    a=st.integers(2000, 9999),
    b=st.integers(0, 9999),
    customs=st.text(alphabet="0123456789", min_size=12, max_size=12),
    note=notes,
    customs_required=st.booleans(),
    confirmed=st.booleans(),
)
def test_transforms_never_leak_the_phone_or_an_unrequired_customs_code(
    a: int, b: int, customs: str, note: str, customs_required: bool, confirmed: bool
) -> None:
    phone = f"+8210{a}{b:04d}"
    code = f"P{customs}"
    fields = build_recipient_fields(
        FULFILMENT,
        _source(phone=phone, customs=code, note=note or None),
        _ctx(customs_required),
        confirmed=confirmed,
    )
    rendered = str(fields)
    national = f"010{a}{b:04d}"
    for form in (phone, national, f"010-{a}-{b:04d}", f"{a}-{b:04d}", f"{a}{b:04d}"):
        assert form not in rendered
    if not customs_required or confirmed:
        assert code not in rendered
    # Whatever the note said, no phone-shaped or customs-shaped string survives in it.
    redacted = str(fields.get("delivery_note", ""))
    assert not re.search(r"01[016789]-?\d{3,4}-?\d{4}", redacted)
    assert not re.search(r"P\d{12}", redacted)
