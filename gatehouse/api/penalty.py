"""``POST /v1/penalty-estimate``: an informational 과징금 estimate (「개인정보 보호법」 제64조의2).

The operator sends its revenue figures; the answer shows each step of the arithmetic with its
source, and says in the chosen language that it is an estimate, not legal advice.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StrictInt, StrictStr

from gatehouse.api.bodies import Body
from gatehouse.domain.penalty import MAX_KRW, Estimate, EstimateInput, YearRevenue
from gatehouse.domain.policy.model import Label
from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.services.penalty import estimate_penalty

__all__ = ["router"]

router = APIRouter(prefix="/v1/penalty-estimate", tags=["penalty estimate"])

Krw = Annotated[StrictInt, Field(ge=0, le=MAX_KRW)]
# Wide enough for any business year, narrow enough that a typo is refused.
Year = Annotated[StrictInt, Field(ge=1900, le=2999)]
PackKey = Annotated[StrictStr, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Locale = Annotated[str, Query(pattern=r"^(ko|en)$")]
_FALLBACK_LOCALE = "ko"


class RevenueIn(Body):
    """One business year's revenue; ``months`` below 12 marks a first, partial year."""

    year: Year
    amount_krw: Krw
    months: Annotated[StrictInt, Field(ge=1, le=12)] = 12


class PenaltyEstimateIn(Body):
    violation_year: Year
    revenues: Annotated[list[RevenueIn], Field(max_length=10)] = Field(
        description="Business years before the violation year, oldest first; "
        "empty when there is no revenue or it cannot be calculated."
    )
    excluded_krw: Krw = Field(
        default=0, description="Annual revenue unrelated to the violation or not affected by it."
    )
    base: PackKey | None = Field(default=None, description="A key of the pack's penalty bases.")
    seriousness: PackKey | None = None
    factors: Annotated[list[PackKey], Field(max_length=50)] = Field(default_factory=list)

    def to_domain(self) -> EstimateInput:
        """The domain input; the domain checks the years and the pack's keys."""
        return EstimateInput(
            violation_year=self.violation_year,
            revenues=tuple(YearRevenue(r.year, r.amount_krw, r.months) for r in self.revenues),
            excluded_krw=self.excluded_krw,
            base=self.base,
            seriousness=self.seriousness,
            factors=tuple(self.factors),
        )


class StepOut(BaseModel):
    key: str
    label: str
    amount_krw: int
    formula: str
    source: str


class PenaltyEstimateOut(BaseModel):
    informational: bool = Field(description="Always true: an estimate, never legal advice.")
    locale: str
    title: str
    disclaimer: str
    base: str
    base_label: str
    base_status: str = Field(description="in_force, or announced for a proposed amendment.")
    no_revenue: bool
    statutory_maximum_krw: int
    amount_krw: int
    steps: list[StepOut]
    sources: list[str]


def _out(result: Estimate, locale: str) -> PenaltyEstimateOut:
    def text(label: Label) -> str:
        return label.text(locale, _FALLBACK_LOCALE)

    return PenaltyEstimateOut(
        informational=True,
        locale=locale,
        title=text(result.title),
        disclaimer=text(result.disclaimer),
        base=result.base,
        base_label=text(result.base_label),
        base_status=result.base_status,
        no_revenue=result.no_revenue,
        statutory_maximum_krw=result.statutory_maximum_krw,
        amount_krw=result.amount_krw,
        steps=[
            StepOut(
                key=s.key,
                label=text(s.label),
                amount_krw=s.amount_krw,
                formula=s.formula,
                source=s.source,
            )
            for s in result.steps
        ],
        sources=list(result.sources),
    )


@router.post("", response_model=PenaltyEstimateOut)
def penalty_estimate(
    body: PenaltyEstimateIn, gh: GatehouseDep, _: OperatorDep, locale: Locale = "ko"
) -> PenaltyEstimateOut:
    """Estimate the surcharge from the operator's revenue figures, step by step with sources."""
    return _out(estimate_penalty(gh, body.to_domain()), locale)
