"""An informational estimate of a 과징금 under 「개인정보 보호법」 제64조의2, step by step.

Pure arithmetic over the pack's ``[penalty]`` section and the operator's revenue figures:
relevant revenue (ED 60-2), the statutory maximum, a 기준금액, the 1차/2차 조정 and
reductions in that order, the cap, and the rounding. Amounts stay exact fractions until the
last step, so no intermediate rounding moves the result; each step shows its amount floored
to the won. It is an estimate, not legal advice; the pack's disclaimer says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.policy.model import Label
from gatehouse.domain.policy.penalty import (
    STAGES,
    PenaltyFactor,
    PenaltyRules,
    RevenueBase,
    Seriousness,
)

__all__ = ["MAX_KRW", "Estimate", "EstimateInput", "Step", "YearRevenue", "estimate"]

# A bound far above any company's revenue, so sums stay exact and inputs stay sane.
MAX_KRW = 10**18
MONTHS_IN_YEAR = 12

_T = TypeVar("_T")
# One line of the arithmetic before it gets its label: key, exact amount, formula, source.
_Row = tuple[str, Fraction, str, str]


@dataclass(frozen=True)
class YearRevenue:
    """One business year's revenue; ``months`` below 12 marks a first, partial year."""

    year: int
    amount_krw: int
    months: int = MONTHS_IN_YEAR


@dataclass(frozen=True)
class EstimateInput:
    """The operator's figures and the choices the estimate is asked to make."""

    violation_year: int
    # The business years before the violation year, oldest first; empty when there is no
    # revenue or it cannot be calculated.
    revenues: Sequence[YearRevenue]
    # Annual revenue unrelated to the violation or not affected by it (ED 60-2).
    excluded_krw: int = 0
    base: str | None = None
    seriousness: str | None = None
    factors: Sequence[str] = ()


@dataclass(frozen=True)
class Step:
    """One line of the arithmetic: what it is, the amount, how it was reached, and why."""

    key: str
    label: Label
    amount_krw: int
    formula: str
    source: str


