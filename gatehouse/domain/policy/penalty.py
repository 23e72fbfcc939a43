"""The penalty-surcharge (과징금) section of a rule pack: rates, caps, bases and factors as data.

Every figure carries the provision or notice it comes from, so an estimate can show its
sources; :mod:`gatehouse.domain.penalty` does the arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import Field, PositiveInt, model_validator
from pydantic_core import PydanticCustomError

from gatehouse.domain.policy.model import Key, Label, Model, Text

__all__ = [
    "BASE_METHODS",
    "STAGES",
    "STEP_KEYS",
    "PenaltyFactor",
    "PenaltyRules",
    "Rate",
    "RevenueBase",
    "Seriousness",
    "Sourced",
    "Stage",
]

# How a revenue base is computed; the arithmetic for each lives in domain/penalty.py.
BaseMethod = Literal["average", "greater_of_previous_year_or_average"]
BASE_METHODS: tuple[BaseMethod, ...] = ("average", "greater_of_previous_year_or_average")

# The order the notice adjusts a 기준금액 in: 1차 조정, 2차 조정, then reductions (감경).
Stage = Literal["first_adjustment", "second_adjustment", "reduction"]
STAGES: tuple[Stage, ...] = ("first_adjustment", "second_adjustment", "reduction")

# Every step an estimate reports; the pack labels each one in every language.
STEP_KEYS = (
    "average_revenue",
    "previous_year_revenue",
    "chosen_revenue",
    "excluded_revenue",
    "relevant_revenue",
    "statutory_maximum",
    "base_amount",
    *STAGES,
    "capped",
    "rounded",
)


class Sourced(Model):
    """A value's label and the statute, decree or notice it comes from."""

    label: Label
    source: Text


class Rate(Model):
    """A rate written the way Korean statutes write it: 100분의 3 is 3 over 100."""

    numerator: Annotated[int, Field(ge=0)]
    denominator: PositiveInt
    source: Text

    @property
    def value(self) -> Fraction:
        """The rate as an exact fraction."""
        return Fraction(self.numerator, self.denominator)


class RevenueBase(Sourced):
    """One way to compute the revenue a surcharge is a share of."""

    method: BaseMethod
    # An announced amendment is shown as such: the estimate says it is not the decree in force.
    status: Literal["in_force", "announced"]


class Seriousness(Sourced):
    """A 부과기준율: the share of relevant revenue that makes the 기준금액 at one seriousness."""

    rate: Rate


class PenaltyFactor(Sourced):
    """An aggravating (+) or mitigating (−) factor, in percent of the amount at its stage."""

    stage: Stage
    percent: Annotated[int, Field(ge=-100, le=100)]


def _problem(key: str, problem: str) -> PydanticCustomError:
    return PydanticCustomError("pack_inconsistent", "{problem}", {"key": key, "problem": problem})


class PenaltyRules(Model):
    """「개인정보 보호법」 제64조의2 as data: the cap, the revenue bases and the notice's tables."""

    title: Label
    disclaimer: Label
    statutory_rate: Rate
    no_revenue_cap_krw: PositiveInt
    no_revenue_cap_source: Text
    # Business years before the violation year that the average covers (ED 60-2).
    average_years: PositiveInt
    revenue_source: Text
    exclusion_source: Text
    bases: dict[Key, RevenueBase] = Field(min_length=1)
    default_base: Key
    rounding_unit_krw: PositiveInt
    rounding_source: Text
    seriousness: dict[Key, Seriousness] = Field(default_factory=dict)
    factors: dict[Key, PenaltyFactor] = Field(default_factory=dict)
    step_labels: dict[Key, Label]

    @model_validator(mode="after")
    def _check(self) -> PenaltyRules:
        for key, problem in self.problems():
            raise _problem(key, problem)
        return self

    def problems(self) -> Iterator[tuple[str, str]]:
        """Yield (dotted key, problem) for every inconsistency in the section."""
        if self.statutory_rate.value > 1:
            yield "statutory_rate", "must not exceed 1"
        if self.default_base not in self.bases:
            yield "default_base", f"'{self.default_base}' is not in bases"
        for key, level in self.seriousness.items():
            if level.rate.value > self.statutory_rate.value:
                yield f"seriousness.{key}.rate", "must not exceed statutory_rate"
        for key, factor in self.factors.items():
            if factor.percent == 0:
                yield f"factors.{key}.percent", "must not be 0"
            elif factor.stage == "reduction" and factor.percent > 0:
                yield f"factors.{key}.percent", "a reduction must be negative"
        for key in STEP_KEYS:
            if key not in self.step_labels:
                yield "step_labels", f"no label for '{key}'"
        for key in self.step_labels:
            if key not in STEP_KEYS:
                yield f"step_labels.{key}", f"'{key}' is not a step"
