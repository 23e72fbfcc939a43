"""The penalty-surcharge estimate: the Korean pack's ``[penalty]`` rules over given figures.

No database: the figures come with the request, so an estimate can be run for any scenario
without storing one. See :mod:`gatehouse.domain.penalty` for the arithmetic.
"""

from __future__ import annotations

from gatehouse.domain.errors import NotFound
from gatehouse.domain.penalty import Estimate, EstimateInput, estimate
from gatehouse.domain.policy.penalty import PenaltyRules
from gatehouse.services.runtime import Gatehouse

__all__ = ["estimate_penalty", "penalty_rules"]

# 「개인정보 보호법」 제64조의2 is Korean law; its pack holds the rates and caps.
_PENALTY_JURISDICTION = "KR"


def penalty_rules(gh: Gatehouse) -> PenaltyRules:
    """The loaded pack's penalty rules; NotFound (``no_penalty_rules``) if it has none."""
    rules = gh.packs.for_country(_PENALTY_JURISDICTION).penalty
    if rules is None:
        raise NotFound("the rule pack declares no penalty rules", code="no_penalty_rules")
    return rules


def estimate_penalty(gh: Gatehouse, given: EstimateInput) -> Estimate:
    """Estimate the surcharge for ``given``; InvalidInput for figures the rules refuse."""
    return estimate(penalty_rules(gh), given)