@dataclass(frozen=True)
class Estimate:
    """The estimate with every step and the sources it rests on."""

    title: Label
    disclaimer: Label
    base: str
    base_label: Label
    base_status: str
    no_revenue: bool
    statutory_maximum_krw: int
    amount_krw: int
    steps: tuple[Step, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """Each source once, in the order the steps first cite it."""
        return tuple(dict.fromkeys(step.source for step in self.steps))


def _won(amount: Fraction) -> str:
    return f"{int(amount):,}" if amount.denominator == 1 else f"{float(amount):,.2f}"


def _check_years(rules: PenaltyRules, given: EstimateInput) -> None:
    revenues = list(given.revenues)
    for index, entry in enumerate(revenues):
        if not 0 <= entry.amount_krw <= MAX_KRW:
            raise InvalidInput(
                f"revenues[{index}].amount_krw must be between 0 and {MAX_KRW}",
                code="invalid_revenue",
            )
        if not 1 <= entry.months <= MONTHS_IN_YEAR:
            raise InvalidInput(
                f"revenues[{index}].months must be between 1 and 12", code="invalid_months"
            )
        if index > 0 and entry.months != MONTHS_IN_YEAR:
            raise InvalidInput(
                f"revenues[{index}]: only the first business year may be partial",
                code="invalid_months",
            )
        if index > 0 and entry.year != revenues[index - 1].year + 1:
            raise InvalidInput(
                "revenues must be consecutive business years, oldest first",
                code="years_out_of_order",
            )
    if len(revenues) > rules.average_years:
        raise InvalidInput(
            f"at most {rules.average_years} business years are averaged", code="too_many_years"
        )
    if not revenues:
        return
    last = revenues[-1].year
    # A business that began in the violation year gives that year's figure, annualised.
    started_this_year = len(revenues) == 1 and last == given.violation_year
    if last != given.violation_year - 1 and not started_this_year:
        raise InvalidInput(
            f"the last business year must be {given.violation_year - 1}, "
            "the year before the violation",
            code="years_not_before_violation",
        )


def _pick(table: dict[str, _T], key: str, what: str) -> _T:
    try:
        return table[key]
    except KeyError:
        raise InvalidInput(
            f"unknown {what} '{key}'", code=f"unknown_{what}", details={"known": sorted(table)}
        ) from None


def _revenue_steps(
    rules: PenaltyRules, base: RevenueBase, given: EstimateInput
) -> tuple[list[_Row], Fraction]:
    revenues = list(given.revenues)
    total = sum(entry.amount_krw for entry in revenues)
    months = sum(entry.months for entry in revenues)
    average = Fraction(total * MONTHS_IN_YEAR, months)
    terms = " + ".join(f"{entry.amount_krw:,}" for entry in revenues)
    formula = f"({terms}) × 12 / {months}"
    rows: list[_Row] = [("average_revenue", average, formula, rules.revenue_source)]
    chosen = average
    if base.method == "greater_of_previous_year_or_average":
        last = revenues[-1]
        previous = Fraction(last.amount_krw * MONTHS_IN_YEAR, last.months)
        rows.append(
            ("previous_year_revenue", previous, f"{last.year}: {last.amount_krw:,}", base.source)
        )
        chosen = max(previous, average)
        formula = f"max({_won(previous)}, {_won(average)})"
    rows.append(("chosen_revenue", chosen, formula, base.source))
    if given.excluded_krw > chosen:
        raise InvalidInput(
            "excluded_krw exceeds the revenue it is taken from", code="exclusion_exceeds_revenue"
        )
    excluded = Fraction(given.excluded_krw)
    rows.append(("excluded_revenue", excluded, f"{given.excluded_krw:,}", rules.exclusion_source))
    relevant = chosen - excluded
    formula = f"{_won(chosen)} − {_won(excluded)}"
    rows.append(("relevant_revenue", relevant, formula, rules.exclusion_source))
    return rows, relevant


def _starting_rows(
    rules: PenaltyRules, base: RevenueBase, level: Seriousness | None, given: EstimateInput
) -> tuple[list[_Row], Fraction, Fraction, str]:
    """Rows up to the 기준금액, with the statutory maximum, the 기준금액 and the cap's source."""
    if all(entry.amount_krw == 0 for entry in given.revenues):
        if given.excluded_krw:
            raise InvalidInput(
                "excluded_krw needs revenue to be taken from", code="exclusion_exceeds_revenue"
            )
        source = rules.no_revenue_cap_source
        maximum = Fraction(rules.no_revenue_cap_krw)
        # Without revenue no 부과기준율 applies; the estimate starts from the cap.
        rows = [
            ("statutory_maximum", maximum, f"{rules.no_revenue_cap_krw:,}", source),
            ("base_amount", maximum, "= statutory maximum", source),
        ]
        return rows, maximum, maximum, source
    rate = rules.statutory_rate
    rows, relevant = _revenue_steps(rules, base, given)
    maximum = relevant * rate.value
    formula = f"{_won(relevant)} × {rate.numerator}/{rate.denominator}"
    rows.append(("statutory_maximum", maximum, formula, rate.source))
    if level is None:
        # No seriousness chosen: the estimate starts from the statutory ceiling.
        rows.append(("base_amount", maximum, "= statutory maximum", rate.source))
        return rows, maximum, maximum, rate.source
    amount = relevant * level.rate.value
    formula = f"{_won(relevant)} × {level.rate.numerator}/{level.rate.denominator}"
    rows.append(("base_amount", amount, formula, level.rate.source))
    return rows, maximum, amount, rate.source


def _adjustment_rows(
    factors: list[tuple[str, PenaltyFactor]], amount: Fraction
) -> tuple[list[_Row], Fraction]:
    """1차 조정, 2차 조정 and reductions, in that order whatever order the factors came in."""
    rows: list[_Row] = []
    for stage in STAGES:
        chosen = [(key, factor) for key, factor in factors if factor.stage == stage]
        if not chosen:
            continue
        # Percentages at one stage are all of the same amount, so they add up.
        percent = sum(factor.percent for _, factor in chosen)
        before = amount
        amount = max(Fraction(0), amount * Fraction(100 + percent, 100))
        terms = ", ".join(f"{key} {factor.percent:+d}%" for key, factor in chosen)
        sources = "; ".join(dict.fromkeys(factor.source for _, factor in chosen))
        rows.append((stage, amount, f"{_won(before)} × (100 {percent:+d})% [{terms}]", sources))
    return rows, amount


def estimate(rules: PenaltyRules, given: EstimateInput) -> Estimate:
    """Estimate the surcharge; InvalidInput (with a code) for any figure the rules refuse."""
    base_key = given.base or rules.default_base
    base = _pick(rules.bases, base_key, "base")
    level = None
    if given.seriousness is not None:
        level = _pick(rules.seriousness, given.seriousness, "seriousness")
    if len(set(given.factors)) != len(given.factors):
        raise InvalidInput("a factor is listed more than once", code="duplicate_factor")
    factors = [(key, _pick(rules.factors, key, "factor")) for key in given.factors]
    if not 0 <= given.excluded_krw <= MAX_KRW:
        raise InvalidInput(f"excluded_krw must be between 0 and {MAX_KRW}", code="invalid_revenue")
    _check_years(rules, given)

    rows, maximum, amount, cap_source = _starting_rows(rules, base, level, given)
    adjusted_rows, amount = _adjustment_rows(factors, amount)
    rows += adjusted_rows
    capped = min(amount, maximum)
    rows.append(("capped", capped, f"min({_won(amount)}, {_won(maximum)})", cap_source))
    unit = rules.rounding_unit_krw
    final = int(capped // unit) * unit
    formula = f"⌊{_won(capped)} / {unit:,}⌋ × {unit:,}"
    rows.append(("rounded", Fraction(final), formula, rules.rounding_source))
    return Estimate(
        title=rules.title,
        disclaimer=rules.disclaimer,
        base=base_key,
        base_label=base.label,
        base_status=base.status,
        no_revenue=all(entry.amount_krw == 0 for entry in given.revenues),
        statutory_maximum_krw=int(maximum),
        amount_krw=final,
        steps=tuple(
            Step(key, rules.step_labels[key], int(value), formula, source)
            for key, value, formula, source in rows
        ),
    )
