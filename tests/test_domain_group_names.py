"""Group labels in place of a recipient's name, matched however they are written."""

from __future__ import annotations

import pytest

from gatehouse.domain.group_names import find_group_term, match_group_name
from gatehouse.rules import PACKS_DIR, load_pack

GROUP_NAMES = tuple(load_pack(PACKS_DIR / "kr-pipa.toml").group_names)


@pytest.mark.parametrize(
    ("name", "term"),
    [
        # As listed, and in other case, width and spacing
        ("sellers", "sellers"),
        ("SELLERS", "sellers"),
        ("ＳＥＬＬＥＲＳ", "sellers"),
        ("  Sellers\t", "sellers"),
        ("sel\u200blers", "sellers"),
        ("worldwide", "worldwide"),
        ("World Wide", "worldwide"),
        ("world-wide", "worldwide"),
        ("전 세계", "전 세계"),
        ("전세계", "전 세계"),
        # Plural and singular
        ("Seller", "sellers"),
        ("Third-party", "third parties"),
        ("Overseas partner", "partners"),
        ("판매자들", "판매자"),
        ("셀러들", "셀러"),
        # Widening words, apart or written onto the noun; a term listed as written wins
        ("All sellers", "all sellers"),
        ("all the sellers", "sellers"),
        ("Sellers (various)", "sellers"),
        ("Other merchants, etc.", "merchants"),
        ("International vendors", "vendors"),
        ("Overseas Partners", "overseas partners"),
        ("Global service providers", "service providers"),
        ("Sellers worldwide", "sellers"),
        ("해외 판매자", "해외 판매자"),
        ("해외판매자", "해외 판매자"),
        ("판매자 전체", "판매자 전체"),
        ("판매자전체", "판매자 전체"),
        ("각국 판매자", "각국 판매자"),
        ("모든 판매자", "판매자"),
        ("기타 판매자 등", "판매자"),
        ("전 세계 판매자", "판매자"),
        ("해외 협력사", "협력사"),
        ("제 3자", "제3자"),
        # Widening words alone are no name either
        ("Overseas", "Overseas"),
        ("Global", "Global"),
        ("기타", "기타"),
        ("해외", "해외"),
    ],
)
def test_group_labels_match_however_written(name: str, term: str) -> None:
    assert match_group_name(name, GROUP_NAMES) == term


@pytest.mark.parametrize(
    "name",
    [
        "Sellers Supply Co., Ltd.",
        "Global Logistics Pte. Ltd.",
        "Worldwide Express Inc.",
        "All Sellers Inc.",
        "International Trading Co.",
        "Overseas Partners Holdings Ltd.",
        "Shenzhen Bright Trade Co., Ltd.",
        "Rheinland Lager GmbH",
        "東京物流株式会社",
        "판매자물산 주식회사",
        "(주)해외판매자코리아",
        "세계물류 주식회사",
        "Carrier Corporation",
    ],
)
def test_company_names_that_contain_a_group_word_pass(name: str) -> None:
    assert match_group_name(name, GROUP_NAMES) is None


@pytest.mark.parametrize("name", ["", "   ", "—", "()"])
def test_a_name_without_letters_is_not_a_group(name: str) -> None:
    # Whether a name is missing is eligibility's question, not this one's.
    assert match_group_name(name, GROUP_NAMES) is None


def test_the_written_term_of_the_list_is_reported() -> None:
    assert match_group_name("All Sellers", ["Sellers", "vendors"]) == "Sellers"
    assert match_group_name("all sellers", []) is None
    assert match_group_name("Vendors", ["Sellers"]) is None


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Your data goes to sellers worldwide.", "worldwide"),
        ("Shared with all sellers on the platform.", "all sellers"),
        ("전 세계에 이전됩니다", "전 세계"),
        ("해외판매자에게 제공", "해외 판매자"),
        ("판매자 전체에게 제공", "판매자 전체"),
        ("Sent WORLD-WIDE", "worldwide"),
    ],
)
def test_collective_terms_are_found_in_prose(text: str, term: str) -> None:
    assert find_group_term(text, GROUP_NAMES) == term


@pytest.mark.parametrize(
    "text",
    [
        # Plain nouns are ordinary prose in a notice text.
        "판매자에게 제공하는 경우 해당 판매자는 이 주문을 배송할 수 없습니다.",
        "Where the data would be provided to a seller, that seller cannot ship this order.",
        "판매자",
        "물류업체",
        # A term must start at a word boundary.
        "The allsellerstore brand",
        "개인정보 국외 이전 동의",
    ],
)
def test_prose_without_a_collective_term_passes(text: str) -> None:
    assert find_group_term(text, GROUP_NAMES) is None
