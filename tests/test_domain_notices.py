"""The Art. 28-8(2) overseas-transfer notice: complete, per recipient, and content-hashed."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import random
import re
import tomllib
from datetime import UTC, date, datetime
from typing import Any

import pytest

from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.group_names import find_group_term
from gatehouse.domain.notices import (
    RECIPIENT_ITEMS,
    Notice,
    NoticeItem,
    RecipientEntry,
    recipient_fingerprint,
    render_notice,
)
from gatehouse.domain.policy import RulePack
from gatehouse.domain.recipients import (
    Certification,
    OnwardTransfer,
    PrivacyOfficer,
    Recipient,
    RecipientKind,
    RecipientStatus,
)
from gatehouse.rules import PACKS_DIR, load_pack

AT = datetime(2025, 5, 14, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_pack(PACKS_DIR / "kr-pipa.toml")


def make_recipient(recipient_id: str = "rcp_1", **overrides: Any) -> Recipient:
    fields: dict[str, Any] = {
        "id": recipient_id,
        "kind": RecipientKind.SELLER,
        "legal_name": "Shenzhen Bright Trade Co., Ltd.",
        "country": "CN",
        "contact_phone": "+8613800138000",
        "contact_email": "ops@bright-trade.example.cn",
        "privacy_officer": PrivacyOfficer(
            name="Li Wei", email="privacy@bright-trade.example.cn", phone="+8613900139000"
        ),
        "purposes": ("fulfilment", "customer_service"),
        "retention_days": 90,
        "certifications": (),
        "webhook_url": None,
        "status": RecipientStatus.ACTIVE,
        "accepted_terms_version": "2025-01",
        "created_at": AT,
        "updated_at": AT,
    }
    fields.update(overrides)
    return Recipient(**fields)


def render(pack: RulePack, *recipients: Recipient, **options: str) -> Notice:
    args = {"purpose": "fulfilment", "flow": "provision", "locale": "ko", "kind": "consent"}
    args.update(options)
    return render_notice(
        pack,
        purpose=args["purpose"],
        flow=args["flow"],
        recipients=list(recipients) or [make_recipient()],
        locale=args["locale"],
        kind=args["kind"],
    )


def render_error(pack: RulePack, *recipients: Recipient, **options: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as exc:
        render(pack, *recipients, **options)
    return exc.value


def error_of(pack: RulePack, **kwargs: Any) -> InvalidInput:
    args: dict[str, Any] = {
        "purpose": "fulfilment",
        "flow": "provision",
        "recipients": [make_recipient()],
        "locale": "ko",
        **kwargs,
    }
    with pytest.raises(InvalidInput) as exc:
        render_notice(pack, **args)
    return exc.value


# Rendering


def test_korean_notice_has_every_item_and_recipient_fact(pack: RulePack) -> None:
    notice = render(pack)
    text = notice.text
    # The order cannot ship without this consent, so it is labelled required, never 선택.
    assert text.splitlines()[0] == "[필수] 개인정보 국외 이전 동의 (이 주문의 처리에 필요)"
    assert notice.required is True and notice.kind == "consent" and notice.carries_consent
    for item in pack.notice_items:
        assert f"{item.label['ko']}: " in text
    for fact in (
        "Shenzhen Bright Trade Co., Ltd.",
        "개인정보가 이전되는 국가: 중국",
        "+86 138 0013 8000",
        "ops@bright-trade.example.cn",
        "Li Wei (privacy@bright-trade.example.cn, +86 139 0013 9000)",
        "보유·이용 기간: 90일",
        "이용목적: 주문 상품의 배송 및 주문 이행",
        "별도의 동의를 받은 경우 (「개인정보 보호법」 제28조의8제1항제1호)",
        "(판매자, 제공)",
    ):
        assert fact in text
    assert (notice.pack_id, notice.pack_version) == ("KR-PIPA", pack.version)
    assert (notice.locale, notice.purpose, notice.flow) == ("ko", "fulfilment", "provision")
    assert notice.countries == ("CN",)
    assert notice.fields == ("name", "phone", "address", "delivery_note", "customs_code")


def test_english_notice(pack: RulePack) -> None:
    notice = render(pack, locale="en-US")
    assert notice.locale == "en"
    text = notice.text
    assert text.splitlines()[0] == (
        "[Required] Consent to the overseas transfer of personal data (needed for this order)"
    )
    # Shown beside the Korean notice only: a consent is recorded against that one.
    assert not notice.carries_consent
    for item in pack.notice_items:
        assert f"{item.label['en']}: " in text
    for fact in (
        "Destination country: China",
        "Recipient's name (entity name for a legal person): Shenzhen Bright Trade Co., Ltd.",
        "+86 138 0013 8000, ops@bright-trade.example.cn",
        "Li Wei (privacy@bright-trade.example.cn, +86 139 0013 9000)",
        "Recipient's retention and use period: 90 days",
        "(Seller, Provision)",
    ):
        assert fact in text
    # Nothing Korean leaks into the English notice.
    assert not re.search("[가-힣]", text)


@pytest.mark.parametrize(
    ("locale", "language"),
    [("ko", "ko"), ("ko-KR", "ko"), ("ko_KR", "ko"), ("KO", "ko"), ("en", "en"), ("en-GB", "en")],
)
def test_locale_picks_a_pack_language(pack: RulePack, locale: str, language: str) -> None:
    assert render(pack, locale=locale).locale == language


def test_every_item_is_filled_for_every_recipient(pack: RulePack) -> None:
    notice = render(
        pack,
        make_recipient("rcp_b", country="SG", legal_name="Lion City Logistics Pte. Ltd."),
        make_recipient("rcp_a"),
    )
    keys = [item.key for item in pack.notice_items]
    # Sorted by id, whatever order they were given in.
    assert [e.recipient_id for e in notice.recipients] == ["rcp_a", "rcp_b"]
    for entry in notice.recipients:
        assert [i.key for i in entry.items] == keys
        assert all(isinstance(i, NoticeItem) and i.label and i.value for i in entry.items)
    # The shared items appear once, in pack order, ahead of the per-recipient blocks.
    assert [i.key for i in notice.items] == [k for k in keys if k not in RECIPIENT_ITEMS]
    singapore = notice.recipients[1]
    assert isinstance(singapore, RecipientEntry)
    assert (singapore.country, singapore.country_name) == ("SG", "싱가포르")
    assert singapore.retention == "90일"
    assert singapore.purpose == "주문 상품의 배송 및 주문 이행"
    assert notice.countries == ("CN", "SG")
    assert "1. Shenzhen Bright Trade" in notice.text
    assert "2. Lion City Logistics Pte. Ltd." in notice.text
    assert "개인정보가 이전되는 국가: 싱가포르" in notice.text


def test_contact_may_be_phone_or_email_alone(pack: RulePack) -> None:
    by_phone = render(pack, make_recipient(contact_email=None))
    assert by_phone.recipients[0].contact == "+86 138 0013 8000"
    by_mail = render(pack, make_recipient(contact_phone=None))
    assert by_mail.recipients[0].contact == "ops@bright-trade.example.cn"
    officer = PrivacyOfficer(name="Li Wei", email=None, phone="+8613900139000")
    by_officer_phone = render(pack, make_recipient(privacy_officer=officer))
    assert by_officer_phone.recipients[0].privacy_officer_contact == "Li Wei (+86 139 0013 9000)"


def test_country_missing_from_the_korean_table_uses_its_english_name(pack: RulePack) -> None:
    notice = render(pack, make_recipient(country="ZA"))
    assert notice.recipients[0].country_name == "South Africa"
    assert "개인정보가 이전되는 국가: South Africa" in notice.text


# Items transferred


def test_customs_code_is_only_listed_as_customs_only(pack: RulePack) -> None:
    ko = render(pack)
    pi_items = next(i.value for i in ko.items if i.key == "pi_items")
    assert pi_items == (
        "성명(일부 가림 처리), 휴대전화번호(주문별 0505 임시 번호로 대체), 주소, "
        "배송 메모(개인정보 삭제 후 제공), 개인통관고유부호(통관이 필요한 주문에 한함), "
        "주문 정보(주문번호, 상품명 및 수량)"
    )
    assert ko.text.count("개인통관고유부호") == 1
    en = render(pack, locale="en")
    assert en.text.count("Personal customs clearance code") == 1
    assert "Personal customs clearance code (only for orders that need customs clearance)" in (
        en.text
    )
    service = render(pack, purpose="customer_service")
    assert "개인통관고유부호" not in service.text
    assert service.fields == ("name", "phone", "address")


def test_dropped_fields_are_not_listed(pack: RulePack) -> None:
    with (PACKS_DIR / "kr-pipa.toml").open("rb") as handle:
        data = copy.deepcopy(tomllib.load(handle))
    data["purposes"]["fulfilment"]["fields"]["email"] = "drop"
    dropping = RulePack.model_validate(data)
    notice = render(dropping)
    assert "email" not in notice.fields
    assert "이메일" not in notice.text


def test_plain_labels_are_not_templates(pack: RulePack) -> None:
    with (PACKS_DIR / "kr-pipa.toml").open("rb") as handle:
        data = copy.deepcopy(tomllib.load(handle))
    data["purposes"]["fulfilment"]["label"]["ko"] = "배송 {주문}"
    braces = RulePack.model_validate(data)
    notice = render(braces, make_recipient(legal_name="Curly {name} Ltd."))
    assert "이용목적: 배송 {주문}" in notice.text
    assert "Curly {name} Ltd." in notice.text


# Gaps


@pytest.mark.parametrize(
    ("overrides", "items"),
    [
        ({"privacy_officer": PrivacyOfficer()}, ["recipient_privacy_officer_contact"]),
        (
            {"privacy_officer": PrivacyOfficer(email="privacy@bright-trade.example.cn")},
            ["recipient_privacy_officer_contact"],
        ),
        ({"privacy_officer": PrivacyOfficer(name="Li Wei")}, ["recipient_privacy_officer_contact"]),
        ({"contact_phone": None, "contact_email": None}, ["recipient_contact"]),
        ({"country": None}, ["dest_country"]),
        ({"retention_days": None}, ["recipient_retention"]),
        ({"legal_name": None}, ["recipient_name"]),
        ({"legal_name": "All Sellers"}, ["recipient_name"]),
        ({"legal_name": " 전 세계 "}, ["recipient_name"]),
        ({"legal_name": "해외 판매자들"}, ["recipient_name"]),
        ({"legal_name": "Overseas Partners"}, ["recipient_name"]),
        (
            {"country": None, "retention_days": None, "privacy_officer": PrivacyOfficer()},
            ["dest_country", "recipient_privacy_officer_contact", "recipient_retention"],
        ),
    ],
)
def test_an_empty_required_item_fails_rendering(
    pack: RulePack, overrides: dict[str, Any], items: list[str]
) -> None:
    error = error_of(pack, recipients=[make_recipient("rcp_gap", **overrides)])
    assert error.code == "notice_incomplete"
    assert "Art. 28-8(2)" in error.message
    assert "rendering failed" in error.message
    assert error.details == {"missing": [{"recipient_id": "rcp_gap", "item": i} for i in items]}


def test_every_gap_of_every_recipient_is_listed(pack: RulePack) -> None:
    recipients = [
        make_recipient("rcp_ok"),
        make_recipient("rcp_3", retention_days=None),
        make_recipient("rcp_1", privacy_officer=PrivacyOfficer()),
        make_recipient("rcp_2", contact_phone=None, contact_email=None, country=None),
    ]
    error = error_of(pack, recipients=recipients)
    assert error.code == "notice_incomplete"
    assert error.details == {
        "missing": [
            {"recipient_id": "rcp_1", "item": "recipient_privacy_officer_contact"},
            {"recipient_id": "rcp_2", "item": "dest_country"},
            {"recipient_id": "rcp_2", "item": "recipient_contact"},
            {"recipient_id": "rcp_3", "item": "recipient_retention"},
        ]
    }


def test_no_recipient_is_an_incomplete_notice(pack: RulePack) -> None:
    error = error_of(pack, recipients=[])
    assert error.code == "notice_incomplete"


# Requests that cannot be rendered


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"purpose": "marketing"}, "unknown_purpose"),
        ({"flow": "sale"}, "unknown_flow"),
        ({"locale": "ja"}, "unsupported_locale"),
        ({"locale": "ja-JP"}, "unsupported_locale"),
        ({"locale": ""}, "unsupported_locale"),
        ({"locale": "korean please"}, "unsupported_locale"),
        ({"locale": "e"}, "unsupported_locale"),
    ],
)
def test_unknown_request_values(pack: RulePack, kwargs: dict[str, Any], code: str) -> None:
    assert error_of(pack, **kwargs).code == code


def test_recipient_must_be_registered_for_the_purpose(pack: RulePack) -> None:
    logistics = make_recipient("rcp_ship", purposes=("customer_service",))
    error = error_of(pack, recipients=[make_recipient(), logistics])
    assert error.code == "purpose_not_registered"
    assert "rcp_ship" in error.message
    assert error.details == {"purpose": "fulfilment", "recipient_ids": ["rcp_ship"]}


def test_a_recipient_appears_once(pack: RulePack) -> None:
    error = error_of(pack, recipients=[make_recipient(), make_recipient()])
    assert error.code == "duplicate_recipient"


# Hash and fingerprint


def test_hash_covers_the_canonical_body(pack: RulePack) -> None:
    notice = render(pack)
    body = notice.body()
    assert "hash" not in body
    canonical = notice.canonical_body()
    assert json.loads(canonical) == body
    assert canonical == json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert notice.hash == hashlib.sha256(canonical).hexdigest()
    assert body["text"] == notice.text
    assert body["recipients"][0]["fingerprint"] == recipient_fingerprint(make_recipient())


def test_hash_is_stable_for_the_same_content(pack: RulePack) -> None:
    a, b = make_recipient("rcp_a"), make_recipient("rcp_b", country="JP")
    first = render(pack, a, b)
    assert render(pack, a, b).hash == first.hash
    assert render(pack, b, a).hash == first.hash
    # Facts the notice does not show leave it unchanged.
    suspended = dataclasses.replace(
        a, status=RecipientStatus.SUSPENDED, updated_at=datetime.now(UTC)
    )
    assert render(pack, suspended, b).hash == first.hash


ONWARD = OnwardTransfer(
    "Lion City Logistics Pte. Ltd.", "SG", "International shipping", ("name", "address")
)
SHOWN_CHANGES: list[dict[str, Any]] = [
    {"kind": RecipientKind.LOGISTICS},
    {"legal_name": "Shenzhen Bright Trade Co., Ltd. (HK)"},
    {"country": "HK"},
    {"contact_phone": "+8613800138001"},
    {"contact_email": "help@bright-trade.example.cn"},
    {"privacy_officer": PrivacyOfficer("Wang Fang", "privacy@bright-trade.example.cn", None)},
    {"privacy_officer": PrivacyOfficer("Li Wei", "dpo@bright-trade.example.cn", "+8613900139000")},
    {"privacy_officer": PrivacyOfficer("Li Wei", "privacy@bright-trade.example.cn", None)},
    {"purposes": ("fulfilment",)},
    {"retention_days": 30},
    {"onward_transfers": (ONWARD,)},
]


@pytest.mark.parametrize("change", SHOWN_CHANGES)
def test_any_shown_change_changes_fingerprint_and_hash(
    pack: RulePack, change: dict[str, Any]
) -> None:
    before, after = make_recipient(), make_recipient(**change)
    assert recipient_fingerprint(after) != recipient_fingerprint(before)
    assert render(pack, after).hash != render(pack, before).hash


@pytest.mark.parametrize(
    "change",
    [
        {"status": RecipientStatus.SUSPENDED, "suspended_reason": "PIPC order"},
        {"accepted_terms_version": "2025-06"},
        {"accepted_terms_version": None},
        {"updated_at": datetime(2026, 1, 1, tzinfo=UTC)},
        {"certifications": (Certification("ISMS-P", "ISMS-P-2025-001", date(2027, 1, 1)),)},
        {"webhook_url": "https://bright-trade.example.cn/hooks"},
        {"purposes": ("customer_service", "fulfilment")},
    ],
)
def test_fingerprint_ignores_what_the_notice_does_not_show(change: dict[str, Any]) -> None:
    assert recipient_fingerprint(make_recipient(**change)) == recipient_fingerprint(
        make_recipient()
    )


def test_fingerprint_is_sha256_hex() -> None:
    fingerprint = recipient_fingerprint(make_recipient())
    assert len(fingerprint) == 64
    assert int(fingerprint, 16) >= 0


@pytest.mark.parametrize(
    "options",
    [{"locale": "en"}, {"purpose": "customer_service"}, {"flow": "entrustment"}],
)
def test_locale_purpose_and_flow_change_the_hash(pack: RulePack, options: dict[str, str]) -> None:
    carrier = make_recipient(kind=RecipientKind.LOGISTICS)
    assert render(pack, carrier, **options).hash != render(pack, carrier).hash


def test_a_seller_cannot_appear_in_an_entrustment_notice_or_any_disclosure(
    pack: RulePack,
) -> None:
    assert render_error(pack, flow="entrustment").code == "flow_not_permitted"
    seller_disclosure = render_error(pack, flow="provision", kind="disclosure")
    assert seller_disclosure.code == "no_disclosure_basis"
    carrier = make_recipient(kind=RecipientKind.LOGISTICS)
    assert render_error(pack, carrier, flow="provision", kind="disclosure").code == (
        "no_disclosure_basis"
    )


def test_a_disclosure_informs_and_never_asks_for_consent(pack: RulePack) -> None:
    storage = make_recipient(kind=RecipientKind.STORAGE, legal_name="Lion Data Vault Pte. Ltd.")
    notice = render(pack, storage, flow="storage", kind="disclosure")
    assert notice.kind == "disclosure" and notice.required is None
    assert not notice.carries_consent
    assert notice.heading == "개인정보의 국외 처리위탁 및 보관에 관한 고지"
    assert "동의" not in notice.text
    assert "「개인정보 보호법」 제28조의8제1항제3호" in notice.text
    english = render(pack, storage, flow="storage", kind="disclosure", locale="en")
    assert "consent" not in english.text.casefold()
    assert notice.content_digest != render(pack, storage, flow="storage").content_digest


def test_optional_consent_is_labelled_optional_and_costs_nothing(pack: RulePack) -> None:
    notice = render(pack, purpose="customer_service")
    assert notice.required is False
    assert notice.heading.startswith("[선택]")
    effect = next(i.value for i in notice.items if i.key == "refusal_effect")
    assert "아무런 제한이 없습니다" in effect


def test_content_digest_ignores_recipients_but_not_wording(pack: RulePack) -> None:
    one = render(pack)
    other = render(pack, make_recipient("rcp_9", legal_name="Yiwu Star Commerce Co., Ltd."))
    assert one.hash != other.hash and one.content_digest == other.content_digest
    assert render(pack, locale="en").content_digest != one.content_digest
    assert render(pack, purpose="customer_service").content_digest != one.content_digest


# No group placeholders, ever

NAMES = [
    "Shenzhen Bright Trade Co., Ltd.",
    "Yiwu Star Commerce Co., Ltd.",
    "Lion City Logistics Pte. Ltd.",
    "東京物流株式会社",
    "Saigon Parcel Co.",
    "Bangkok Fulfilment Co., Ltd.",
    "Jakarta Cargo PT",
    "Rheinland Lager GmbH",
    "Atlantic Storage LLC",
    "Taipei Goods Ltd.",
]
COUNTRIES = ["CN", "HK", "TW", "SG", "JP", "US", "VN", "TH", "ID", "DE", "ZA", "AE", "PL", "KR"]


def test_many_generated_notices_name_each_recipient_and_country(pack: RulePack) -> None:
    rng = random.Random(2024)
    kinds = list(RecipientKind)
    for round_number in range(150):
        recipients = [
            make_recipient(
                f"rcp_{round_number}_{index}",
                kind=rng.choice(kinds),
                legal_name=f"{rng.choice(NAMES)} #{index}",
                country=rng.choice(COUNTRIES),
                contact_email=rng.choice([None, f"ops{index}@example.com"]),
                retention_days=rng.randint(1, 3650),
            )
            for index in range(rng.randint(1, 6))
        ]
        locale = rng.choice(["ko", "ko-KR", "en", "en-US"])
        purpose = rng.choice(["fulfilment", "customer_service"])
        # Only flows every recipient's kind may take: a seller is never an entrustee.
        flows = [f for f in pack.flows if all(f in pack.kind_flows[r.kind] for r in recipients)]
        flow = rng.choice(flows or ["provision"])
        if not flows:
            recipients = [dataclasses.replace(r, kind=RecipientKind.OTHER) for r in recipients]
        notice = render(pack, *recipients, locale=locale, purpose=purpose, flow=flow)
        folded = notice.text.casefold()
        assert find_group_term(notice.text, pack.group_names) is None
        for placeholder in ("worldwide", "전 세계", "all sellers"):
            assert placeholder not in folded
        language = notice.locale
        for recipient, entry in zip(
            sorted(recipients, key=lambda r: r.id), notice.recipients, strict=True
        ):
            assert recipient.legal_name and recipient.legal_name in notice.text
            assert recipient.country
            name = pack.country_name(recipient.country, language)
            assert name and entry.country_name == name
            assert f": {name}\n" in notice.text
            assert str(recipient.retention_days) in entry.retention
        assert notice.countries == tuple(sorted({r.country or "" for r in recipients}))


# Onward transfers (Art. 28-11)


def _onward_item(notice: Notice) -> str:
    return next(i.value for i in notice.recipients[0].items if i.key == "onward_transfers")


def test_notice_says_none_when_no_onward_transfer_is_declared(pack: RulePack) -> None:
    ko = render(pack)
    assert _onward_item(ko) == "없음"
    assert "이전받는 자의 국외 재이전(제3국 이전) 현황: 없음" in ko.text
    assert "Onward transfers by the recipient: None" in render(pack, locale="en").text


def test_notice_names_each_onward_recipient_country_purpose_and_items(pack: RulePack) -> None:
    storage = OnwardTransfer("Rheinland Lager GmbH", "DE", "Returns storage", ("address",))
    recipient = make_recipient(onward_transfers=(storage, ONWARD))
    ko = render(pack, recipient)
    assert _onward_item(ko) == (
        "Lion City Logistics Pte. Ltd.(싱가포르) — 이용목적: International shipping, "
        "이전 항목: 성명, 주소; "
        "Rheinland Lager GmbH(독일) — 이용목적: Returns storage, 이전 항목: 주소"
    )
    # Shown in the recipient's own block, not among the items shared by every recipient.
    assert "onward_transfers" not in [i.key for i in ko.items]
    en = render(pack, recipient, locale="en")
    assert (
        "Lion City Logistics Pte. Ltd. (Singapore), purpose: International shipping, "
        "items: Name, Address" in en.text
    )
    # Declaration order means nothing: the same onward recipients give the same notice.
    reordered = make_recipient(onward_transfers=(ONWARD, storage))
    assert render(pack, reordered).hash == ko.hash
    assert recipient_fingerprint(reordered) == recipient_fingerprint(recipient)


def test_a_recipient_without_onward_transfers_keeps_its_fingerprint() -> None:
    # Consents given before onward transfers were registered must not lapse on their own.
    recipient = make_recipient()
    officer = recipient.privacy_officer
    shown = {
        "kind": "seller",
        "legal_name": recipient.legal_name,
        "country": "CN",
        "contact_phone": recipient.contact_phone,
        "contact_email": recipient.contact_email,
        "privacy_officer": {"name": officer.name, "email": officer.email, "phone": officer.phone},
        "purposes": ["customer_service", "fulfilment"],
        "retention_days": 90,
    }
    canonical = json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert recipient_fingerprint(recipient) == expected
