"""The rule pack model and the shipped KR-PIPA pack."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest
from pydantic import ValidationError

from gatehouse.domain.policy import RulePack
from gatehouse.domain.transforms import get_transform
from gatehouse.rules import PACKS_DIR, load_pack


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    with (PACKS_DIR / "kr-pipa.toml").open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_pack(PACKS_DIR / "kr-pipa.toml")


def test_identity(pack: RulePack) -> None:
    assert pack.id == "KR-PIPA"
    assert pack.jurisdictions == ["KR"]
    assert pack.required_language == "ko"
    assert pack.languages == ["ko", "en"]
    assert pack.flows == ["provision", "entrustment", "storage", "inquiry"]
    assert pack.adequate_countries == []
    assert pack.title["ko"].startswith("「개인정보 보호법」")


def test_bases(pack: RulePack) -> None:
    assert set(pack.bases) == {
        "SEPARATE_CONSENT",
        "LAW_TREATY",
        "CONTRACT_ENTRUST_STORE",
        "RECIPIENT_CERTIFIED",
        "ADEQUATE_COUNTRY",
    }
    # Statutes are cited in their Korean form in Korean text.
    citations = {code: basis.citation["ko"] for code, basis in pack.bases.items()}
    assert citations["SEPARATE_CONSENT"] == "「개인정보 보호법」 제28조의8제1항제1호"
    assert citations["ADEQUATE_COUNTRY"] == "「개인정보 보호법」 제28조의8제1항제5호"
    assert pack.bases["SEPARATE_CONSENT"].citation["en"] == "PIPA Art. 28-8(1) 1"
    # The certification basis names both measures of items 가 and 나.
    certified = pack.bases["RECIPIENT_CERTIFIED"].label["ko"]
    assert "(가목)" in certified and "(나목)" in certified
    # A seller is reachable by consent (and adequacy) only.
    for code, basis in pack.bases.items():
        assert ("seller" in basis.kinds) == (basis.requires in ("consent", "adequacy")), code
    assert pack.kind_flows["seller"] == ["provision"]
    # Entrustment/storage only: never a basis for handing data to a seller (provision).
    assert pack.bases["CONTRACT_ENTRUST_STORE"].flows == ["entrustment", "storage"]
    assert {code: b.requires for code, b in pack.bases.items()} == {
        "SEPARATE_CONSENT": "consent",
        "LAW_TREATY": "law",
        "CONTRACT_ENTRUST_STORE": "disclosure",
        "RECIPIENT_CERTIFIED": "certification",
        "ADEQUATE_COUNTRY": "adequacy",
    }


def test_notice_items_cover_art_28_8_2(pack: RulePack) -> None:
    keys = [item.key for item in pack.notice_items]
    assert keys == [
        "pi_items",
        "dest_country",
        "transfer_timing",
        "transfer_method",
        "recipient_name",
        "recipient_contact",
        "recipient_privacy_officer_contact",
        "recipient_purpose",
        "recipient_retention",
        "onward_transfers",
        "refusal_method",
        "refusal_procedure",
        "refusal_effect",
        "legal_basis",
    ]
    # Onward transfers (Art. 28-11) always read as something, "없음" when none are declared.
    assert pack.required_notice_items == [k for k in keys if k != "onward_transfers"]
    assert all(item.label["ko"] and item.label["en"] for item in pack.notice_items)


def test_purposes_minimise(pack: RulePack) -> None:
    fulfilment = pack.purposes["fulfilment"]
    assert fulfilment.fields == {
        "name": "masked",
        "phone": "safe_number",
        "address": "plain",
        "delivery_note": "redact_pii",
        "customs_code": "customs_only",
    }
    assert fulfilment.after_confirmation["name"] == "masked_further"
    assert fulfilment.after_confirmation["phone"] == "masked_further"
    assert fulfilment.after_confirmation["address"] == "masked_further"
    assert "customer_service" in pack.purposes
    for purpose in pack.purposes.values():
        assert "email" not in purpose.fields or purpose.fields["email"] != "plain"
        for table in (purpose.fields, purpose.after_confirmation):
            for field, name in table.items():
                assert field in pack.pii_fields
                assert get_transform(name).supports(field)


def test_clocks_and_holds(pack: RulePack) -> None:
    assert (pack.views.close_days_after_delivery, pack.views.max_days) == (7, 90)
    assert pack.views.safe_number_cooldown_days == 30
    assert pack.deadlines.rights_request_days == 10
    assert pack.deadlines.rights_request_alert_day == 7
    assert pack.deadlines.breach_notify_hours == 72
    assert pack.deadlines.breach_report_threshold == 1000
    assert {name: hold.months for name, hold in pack.retention_holds.items()} == {
        "contracts": 60,
        "payments": 60,
        "complaints": 36,
        "ads": 6,
        "access_logs": 3,
    }
    assert all(hold.statute and hold.fields for hold in pack.retention_holds.values())


def test_remedies(pack: RulePack) -> None:
    assert [(r.phone, r.url) for r in pack.remedies] == [
        ("118", "https://privacy.kisa.or.kr"),
        ("1833-6972", "https://www.kopico.go.kr"),
        ("1301", "https://www.spo.go.kr"),
        ("182", "https://ecrm.police.go.kr"),
    ]


def test_pack_is_frozen(pack: RulePack) -> None:
    with pytest.raises(ValidationError):
        pack.version = "2"


def test_label_text_falls_back(pack: RulePack) -> None:
    assert pack.title.text("ja", fallback="ko") == pack.title["ko"]
    assert pack.title.text("en", fallback="ko") == pack.title["en"]


def _problem_key(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as exc:
        RulePack.model_validate(data)
    error = exc.value.errors()[0]
    assert error["type"] == "pack_inconsistent"
    return str(error["ctx"]["key"])


def test_consistency_checks(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["purposes"]["fulfilment"]["fields"]["passport"] = "plain"
    assert _problem_key(data) == "purposes.fulfilment.fields.passport"

    data = copy.deepcopy(raw)
    data["purposes"]["customer_service"]["after_confirmation"]["delivery_note"] = "drop"
    assert _problem_key(data) == "purposes.customer_service.after_confirmation.delivery_note"

    data = copy.deepcopy(raw)
    data["purposes"]["fulfilment"]["fields"]["name"] = "safe_number"
    assert _problem_key(data) == "purposes.fulfilment.fields.name"

    data = copy.deepcopy(raw)
    data["languages"] = ["ko", "en", "ja"]
    assert _problem_key(data) == "title"

    data = copy.deepcopy(raw)
    data["adequate_countries"] = ["KR"]
    assert _problem_key(data) == "adequate_countries[0]"

    data = copy.deepcopy(raw)
    data["views"]["close_days_after_delivery"] = 120
    assert _problem_key(data) == "views.close_days_after_delivery"

    data = copy.deepcopy(raw)
    data["flows"] = ["provision", "entrustment", "storage", "inquiry", "storage"]
    assert _problem_key(data) == "flows[4]"

    data = copy.deepcopy(raw)
    data["notice_items"] = data["notice_items"][:-1]
    assert _problem_key(data) == "required_notice_items[12]"


def test_requirement_kind_is_closed(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["bases"]["LAW_TREATY"]["requires"] = "vibes"
    with pytest.raises(ValidationError) as exc:
        RulePack.model_validate(data)
    assert exc.value.errors()[0]["loc"] == ("bases", "LAW_TREATY", "requires")


def test_notice_labels_cover_fields_transforms_and_flows(pack: RulePack) -> None:
    assert set(pack.field_labels) == set(pack.pii_fields)
    assert set(pack.flow_labels) == set(pack.flows)
    assert set(pack.recipient_kind_labels) == {"seller", "logistics", "storage", "other"}
    assert pack.field_labels["name"]["ko"] == "성명"
    assert pack.field_labels["customs_code"]["ko"] == "개인통관고유부호"
    assert pack.flow_labels["provision"]["ko"] == "제공"
    assert pack.flow_labels["entrustment"]["ko"] == "처리위탁"
    assert pack.flow_labels["storage"]["ko"] == "보관"
    assert pack.flow_labels["inquiry"]["ko"] == "조회"
    assert pack.field_form("customs_only", "ko") == "통관이 필요한 주문에 한함"
    assert pack.field_form("customs_only", "en") == "only for orders that need customs clearance"
    # It says what the code does: a substitute number, not a promise to put calls through.
    safe_number = pack.field_form("safe_number", "en")
    assert safe_number == "replaced by a temporary 0505 number for the order"
    # Released as is: the field name alone says it.
    assert pack.field_form("plain", "ko") == ""
    assert "drop" not in pack.transform_labels
    for label in (
        *pack.field_labels.values(),
        *pack.transform_labels.values(),
        *pack.flow_labels.values(),
        *pack.recipient_kind_labels.values(),
    ):
        assert label["ko"] and label["en"]


def test_released_fields_skip_dropped_ones(pack: RulePack, raw: dict[str, Any]) -> None:
    assert list(pack.released_fields("fulfilment")) == [
        "name",
        "phone",
        "address",
        "delivery_note",
        "customs_code",
    ]
    data = copy.deepcopy(raw)
    data["purposes"]["fulfilment"]["fields"]["email"] = "drop"
    assert "email" not in RulePack.model_validate(data).released_fields("fulfilment")


def test_notice_texts(pack: RulePack) -> None:
    texts = pack.notice_texts
    # A consent the order needs is never labelled optional, and says the order stops.
    assert texts.required.heading["ko"].startswith("[필수]")
    assert "선택" not in texts.required.heading["ko"]
    assert "주문은 진행되지 않습니다" in texts.required.refusal_effect["ko"]
    assert texts.optional.heading["ko"].startswith("[선택]")
    assert "제한이 없습니다" in texts.optional.refusal_effect["ko"]
    assert pack.purposes["fulfilment"].consent_required
    assert not pack.purposes["customer_service"].consent_required
    assert texts.retention["ko"].format(days=90) == "90일"
    assert texts.retention["en"].format(days=90) == "90 days"
    # Gatehouse serves plain HTTP unless deployed behind TLS, so the notice promises no TLS.
    assert "TLS" not in texts.transfer_method["ko"] and "TLS" not in texts.transfer_method["en"]
    assert pack.notice_article == "Art. 28-8(2)"


def test_disclosure_texts_never_speak_of_consent(pack: RulePack) -> None:
    for name, label in pack.disclosure_texts:
        assert "동의" not in label["ko"], name
        assert "consent" not in label["en"].casefold(), name
    assert "동의" not in pack.bases["CONTRACT_ENTRUST_STORE"].label["ko"]


def test_country_names(pack: RulePack) -> None:
    expected_ko = {
        "CN": "중국",
        "HK": "홍콩",
        "TW": "대만",
        "SG": "싱가포르",
        "JP": "일본",
        "US": "미국",
        "VN": "베트남",
        "TR": "튀르키예",
        "GB": "영국",
        "KR": "대한민국",
    }
    for code, name in expected_ko.items():
        assert pack.country_name(code, "ko") == name
    assert len(pack.country_names_ko) >= 25
    assert pack.country_name("cn", "en") == "China"
    # Common names, not the formal ISO ones.
    assert pack.country_name("TW", "en") == "Taiwan"
    assert pack.country_name("VN", "en") == "Vietnam"
    # Not in the Korean table: the English name still names the country.
    assert pack.country_name("ZA", "ko") == "South Africa"
    assert pack.country_name("XX", "ko") is None


def test_notice_consistency_checks(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    del data["field_labels"]["delivery_note"]
    assert _problem_key(data) == "field_labels"

    data = copy.deepcopy(raw)
    data["field_labels"]["passport"] = {"ko": "여권번호", "en": "Passport number"}
    assert _problem_key(data) == "field_labels.passport"

    data = copy.deepcopy(raw)
    del data["flow_labels"]["inquiry"]
    assert _problem_key(data) == "flow_labels"

    data = copy.deepcopy(raw)
    del data["transform_labels"]["customs_only"]
    assert _problem_key(data) == "purposes.fulfilment.fields.customs_code"

    data = copy.deepcopy(raw)
    data["transform_labels"]["blur"] = {"ko": "흐림", "en": "blurred"}
    assert _problem_key(data) == "transform_labels.blur"

    data = copy.deepcopy(raw)
    data["field_labels"]["name"] = {"ko": "성명"}
    assert _problem_key(data) == "field_labels.name"

    data = copy.deepcopy(raw)
    data["country_names_ko"]["XX"] = "없는 나라"
    assert _problem_key(data) == "country_names_ko.XX"

    data = copy.deepcopy(raw)
    data["notice_texts"]["retention"]["en"] = "three months"
    assert _problem_key(data) == "notice_texts.retention.en"

    data = copy.deepcopy(raw)
    data["notice_texts"]["transfer_timing"]["ko"] = "배송 후 {delivery_days}일"
    assert _problem_key(data) == "notice_texts.transfer_timing.ko"

    data = copy.deepcopy(raw)
    data["notice_texts"]["field_form"]["ko"] = "{field}"
    assert _problem_key(data) == "notice_texts.field_form.ko"


def test_pack_texts_never_use_group_placeholders(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["country_names_ko"]["CN"] = "전 세계"
    assert _problem_key(data) == "country_names_ko.CN"

    data = copy.deepcopy(raw)
    data["notice_texts"]["optional"]["intro"]["en"] = "Your data goes to sellers worldwide."
    assert _problem_key(data) == "notice_texts.optional.intro.en"


def test_no_statute_certification_or_disclosure_may_name_a_seller(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["bases"]["RECIPIENT_CERTIFIED"]["kinds"].append("seller")
    assert _problem_key(data) == "bases.RECIPIENT_CERTIFIED.kinds[3]"

    data = copy.deepcopy(raw)
    data["certification_schemes"]["ISMS-P"]["recipient_kinds"].append("seller")
    assert _problem_key(data) == "certification_schemes.ISMS-P.recipient_kinds[3]"

    provision = {
        "citation": {"ko": "「시험법」 제1조", "en": "Test Act Art. 1"},
        "text": {"ko": "시험용", "en": "For this test only"},
        "recipient_kinds": ["seller"],
        "flows": ["provision"],
        "purposes": ["fulfilment"],
        "fields": ["name", "phone", "address", "delivery_note", "customs_code"],
        "reviewed": "test",
    }
    data = copy.deepcopy(raw)
    data["law_provisions"] = {"test_seller": provision}
    assert _problem_key(data) == "law_provisions.test_seller.recipient_kinds[0]"

    narrow = {**provision, "recipient_kinds": ["logistics"], "fields": ["name"]}
    data = copy.deepcopy(raw)
    data["law_provisions"] = {"test_narrow": narrow}
    assert _problem_key(data) == "law_provisions.test_narrow.fields"

    data = copy.deepcopy(raw)
    data["kind_flows"]["seller"] = ["provision", "teleport"]
    assert _problem_key(data) == "kind_flows.seller[1]"


def test_group_names_are_data_with_their_reason(pack: RulePack) -> None:
    # The comment just above the list cites the article that asks for each recipient's name.
    text = (PACKS_DIR / "kr-pipa.toml").read_text(encoding="utf-8")
    comment = text.split("\ngroup_names = [")[0].splitlines()[-5:]
    assert any("Art. 28-8(2) item 3" in line for line in comment)
    for name in ("sellers", "worldwide", "overseas partners", "전 세계", "판매자 전체"):
        assert name in pack.group_names


def test_pack_texts_never_use_a_collective_group_term(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["field_labels"]["address"]["en"] = "Address, shared with all sellers"
    assert _problem_key(data) == "field_labels.address.en"

    data = copy.deepcopy(raw)
    data["transform_labels"]["masked"]["ko"] = "해외판매자에게 일부 가림 처리"
    assert _problem_key(data) == "transform_labels.masked.ko"

    data = copy.deepcopy(raw)
    data["onward_transfer_texts"]["none"]["en"] = "Partners world-wide"
    assert _problem_key(data) == "onward_transfer_texts.none.en"

    # A plain noun is prose, not a group label: the kind label "판매자" stays.
    assert RulePack.model_validate(copy.deepcopy(raw)).recipient_kind_labels["seller"]["ko"] == (
        "판매자"
    )


def test_group_names_and_onward_wording_are_checked(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["group_names"] = [*raw["group_names"], "—"]
    assert _problem_key(data) == f"group_names[{len(raw['group_names'])}]"

    data = copy.deepcopy(raw)
    data["onward_transfer_texts"]["entry"]["en"] = "{name} ({country}): {purpose}"
    assert _problem_key(data) == "onward_transfer_texts.entry.en"

    data = copy.deepcopy(raw)
    data["onward_transfer_texts"]["entry"]["ko"] = "{name} {nation} {purpose} {items}"
    assert _problem_key(data) == "onward_transfer_texts.entry.ko"
