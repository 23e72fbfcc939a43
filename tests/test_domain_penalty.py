"""The 과징금 estimate (「개인정보 보호법」 제64조의2): bases, cap, order of factors, bad inputs.

Sources (the same as the ``[penalty]`` comment in kr-pipa.toml):
- 「개인정보 보호법」 제64조의2제1항: 100분의 3 of revenue; KRW 2 bn where there is no revenue
  (text read at https://itwiki.kr/w/개인정보_보호법_제64조의2).
- 「개인정보 보호법 시행령」 제60조의2: the 3-year average, annualised for a younger business,
  less unrelated or unaffected revenue (English translation at
  https://prighter.com/resources/laws/korean-pipa/enforcement-decree/articles/article-60-2).
- Announced amendment: the greater of the previous year and the 3-year average (Seoul Economic
  Daily, 19 May 2026, https://en.sedaily.com/news/2026/05/19/korea-tightens-fines-for-major-personal-data-breaches).
- Published totals: 서울행정법원 2023구합81091 (KRW 70,609,000, https://milkway1024.tistory.com/m/2529);
  AliExpress, PIPC 24 Jul 2024 (KRW 1,978,000,000, https://www.itbiznews.com/news/articleView.html?idxno=140919);
  Temu, PIPC 14 May 2025 (KRW 879,000,000 + 490,000,000,
  https://www.axinova.co.kr/news/view.php?idx=4281&mcode=m7575dz).

No decision or judgment with its full arithmetic (revenue base, 부과기준율, adjustments) was
found, and neither were the notice's rates; the factor tests below therefore use rules made
for the test, labelled as such, never presented as the PIPC's figures.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.penalty import Estimate, EstimateInput, YearRevenue, estimate
from gatehouse.domain.policy.penalty import PenaltyRules
from gatehouse.rules import PACKS_DIR

BN = 1_000_000_000
TEST_SOURCE = "test-only figure, not from any notice"


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    with (PACKS_DIR / "kr-pipa.toml").open("rb") as handle:
        section: dict[str, Any] = tomllib.load(handle)["penalty"]
    return section


@pytest.fixture(scope="module")
def rules(raw: dict[str, Any]) -> PenaltyRules:
    return PenaltyRules.model_validate(raw)


def _label(text: str) -> dict[str, str]:
    return {"ko": text, "en": text}


@pytest.fixture(scope="module")
def test_rules(raw: dict[str, Any]) -> PenaltyRules:
    """The shipped rules plus a seriousness level and factors invented for these tests."""
    data = copy.deepcopy(raw)
    data["seriousness"] = {
        "level_two_percent": {
            "label": _label("test level"),
            "source": TEST_SOURCE,
            "rate": {"numerator": 2, "denominator": 100, "source": TEST_SOURCE},
        },
        "level_at_cap": {
            "label": _label("test level at the cap"),
            "source": TEST_SOURCE,
            "rate": {"numerator": 3, "denominator": 100, "source": TEST_SOURCE},
        },
    }
    factor = {"label": _label("test factor"), "source": TEST_SOURCE}
    data["factors"] = {
        "first_up": {**factor, "stage": "first_adjustment", "percent": 50},
        "first_up_small": {**factor, "stage": "first_adjustment", "percent": 10},
        "second_down": {**factor, "stage": "second_adjustment", "percent": -20},
        "reduce": {**factor, "stage": "reduction", "percent": -30},
        "reduce_all": {**factor, "stage": "reduction", "percent": -100},
    }
    return PenaltyRules.model_validate(data)


def _years(*amounts: int, last: int = 2024) -> tuple[YearRevenue, ...]:
    first = last - len(amounts) + 1
    return tuple(YearRevenue(first + i, amount) for i, amount in enumerate(amounts))


def _step(result: Estimate, key: str) -> int:
    return next(step.amount_krw for step in result.steps if step.key == key)


def test_three_year_average_less_excluded_times_three_percent(rules: PenaltyRules) -> None:
    given = EstimateInput(2025, _years(10 * BN, 12 * BN, 20 * BN), excluded_krw=2 * BN)
    result = estimate(rules, given)
    assert _step(result, "average_revenue") == 14 * BN
    assert _step(result, "relevant_revenue") == 12 * BN
    assert result.statutory_maximum_krw == 360_000_000
    assert result.amount_krw == 360_000_000
    assert (result.base, result.base_status) == ("three_year_average", "in_force")
    assert [s.key for s in result.steps] == [
        "average_revenue",
        "chosen_revenue",
        "excluded_revenue",
        "relevant_revenue",
        "statutory_maximum",
        "base_amount",
        "capped",
        "rounded",
    ]


def test_each_step_names_its_source(rules: PenaltyRules) -> None:
    result = estimate(rules, EstimateInput(2025, _years(10 * BN, 12 * BN, 20 * BN)))
    sources = {step.key: step.source for step in result.steps}
    assert sources["average_revenue"].startswith("「개인정보 보호법 시행령」 제60조의2")
    assert sources["statutory_maximum"].startswith("「개인정보 보호법」 제64조의2제1항")
    assert "천원 미만 절사" in sources["rounded"]
    assert result.sources[0] == sources["average_revenue"]
    assert len(result.sources) == len(set(result.sources))
    assert (
        result.disclaimer["ko"].endswith("정합니다.")
        and "법률 자문이 아닙니다" in (result.disclaimer["ko"])
    )
    assert "not legal advice" in result.disclaimer["en"]


def test_announced_base_takes_the_greater_figure(rules: PenaltyRules) -> None:
    rising = EstimateInput(
        2025,
        _years(10 * BN, 12 * BN, 20 * BN),
        excluded_krw=2 * BN,
        base="greater_of_previous_year_or_average",
    )
    result = estimate(rules, rising)
    assert _step(result, "previous_year_revenue") == 20 * BN
    assert _step(result, "chosen_revenue") == 20 * BN
    assert result.amount_krw == 540_000_000
    assert result.base_status == "announced"
    assert "서울경제" in next(s.source for s in result.steps if s.key == "chosen_revenue")

    # Falling revenue: the average is the greater, so both bases agree.
    falling = EstimateInput(2025, _years(20 * BN, 12 * BN, 10 * BN))
    announced = estimate(rules, replace(falling, base=rising.base))
    assert announced.amount_krw == estimate(rules, falling).amount_krw == 420_000_000


def test_a_younger_business_is_annualised(rules: PenaltyRules) -> None:
    # Six months in 2023 and a full 2024: 12 bn over 18 months is 8 bn a year.
    given = EstimateInput(2025, (YearRevenue(2023, 3 * BN, months=6), YearRevenue(2024, 9 * BN)))
    result = estimate(rules, given)
    assert _step(result, "average_revenue") == 8 * BN
    assert result.amount_krw == 240_000_000
    # Begun in the violation year: four months of 1 bn is 3 bn a year.
    started = EstimateInput(2025, (YearRevenue(2025, BN, months=4),))
    assert estimate(rules, started).amount_krw == 90_000_000


def test_no_revenue_caps_at_two_billion(rules: PenaltyRules) -> None:
    for revenues in ((), _years(0, 0, 0)):
        result = estimate(rules, EstimateInput(2025, revenues))
        assert result.no_revenue
        assert result.statutory_maximum_krw == result.amount_krw == 2 * BN
        assert "20억원" in result.steps[0].source
    with pytest.raises(InvalidInput) as caught:
        estimate(rules, EstimateInput(2025, (), excluded_krw=1))
    assert caught.value.code == "exclusion_exceeds_revenue"


def test_rounds_down_to_the_thousand_won(rules: PenaltyRules) -> None:
    result = estimate(rules, EstimateInput(2025, _years(12_345_678_901)))
    # 12,345,678,901 × 3/100 = 370,370,367.03
    assert result.statutory_maximum_krw == 370_370_367
    assert result.amount_krw == 370_370_000


def test_factors_apply_in_the_notices_order(test_rules: PenaltyRules) -> None:
    given = EstimateInput(
        2025,
        _years(BN),
        seriousness="level_two_percent",
        # Listed backwards on purpose: the stage decides the order, not the list.
        factors=("reduce", "second_down", "first_up"),
    )
    result = estimate(test_rules, given)
    keys = [s.key for s in result.steps]
    assert (
        keys.index("first_adjustment") < keys.index("second_adjustment") < keys.index("reduction")
    )
    assert _step(result, "base_amount") == 20_000_000  # 1 bn × 2/100
    assert _step(result, "first_adjustment") == 30_000_000  # × 150 %
    assert _step(result, "second_adjustment") == 24_000_000  # × 80 %
    assert _step(result, "reduction") == 16_800_000  # × 70 %
    assert result.amount_krw == 16_800_000
    assert TEST_SOURCE in result.sources


def test_factors_at_one_stage_add_up(test_rules: PenaltyRules) -> None:
    given = EstimateInput(
        2025, _years(BN), seriousness="level_two_percent", factors=("first_up", "first_up_small")
    )
    result = estimate(test_rules, given)
    assert _step(result, "first_adjustment") == 32_000_000  # 20 m × (100 + 50 + 10) %
    assert result.amount_krw == 30_000_000  # the 3/100 cap of 1 bn


def test_the_cap_applies_after_aggravation(test_rules: PenaltyRules) -> None:
    given = EstimateInput(2025, _years(BN), seriousness="level_at_cap", factors=("first_up",))
    result = estimate(test_rules, given)
    assert _step(result, "first_adjustment") == 45_000_000
    assert _step(result, "capped") == result.amount_krw == 30_000_000


def test_reductions_never_go_below_zero(test_rules: PenaltyRules) -> None:
    given = EstimateInput(
        2025, _years(BN), seriousness="level_two_percent", factors=("reduce", "reduce_all")
    )
    assert estimate(test_rules, given).amount_krw == 0


@pytest.mark.parametrize(
    ("given", "code"),
    [
        (EstimateInput(2025, _years(-1)), "invalid_revenue"),
        (EstimateInput(2025, _years(10**18 + 1)), "invalid_revenue"),
        (EstimateInput(2025, _years(BN), excluded_krw=-1), "invalid_revenue"),
        (EstimateInput(2025, (YearRevenue(2024, BN, months=0),)), "invalid_months"),
        (EstimateInput(2025, (YearRevenue(2024, BN, months=13),)), "invalid_months"),
        (
            EstimateInput(2025, (YearRevenue(2023, BN), YearRevenue(2024, BN, months=6))),
            "invalid_months",
        ),
        (
            EstimateInput(2025, (YearRevenue(2024, BN), YearRevenue(2023, BN))),
            "years_out_of_order",
        ),
        (
            EstimateInput(2025, (YearRevenue(2022, BN), YearRevenue(2024, BN))),
            "years_out_of_order",
        ),
        (EstimateInput(2025, _years(BN, BN, BN, BN)), "too_many_years"),
        (EstimateInput(2025, _years(BN, last=2023)), "years_not_before_violation"),
        (EstimateInput(2025, _years(BN, BN, last=2025)), "years_not_before_violation"),
        (EstimateInput(2025, _years(BN, last=2026)), "years_not_before_violation"),
        (EstimateInput(2025, _years(BN), excluded_krw=BN + 1), "exclusion_exceeds_revenue"),
        (EstimateInput(2025, _years(BN), base="last_year_only"), "unknown_base"),
        (EstimateInput(2025, _years(BN), seriousness="grave"), "unknown_seriousness"),
        (EstimateInput(2025, _years(BN), factors=("cooperation",)), "unknown_factor"),
    ],
)
def test_bad_inputs_are_refused_with_a_code(
    rules: PenaltyRules, given: EstimateInput, code: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        estimate(rules, given)
    assert caught.value.code == code


def test_a_factor_listed_twice_is_refused(test_rules: PenaltyRules) -> None:
    given = EstimateInput(2025, _years(BN), factors=("first_up", "first_up"))
    with pytest.raises(InvalidInput) as caught:
        estimate(test_rules, given)
    assert caught.value.code == "duplicate_factor"


def test_shipped_pack_declares_no_unread_figures(rules: PenaltyRules) -> None:
    # The notice's 부과기준율 and adjustment percentages were not found; none is invented.
    assert rules.seriousness == {} and rules.factors == {}
    assert (rules.statutory_rate.numerator, rules.statutory_rate.denominator) == (3, 100)
    assert rules.no_revenue_cap_krw == 2 * BN and rules.average_years == 3


def test_published_totals_fit_the_rounding_and_the_cap(rules: PenaltyRules) -> None:
    # Not a reproduction (the decisions' revenue bases are not public); a consistency check.
    published = [70_609_000, 1_978_000_000, 879_000_000, 490_000_000]
    assert all(amount % rules.rounding_unit_krw == 0 for amount in published)
    # The least relevant revenue whose 3/100 covers AliExpress's KRW 1,978,000,000.
    least = -(-1_978_000_000 * 100 // 3)
    assert estimate(rules, EstimateInput(2024, _years(least, last=2023))).amount_krw == (
        1_978_000_000
    )
    below = estimate(rules, EstimateInput(2024, _years(least - 34, last=2023)))
    assert below.amount_krw < 1_978_000_000


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d.update(default_base="nope"), "default_base"),
        (lambda d: d["step_labels"].pop("capped"), "step_labels"),
        (lambda d: d["step_labels"].update(extra=_label("x")), "step_labels.extra"),
        (
            lambda d: d.update(
                factors={
                    "bad": {
                        "label": _label("x"),
                        "source": "x",
                        "stage": "reduction",
                        "percent": 10,
                    }
                }
            ),
            "factors.bad.percent",
        ),
        (
            lambda d: d.update(
                seriousness={
                    "bad": {
                        "label": _label("x"),
                        "source": "x",
                        "rate": {"numerator": 4, "denominator": 100, "source": "x"},
                    }
                }
            ),
            "seriousness.bad.rate",
        ),
    ],
)
def test_inconsistent_rules_do_not_load(raw: dict[str, Any], change: Any, key: str) -> None:
    data = copy.deepcopy(raw)
    change(data)
    with pytest.raises(ValidationError) as caught:
        PenaltyRules.model_validate(data)
    error = caught.value.errors()[0]
    assert error["type"] == "pack_inconsistent"
    assert error["ctx"]["key"] == key
